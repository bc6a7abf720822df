"""REST API v1 of calls (`/api/v1/calls/`).

- Idempotent create: a client may send its own `id`; the same create again answers 200 with
  the existing call, the same id with other content 409.
- Optimistic concurrency: `PUT`/`PATCH` with `If-Match: "<version>"` answer 412 with the current
  call (its fields, plus `detail` and `errors`) when the version is stale; every single-call
  response carries `ETag: "<version>"`.
- A locked call, an illegal status change: 409. The rules themselves are calls.services'.
"""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from customers.models import AdoptionStage, Customer, Department, Institution
from org import sync
from org.api import SYNCED, ScopedPrimaryKeyRelatedField, ScopedViewSet
from org.models import Product, Role, Territory, User

from . import services
from .filters import CallFilter
from .models import Call, CallSettings, KeyMessage, Material


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This change conflicts with the call's state.")
    default_code = "conflict"


class SyncedWriteMixin:
    """What API.md asks of the writes of a synced resource. Idempotent create with a
    client-supplied `id`: the same create again answers the existing object (200), also when
    both copies arrive at the same moment; the id of an object with other content, or of one out
    of the caller's scope, is a 409 — a viewset says how a stored object compares with a request
    in `same_content(existing, sent)` (`sent`: the serializer's service keyword arguments).
    Optimistic concurrency: `If-Match` becomes the services' `expected_version` (compared under
    the row lock, in the writing transaction); their `Stale` is a 412 with the current object.
    A service's `Conflict` (a locked call, an illegal state change) is a 409 with its message.
    Every answer with a version carries its ETag."""

    exists_message = gettext_lazy("An object with this id exists already.")
    differs_message = gettext_lazy("An object with this id exists already, with other content.")

    def same_content(self, existing, sent) -> bool:
        raise NotImplementedError

    def expected_version(self):
        """The version `If-Match` names; None without one (or `*`); 0 — no record's version —
        for a header that names none (a stale precondition, like any other mismatch)."""
        header = self.request.headers.get("If-Match")
        if not header or header.strip() == "*":
            return None
        version = _etag_version(header)
        return 0 if version is None else version

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.method in ("PUT", "PATCH"):
            context["expected_version"] = self.expected_version()
        return context

    def check_precondition(self, record, message):
        """The precondition before the body is read (a stale If-Match is a 412 even when the
        body is bad); the services check it again under the lock."""
        services.check_version(record, self.expected_version(), message)

    def handle_exception(self, exc):
        if isinstance(exc, services.Stale):
            return self._precondition_failed(exc)
        if isinstance(exc, services.Conflict):
            exc = ConflictError(exc.message)
        elif isinstance(exc, IntegrityError):  # a conflicting write at the same time
            exc = ConflictError(self.exists_message)
        return super().handle_exception(exc)

    def _precondition_failed(self, exc):
        """412 with the current object (read after the failed write rolled back)."""
        current = self.get_queryset().filter(pk=self.kwargs.get(self.lookup_field)).first()
        if current is None:
            return super().handle_exception(exceptions.NotFound())
        data = {"detail": exc.message, "errors": {}, **self.get_serializer(current).data}
        return Response(data, status=status.HTTP_412_PRECONDITION_FAILED)

    def finalize_response(self, request, response, *args, **kwargs):
        data = getattr(response, "data", None)
        if isinstance(data, dict) and isinstance(data.get("version"), int):
            response["ETag"] = f'"{data["version"]}"'
        return super().finalize_response(request, response, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        client_id = request.data.get("id") if isinstance(request.data, dict) else None
        if client_id:
            try:
                client_id = uuid.UUID(str(client_id))
            except ValueError:
                client_id = None  # the serializer reports it
        if not client_id:
            return super().create(request, *args, **kwargs)
        model = self.get_queryset().model
        if not model.objects.filter(pk=client_id).exists():
            try:
                return super().create(request, *args, **kwargs)
            except (IntegrityError, services.Conflict, DjangoValidationError):
                # The same id stored by another request at the same moment (its insert won; this
                # one rolled back): answer as the repeated create below. Otherwise the error.
                if not model.objects.filter(pk=client_id).exists():
                    raise
        return self._repeated_create(request, client_id)

    def _repeated_create(self, request, client_id):
        """A create whose id is stored: 200 with the stored object when the content is the same,
        else 409 (also for an id out of the caller's scope, without naming it)."""
        existing = self.get_queryset().filter(pk=client_id).first()
        if existing is None:
            raise ConflictError(self.exists_message)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not self.same_content(existing, serializer.service_kwargs()):
            raise ConflictError(self.differs_message)
        return Response(self.get_serializer(existing).data, status=status.HTTP_200_OK)


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
        )
        read_only_fields = ("rep", "completed_at")
        extra_kwargs = {
            "date": {"required": False},
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


def _etag_version(header):
    """The version in an If-Match header (`"3"`, `W/"3"`, `3`); None for `*` or garbage."""
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    return int(value) if value.isdigit() else None


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=gettext_lazy('"<version>": answer 412 with the current call when stale.'),
)


@extend_schema_view(
    create=extend_schema(responses={201: CallSerializer, 200: CallSerializer}),
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
)
class CallViewSet(SyncedWriteMixin, ScopedViewSet):
    """Calls in the caller's scope; reps write their own territory's calls, admins any."""

    model = Call
    serializer_class = CallSerializer
    exists_message = gettext_lazy("A call with this id exists already.")
    differs_message = gettext_lazy("A call with this id exists already, with other content.")
    filterset_class = CallFilter
    write_roles = frozenset({Role.REP})
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

    def update(self, request, *args, **kwargs):
        self.check_precondition(self.get_object(), services.STALE_CALL)
        response = super().update(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            # Answer with the call as saved (the prefetch cache of get_object() is stale).
            call = self.get_queryset().get(pk=kwargs["pk"])
            response.data = self.get_serializer(call).data
        return response


sync.register("calls", CallViewSet)
