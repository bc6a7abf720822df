"""REST API v1 of calls (`/api/v1/calls/`).

- Idempotent create: a client may send its own `id`; the same create again answers 200 with
  the existing call, the same id with other content 409.
- Optimistic concurrency: `PUT`/`PATCH` with `If-Match: "<version>"` answer 412 with the current
  call (its fields, plus `detail` and `errors`) when the version is stale; every single-call
  response carries `ETag: "<version>"`.
- `DELETE` removes a planned call (204; `If-Match` honoured); a completed or cancelled one is a
  409. Every client that synced the call receives a sync `delete`.
- A call may be created `planned`, `completed` or `cancelled` (a visit that did not happen).
- A locked call, an illegal status change: 409. The rules themselves are calls.services'.
  (The If-Match / ETag / idempotent-create machinery is core.api's, shared by every resource.)
- Amendments (`/api/v1/amendments/`): a locked call is corrected by a request its DM approves
  or rejects (`POST amendments/{id}/approve/`, `reject/` with `{"comment"}`); a decided one is
  a 409, another district's a 404.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import sync
from core.api import HistoryMixin, SyncedWriteMixin, decision_comment
from customers.models import AdoptionStage, Customer, Department, Institution
from org.api import SYNCED, ScopedPrimaryKeyRelatedField, ScopedViewSet
from org.models import Product, Role, Territory, User

from . import selectors, services
from .filters import CallFilter
from .models import Amendment, Call, CallSettings, KeyMessage, Material


class CallProductSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    key_messages = serializers.PrimaryKeyRelatedField(
        queryset=KeyMessage.objects.all(), many=True, required=False
    )
    feedback = serializers.CharField(required=False, allow_blank=True, default="")
    adoption_stage = serializers.ChoiceField(
        choices=AdoptionStage.choices, required=False, allow_blank=True, default=""
    )


class CallMaterialSerializer(serializers.Serializer):
    material = serializers.PrimaryKeyRelatedField(queryset=Material.objects.all())
    quantity = serializers.IntegerField(
        help_text=gettext_lazy("At least 1 (the server refuses less with a clear message).")
    )


class CommitmentsSerializer(serializers.Serializer):
    measurable = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("e.g. try the product on 3 suitable patients"),
    )
    next_appointment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )

    def to_representation(self, call):
        return {
            "measurable": call.commitment_measurable,
            "next_appointment": call.commitment_next_appointment,
        }


class CallSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(
        required=False,
        help_text=gettext_lazy("Optional on create: the client's own id (idempotent create)."),
    )
    territory = ScopedPrimaryKeyRelatedField(
        Territory,
        required=False,
        help_text=gettext_lazy("Default: the rep's only territory."),
    )
    customers = ScopedPrimaryKeyRelatedField(Customer, many=True)
    institution = ScopedPrimaryKeyRelatedField(
        Institution,
        required=False,
        help_text=gettext_lazy("Default: the first attendee's institution."),
    )
    department = ScopedPrimaryKeyRelatedField(Department, required=False, allow_null=True)
    products = CallProductSerializer(many=True, required=False, source="call_products")
    materials = CallMaterialSerializer(many=True, required=False, source="call_materials")
    commitments = CommitmentsSerializer(required=False, source="*")
    # Which users may co-visit is calls.services' rule (one answer, naming nobody, for a user
    # outside the choices and for no such user).
    co_visitor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": services.CO_VISITOR_INVALID,
            "incorrect_type": services.CO_VISITOR_INVALID,
        },
    )
    locked = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = (
            *SYNCED,
            "territory",
            "rep",
            "customers",
            "date",
            "start_time",
            "duration_minutes",
            "channel",
            "status",
            "is_pim",
            "institution",
            "department",
            "objective",
            "products",
            "commitments",
            "next_appointment_date",
            "next_objective",
            "materials",
            "co_visitor",
            "notes",
            "completed_at",
            "locked",
            "outside_visiting_days",
        )
        read_only_fields = ("rep", "completed_at", "outside_visiting_days")
        extra_kwargs = {
            "date": {"required": False},
            "status": {
                "help_text": gettext_lazy(
                    "On create: completed (default), planned, or cancelled — a visit that did "
                    "not happen (no feedback, no materials). Only a planned call is deleted."
                )
            },
            "next_appointment_date": {
                "help_text": gettext_lazy(
                    "Logging a completed call with this date plans the next call with the same "
                    "customers on that day (once); it must be after the call's date."
                )
            },
        }

    def get_locked(self, call) -> bool:
        return call.is_locked(self.context.get("call_settings"))

    def service_kwargs(self):
        """validated_data in the words of calls.services."""
        data = dict(self.validated_data)
        data.pop("id", None)
        commitments = {
            key: data.pop(key)
            for key in ("measurable", "next_appointment")
            if key in data  # source="*" flattens the nested fields
        }
        if "measurable" in commitments:
            data["commitment_measurable"] = commitments["measurable"]
        if "next_appointment" in commitments:
            data["commitment_next_appointment"] = commitments["next_appointment"]
        if "call_products" in data:
            data["products"] = [dict(row) for row in data.pop("call_products")]
        if "call_materials" in data:
            data["materials"] = [dict(row) for row in data.pop("call_materials")]
        return data

    def create(self, validated_data):
        kwargs = self.service_kwargs()
        return services.call_create(
            by=self.context["request"].user, id=validated_data.get("id"), **kwargs
        )

    def update(self, instance, validated_data):
        kwargs = self.service_kwargs()
        return services.call_update(
            by=self.context["request"].user,
            call=instance,
            expected_version=self.context.get("expected_version"),
            **kwargs,
        )


def _canonical(kwargs):
    """A comparable form of service keyword arguments (ids as strings, lists sorted)."""
    out = {}
    for name, value in kwargs.items():
        if name == "customers":
            value = sorted(str(c.pk) for c in value)
        elif name == "products":
            value = sorted(
                (
                    str(row["product"].pk),
                    tuple(sorted(str(m.pk) for m in row.get("key_messages") or ())),
                    row.get("feedback") or "",
                    row.get("adoption_stage") or "",
                )
                for row in value
            )
        elif name == "materials":
            value = sorted((str(row["material"].pk), row["quantity"]) for row in value)
        elif hasattr(value, "pk"):
            value = str(value.pk)
        out[name] = value
    return out


def _as_kwargs(call):
    """The call as service keyword arguments (to compare with a repeated create)."""
    kwargs = {name: getattr(call, name) for name in services.CALL_FIELDS}
    kwargs["customers"] = list(call.customers.all())
    kwargs["products"] = [
        {
            "product": row.product,
            "key_messages": list(row.key_messages.all()),
            "feedback": row.feedback,
            "adoption_stage": row.adoption_stage,
        }
        for row in call.call_products.all()
    ]
    kwargs["materials"] = [
        {"material": row.material, "quantity": row.quantity} for row in call.call_materials.all()
    ]
    return kwargs


class CallViewSet(HistoryMixin, SyncedWriteMixin, ScopedViewSet):
    """Calls in the caller's scope; reps write their own territory's calls, admins any."""

    model = Call
    serializer_class = CallSerializer
    stale_message = services.STALE_CALL
    exists_message = gettext_lazy("A call with this id exists already.")
    differs_message = gettext_lazy("A call with this id exists already, with other content.")
    filterset_class = CallFilter
    write_roles = frozenset({Role.REP})
    http_method_names = [*ScopedViewSet.http_method_names, "delete"]
    select_related = ("territory",)
    prefetch_related = (
        "customers",
        "call_products__key_messages",
        "call_materials",
    )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "call_settings": CallSettings.load()}

    def same_content(self, existing, sent):
        stored = _canonical(_as_kwargs(existing))
        return all(stored.get(name) == value for name, value in _canonical(sent).items())

    @transaction.atomic
    def perform_create(self, serializer):
        serializer.save()

    @extend_schema(
        responses={
            204: OpenApiResponse(description=gettext_lazy("Deleted.")),
            412: OpenApiResponse(
                CallSerializer,
                description=gettext_lazy("Stale If-Match: the answer carries the current call."),
            ),
        }
    )
    def destroy(self, request, *args, **kwargs):
        """Delete a planned call the rep will not make. A completed or cancelled call is a 409
        (it is corrected, amended or kept, never deleted); with a stale `If-Match` a 412 with
        the current call. Every client that synced the call receives a sync `delete`."""
        call = self.get_object()
        self.check_precondition(call)
        services.call_delete(by=request.user, call=call, expected_version=self.expected_version())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            # Answer with the call as saved (the prefetch cache of get_object() is stale).
            call = self.get_queryset().get(pk=kwargs["pk"])
            response.data = self.get_serializer(call).data
        return response


sync.register("calls", CallViewSet)


class AmendmentSerializer(serializers.ModelSerializer):
    call = ScopedPrimaryKeyRelatedField(
        Call, help_text=gettext_lazy("The locked call to correct (one of the caller's).")
    )
    changes = serializers.DictField(
        help_text=gettext_lazy(
            "The corrected values, with the fields and shapes of calls/ (date, customers, "
            "products, materials, notes, …; territory and status cannot be amended). Read: the "
            "proposal as kept (ids; commitments as commitment_measurable and "
            "commitment_next_appointment)."
        )
    )
    diff = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "One amendment only (null in lists): what changes, field by field, "
            "[{label, before, after}] in the caller's language."
        )
    )

    class Meta:
        model = Amendment
        fields = (
            *SYNCED,
            "call",
            "requested_by",
            "reason",
            "changes",
            "original",
            "status",
            "decided_by",
            "decided_at",
            "decision_comment",
            "diff",
        )
        read_only_fields = (
            "requested_by",
            "original",
            "status",
            "decided_by",
            "decided_at",
            "decision_comment",
        )
        extra_kwargs = {"reason": {"max_length": 2000}}
        # One waiting amendment per call is the service's rule (409, checked under the call's
        # lock), not a uniqueness error of the body.
        validators = []

    def get_diff(self, amendment) -> list[dict] | None:
        if not self.context.get("with_diff"):
            return None
        return [
            {"label": str(row["label"]), "before": row["before"], "after": row["after"]}
            for row in selectors.amendment_diff(amendment)
        ]

    def create(self, validated_data):
        call = validated_data["call"]
        proposal = CallSerializer(
            call, data=validated_data["changes"], partial=True, context=self.context
        )
        if not proposal.is_valid():
            raise serializers.ValidationError({"changes": proposal.errors})
        return services.amendment_request(
            by=self.context["request"].user,
            call=call,
            reason=validated_data["reason"],
            **proposal.service_kwargs(),
        )


DECISION = inline_serializer(
    "AmendmentDecision", {"comment": serializers.CharField(required=False, allow_blank=True)}
)


class AmendmentViewSet(ScopedViewSet):
    """Amendment requests in the caller's scope: a rep requests one for their locked call; the
    call's DM (or an admin) approves or rejects it. Requests are not edited: they are decided."""

    model = Amendment
    serializer_class = AmendmentSerializer
    write_roles = frozenset({Role.REP})
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = {"status": ["exact"], "call": ["exact"]}
    select_related = ("call__territory",)

    def get_permissions(self):
        if self.action in ("approve", "reject"):
            return [permissions.IsAuthenticated()]  # the services say who may
        return super().get_permissions()

    def get_serializer_context(self):
        # The diff costs a few queries per amendment: one amendment's, not a list's.
        return {
            **super().get_serializer_context(),
            "call_settings": CallSettings.load(),
            "with_diff": bool(self.detail) or self.action == "create",
        }

    def _decide(self, request, pk, decide):
        amendment = self.get_object()
        decide(by=request.user, amendment=amendment, comment=decision_comment(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=DECISION, responses=AmendmentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The call's DM (or an admin) applies the changes to the call (the call's history keeps
        both versions). A decided amendment: 409."""
        return self._decide(request, pk, services.amendment_approve)

    @extend_schema(request=DECISION, responses=AmendmentSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """The call's DM (or an admin) rejects, saying why (`comment` required); the call stays
        as it was. A decided amendment: 409."""
        return self._decide(request, pk, services.amendment_reject)
