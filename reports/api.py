"""REST API v1 of the reports: `reports/compliance/`, `reports/recompute/`, `requirements/`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import outbox
from org.api import IsAdmin, ScopedViewSet
from org.models import District, Region, Territory

from . import engine, selectors, services
from .models import Requirement
from .periods import parse

SYNC_LIMIT = 500  # territories recomputed within the request; beyond, the workers share it


class RequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Requirement
        fields = (
            "id",
            "team",
            "klass",
            "monthly_coverage",
            "calls_per_month",
            "quarterly_coverage",
            "updated_at",
        )

    def create(self, validated_data):
        return services.requirement_save(
            by=self.context["request"].user, requirement=Requirement(), **validated_data
        )

    def update(self, instance, validated_data):
        return services.requirement_save(
            by=self.context["request"].user, requirement=instance, **validated_data
        )


class RequirementViewSet(ScopedViewSet):
    """Coverage and frequency required per team and class (team null: the company default).
    Every user reads them; admins write them."""

    model = Requirement
    serializer_class = RequirementSerializer
    filterset_fields = {"team": ["exact", "isnull"], "klass": ["exact"]}
    select_related = ("team",)


ROW = {
    "name": "ComplianceRow",
    "fields": {
        "klass": serializers.CharField(),
        "targets": serializers.IntegerField(),
        "covered": serializers.IntegerField(),
        "coverage": serializers.FloatField(allow_null=True),
        "coverage_required": serializers.FloatField(allow_null=True),
        "calls_per_month": serializers.IntegerField(allow_null=True),
        "frequency_compliant": serializers.IntegerField(allow_null=True),
        "frequency_compliance": serializers.FloatField(allow_null=True),
    },
}


class PeriodQuery(serializers.Serializer):
    period = serializers.CharField()

    def validate_period(self, value):
        try:
            return parse(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["period"]) from error


class ComplianceQuery(PeriodQuery):
    territory = serializers.UUIDField(required=False)
    district = serializers.UUIDField(required=False)
    region = serializers.UUIDField(required=False)

    def validate(self, data):
        given = [name for name in ("territory", "district", "region") if data.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"scope": [_("Give exactly one of territory, district or region.")]}
            )
        return data


class ComplianceReportView(APIView):
    """Coverage and frequency compliance per class, call rate, field days and PIMs of a
    territory, district or region for a month or quarter (DOMAIN.md definitions)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("territory", str, required=False),
            OpenApiParameter("district", str, required=False),
            OpenApiParameter("region", str, required=False),
            OpenApiParameter("period", str, required=True, description="2026-10 or 2026-Q4"),
        ],
        responses=inline_serializer(
            "ComplianceReport",
            {
                "period": serializers.CharField(),
                "scope": inline_serializer(
                    "ComplianceScope",
                    {
                        "type": serializers.CharField(),
                        "id": serializers.UUIDField(),
                        "name": serializers.CharField(),
                    },
                ),
                "computed_at": serializers.DateTimeField(allow_null=True),
                "rows": inline_serializer(**ROW, many=True),
                "call_rate": serializers.FloatField(allow_null=True),
                "field_days": serializers.IntegerField(allow_null=True),
                "completed_calls": serializers.IntegerField(allow_null=True),
                "pim_count": serializers.IntegerField(allow_null=True),
            },
        ),
    )
    def get(self, request):
        query = ComplianceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data, user = query.validated_data, request.user
        team = None
        if data.get("territory"):
            scope = get_object_or_404(Territory.objects.for_user(user), pk=data["territory"])
            territories = selectors.scope_territories(user, territory=scope)
            team, kind = scope.team, "territory"
        elif data.get("district"):
            scope = get_object_or_404(District.objects.for_user(user), pk=data["district"])
            territories, kind = selectors.scope_territories(user, district=scope), "district"
        else:
            scope = get_object_or_404(Region.objects.for_user(user), pk=data["region"])
            territories, kind = selectors.scope_territories(user, region=scope), "region"
        report = selectors.compliance_report(
            territories=territories, period=data["period"], team=team
        )
        report["scope"] = {"type": kind, "id": scope.pk, "name": str(scope)}
        return Response(report)


class RecomputeView(APIView):
    """Admins: recompute a period now — within the request for up to 500 territories, else
    shared out to the workers (202)."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]

    @extend_schema(
        request=inline_serializer("RecomputeRequest", {"period": serializers.CharField()}),
        responses=inline_serializer(
            "RecomputeAnswer",
            {"period": serializers.CharField(), "status": serializers.CharField()},
        ),
    )
    def post(self, request):
        query = PeriodQuery(data=request.data)
        query.is_valid(raise_exception=True)
        period = query.validated_data["period"]
        if Territory.objects.count() <= SYNC_LIMIT:
            rows = services.compliance_recompute(period=period)
            return Response({"period": period.key, "status": "done", "rows": rows})
        from .tasks import recompute_district

        for batch in engine.district_batches():
            for district_id in batch:
                outbox.send(recompute_district, period.key, str(district_id))
        return Response({"period": period.key, "status": "queued"}, status=status.HTTP_202_ACCEPTED)
