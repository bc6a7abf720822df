"""REST API v1 of plans (`/api/v1/plans/`), API.md's `plans/` row.

- Scope: `Plan.objects.for_user` (a rep's own plans and the approved plans of team colleagues;
  a DM's district; …); out of scope 404. Reps create and edit their own plans; DMs and admins
  decide through the actions; other roles get 403.
- Actions `POST plans/{id}/submit/`, `approve/`, `return/` (`{"comment"}` required), `revise/`.
  An illegal state change answers 409. Every action and update honours `If-Match: "<version>"`
  (412 with the current plan when stale); responses carry `ETag: "<version>"`.
- Idempotent create with the client's own `id`, as for calls.
"""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import sync
from core.api import IF_MATCH, HistoryMixin, SyncedWriteMixin, decision_comment
from customers.models import Customer
from org.api import SYNCED, ScopedPrimaryKeyRelatedField, ScopedViewSet
from org.models import Role

from . import selectors, services
from .models import Plan, PlanMonth, PlanStatus, PlanVersion

QUARTER_HELP = gettext_lazy("A calendar quarter like 2026-Q4.")


class PlanTargetSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyRelatedField(Customer)
    calls_per_month = serializers.IntegerField(
        min_value=0,
        max_value=31,
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Default: the calls per month the customer's class requires."),
    )
    objective = serializers.CharField(required=False, allow_blank=True, max_length=300)
    activities = serializers.CharField(required=False, allow_blank=True)


class PlanMonthSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text="2026-10")
    focus = ScopedPrimaryKeyRelatedField(Customer, many=True, required=False)
    meetings = serializers.CharField(required=False, allow_blank=True)


class PlanVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanVersion
        fields = ("number", "approved_by", "approved_at", "snapshot")


class PlanCapacitySerializer(serializers.Serializer):
    """The plan's capacity at approval (Veeva Align): capacity = field days × call-rate target,
    utilisation = planned calls ÷ capacity."""

    field_days = serializers.IntegerField(
        help_text=gettext_lazy("The rep's field days of the quarter (working days, not absent).")
    )
    call_rate_target = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text=gettext_lazy("The team's target of completed calls per field day."),
    )
    capacity = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        help_text=gettext_lazy("Field days × call-rate target."),
    )
    planned_calls = serializers.IntegerField(
        help_text=gettext_lazy("Σ planned calls per month of the focus customers × 3 months.")
    )
    utilisation = serializers.FloatField(
        allow_null=True,
        help_text=gettext_lazy("Planned calls ÷ capacity (1.0 = 100 %); null without capacity."),
    )


class PlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(
        required=False,
        help_text=gettext_lazy("Optional on create: the client's own id (idempotent create)."),
    )
    quarter = serializers.RegexField(r"^\d{4}-Q[1-4]$", help_text=QUARTER_HELP)
    targets = PlanTargetSerializer(many=True, required=False)
    months = PlanMonthSerializer(many=True, required=False)
    versions = PlanVersionSerializer(many=True, read_only=True)
    capacity = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Read-only, in the answers about one plan (GET plans/{id}/ and its actions); "
            "null in lists and sync."
        )
    )

    class Meta:
        model = Plan
        fields = (
            *SYNCED,
            "rep",
            "territory",
            "quarter",
            "status",
            "review",
            "goals",
            "key_result_areas",
            "targets",
            "months",
            "comment",
            "submitted_at",
            "versions",
            "capacity",
        )
        read_only_fields = ("rep", "territory", "status", "comment", "submitted_at")

    @extend_schema_field(PlanCapacitySerializer(allow_null=True))
    def get_capacity(self, plan):
        if not self.context.get("with_capacity"):
            return None
        return PlanCapacitySerializer(selectors.plan_capacity(plan, plan.targets.all())).data

    def to_representation(self, plan):
        data = super().to_representation(plan)
        data["targets"] = [
            {
                "customer": str(t.customer_id),
                "calls_per_month": t.calls_per_month,
                "objective": t.objective,
                "activities": t.activities,
            }
            for t in plan.targets.all()
        ]
        data["months"] = [
            {"month": m.month, "focus": [str(c.pk) for c in m.focus.all()], "meetings": m.meetings}
            for m in plan.months.all()
        ]
        return data

    def validate(self, data):
        if self.instance is not None and data.get("quarter", self.instance.quarter) != (
            self.instance.quarter
        ):
            raise serializers.ValidationError({"quarter": [_("A plan keeps its quarter.")]})
        return data

    def service_kwargs(self):
        data = dict(self.validated_data)
        data.pop("id", None)
        if "targets" in data:
            data["targets"] = [dict(t) for t in data["targets"]]
        if "months" in data:
            data["months"] = [dict(m) for m in data["months"]]
        return data

    def create(self, validated_data):
        return services.plan_create(
            by=self.context["request"].user, id=validated_data.get("id"), **self.service_kwargs()
        )

    def update(self, instance, validated_data):
        kwargs = self.service_kwargs()
        kwargs.pop("quarter", None)
        return services.plan_update(
            by=self.context["request"].user,
            plan=instance,
            expected_version=self.context.get("expected_version"),
            **kwargs,
        )


class PlanFilter(django_filters.FilterSet):
    quarter = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = Plan
        fields = ("quarter", "status", "rep")


def _canonical(kwargs):
    out = {}
    for name, value in kwargs.items():
        if name == "targets":
            value = sorted(
                (
                    str(t["customer"].pk),
                    t.get("calls_per_month"),
                    t.get("objective") or "",
                    t.get("activities") or "",
                )
                for t in value
            )
        elif name == "months":
            value = sorted(
                (
                    m["month"],
                    tuple(sorted(str(c.pk) for c in m.get("focus") or ())),
                    m.get("meetings") or "",
                )
                for m in value
            )
        out[name] = value
    return out


def _as_kwargs(plan, sent):
    """The stored plan in the words of the request (a target without calls_per_month took the
    default: compare it as sent)."""
    sent_n = {str(t["customer"].pk): t.get("calls_per_month") for t in sent.get("targets", ())}
    kwargs = {name: getattr(plan, name) for name in ("quarter", *services.TEXT_FIELDS)}
    kwargs["targets"] = [
        {
            "customer": t.customer,
            "calls_per_month": t.calls_per_month
            if sent_n.get(str(t.customer_id)) is not None
            else None,
            "objective": t.objective,
            "activities": t.activities,
        }
        for t in plan.targets.all()
    ]
    kwargs["months"] = [
        {"month": m.month, "focus": list(m.focus.all()), "meetings": m.meetings}
        for m in plan.months.all()
    ]
    return kwargs


COMMENT = inline_serializer(
    "PlanDecision", {"comment": serializers.CharField(required=False, allow_blank=True)}
)


class PlanViewSet(HistoryMixin, SyncedWriteMixin, ScopedViewSet):
    """Quarterly plans in the caller's scope; reps write their own, DMs and admins decide."""

    model = Plan
    serializer_class = PlanSerializer
    stale_message = services.STALE_PLAN
    filterset_class = PlanFilter
    exists_message = gettext_lazy("A plan with this id exists already.")
    differs_message = gettext_lazy("A plan with this id exists already, with other content.")
    write_roles = frozenset({Role.REP})
    select_related = ("rep", "territory__team")
    prefetch_related = (
        "targets",
        Prefetch("months", queryset=PlanMonth.objects.prefetch_related("focus")),
        Prefetch("versions", queryset=PlanVersion.objects.order_by("-number")),
    )

    def get_permissions(self):
        if self.action in ("approve", "return_", "submit", "revise"):
            return [permissions.IsAuthenticated()]  # the services say who may
        return super().get_permissions()

    def get_serializer_context(self):
        # The capacity costs a few queries per plan: computed for one plan, not for lists.
        return {**super().get_serializer_context(), "with_capacity": bool(self.detail)}

    def _fresh(self, pk):
        return self.get_serializer(self.get_queryset().get(pk=pk)).data

    def same_content(self, existing, sent):
        stored = _canonical(_as_kwargs(existing, sent))
        return all(stored.get(name) == value for name, value in _canonical(sent).items())

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            response.data = self._fresh(kwargs["pk"])
        return response

    def _transition(self, request, pk, run):
        """Run a state change with the version `If-Match` names (checked under the lock)."""
        plan = self.get_object()
        self.check_precondition(plan)
        run(plan, self.expected_version())
        return Response(self._fresh(pk))

    @extend_schema(request=None, parameters=[IF_MATCH], responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The rep submits a draft or returned plan to their DM."""
        return self._transition(
            request,
            pk,
            lambda plan, v: services.plan_submit(by=request.user, plan=plan, expected_version=v),
        )

    @extend_schema(request=COMMENT, parameters=[IF_MATCH], responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The rep's DM (or an admin) approves a submitted plan; the version is kept."""
        comment = request.data.get("comment", "") if isinstance(request.data, dict) else ""
        return self._transition(
            request,
            pk,
            lambda plan, v: services.plan_approve(
                by=request.user, plan=plan, comment=str(comment), expected_version=v
            ),
        )

    @extend_schema(request=COMMENT, parameters=[IF_MATCH], responses=PlanSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        """The rep's DM (or an admin) returns a submitted plan; `comment` is required."""
        comment = decision_comment(request)
        return self._transition(
            request,
            pk,
            lambda plan, v: services.plan_return(
                by=request.user, plan=plan, comment=comment, expected_version=v
            ),
        )

    @extend_schema(request=None, parameters=[IF_MATCH], responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """The rep starts a revision of an approved plan (back to draft; versions are kept)."""
        return self._transition(
            request,
            pk,
            lambda plan, v: services.plan_revise(by=request.user, plan=plan, expected_version=v),
        )


sync.register("plans", PlanViewSet)
