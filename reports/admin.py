from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from org.admin import ReadOnlyAdminMixin

from . import services
from .models import (
    ActivitySnapshot,
    ClassSnapshot,
    RecomputeJob,
    RecomputeJobDistrict,
    Requirement,
)


@admin.register(Requirement)
class RequirementAdmin(SimpleHistoryAdmin):
    """Saved through `requirement_save` (admins only), as the requirements page does."""

    list_display = ("team", "klass", "monthly_coverage", "calls_per_month", "quarterly_coverage")
    list_filter = ("team", "klass")
    search_fields = ("team__code", "team__name", "klass")
    list_select_related = ("team",)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data}
        services.requirement_save(by=request.user, requirement=obj, **fields)


class SnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The engine writes snapshots; the admin shows them."""

    list_filter = ("period",)
    search_fields = ("territory__code", "territory__name", "period")
    list_select_related = ("territory",)


@admin.register(ClassSnapshot)
class ClassSnapshotAdmin(SnapshotAdmin):
    list_display = ("territory", "period", "klass", "targets", "covered", "frequency_compliant")


@admin.register(ActivitySnapshot)
class ActivitySnapshotAdmin(SnapshotAdmin):
    list_display = ("territory", "period", "completed_calls", "field_days", "pim_count")


@admin.register(RecomputeJob)
class RecomputeJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "period",
        "status",
        "batches_done",
        "batches",
        "rows",
        "resends",
        "created_at",
    )
    list_filter = ("status", "period")
    search_fields = ("period", "error")


@admin.register(RecomputeJobDistrict)
class RecomputeJobDistrictAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which districts of a job are done (a resumed job skips them)."""

    list_display = ("job", "district", "rows", "done_at")
    list_filter = ("job__period",)
    search_fields = ("district__code", "district__name", "job__period")
    list_select_related = ("job", "district")
