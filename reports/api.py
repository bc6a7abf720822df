"""REST API v1 of the reports: `reports/compliance/`, `reports/recompute/`, `requirements/`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import HistoryMixin
from core.ids import uuid_or_404
from core.periods import parse
from org.api import IsAdmin, ScopedViewSet

from . import selectors, services
from .models import RecomputeJob, RecomputeJobStatus, Requirement


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


class RequirementViewSet(HistoryMixin, ScopedViewSet):
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
        data = query.validated_data
        scope = selectors.report_scope(request.user, data)
        report = selectors.compliance_report(
            territories=scope.territories, period=data["period"], team=scope.team
        )
        report["scope"] = {"type": scope.kind, "id": scope.object.pk, "name": str(scope.object)}
        return Response(report)


RECOMPUTE_JOB = inline_serializer(
    "RecomputeJob",
    {
        "job": serializers.UUIDField(help_text="The job's id, polled at reports/recompute/{id}/."),
        "period": serializers.CharField(),
        "status": serializers.ChoiceField(
            choices=RecomputeJobStatus.choices,
            help_text="queued (not started), running, done (every district recomputed) or "
            "failed (see error; the districts done keep their new figures, starting again is "
            "safe).",
        ),
        "progress": serializers.FloatField(help_text="Share of the districts done, 0–1."),
        "districts": serializers.IntegerField(),
        "districts_done": serializers.IntegerField(),
        "rows": serializers.IntegerField(help_text="Class rows written so far."),
        "error": serializers.CharField(allow_blank=True),
        "created_at": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
    },
)


def recompute_job_data(job) -> dict:
    return {
        "job": job.pk,
        "period": job.period,
        "status": job.status,
        "progress": job.progress,
        "districts": job.batches,
        "districts_done": job.batches_done,
        "rows": job.rows,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


class RecomputeView(APIView):
    """Admins: recompute a period now. Always 202 with the job to poll: within the request for
    up to 500 territories (the answer then says done), else shared out to the workers, district
    by district (a job whose workers are lost is resumed by a beat job)."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]

    @extend_schema(
        request=inline_serializer("RecomputeRequest", {"period": serializers.CharField()}),
        responses={202: RECOMPUTE_JOB},
    )
    def post(self, request):
        query = PeriodQuery(data=request.data)
        query.is_valid(raise_exception=True)
        job = services.recompute_job_start(by=request.user, period=query.validated_data["period"])
        return Response(recompute_job_data(job), status=status.HTTP_202_ACCEPTED)


class RecomputeJobView(APIView):
    """Admins: a recompute job's status and progress (0–1)."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The job's id."
            )
        ],
        responses={200: RECOMPUTE_JOB},
    )
    def get(self, request, **kwargs):
        job = get_object_or_404(RecomputeJob, pk=uuid_or_404(kwargs["id"]))
        return Response(recompute_job_data(job))
