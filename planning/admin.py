"""Plans in the admin: read-only (every write goes through planning.services, which keeps the
versions and the audit rows), scoped for non-superusers."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from org.admin import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import (
    JointCallProposal,
    Plan,
    PlanEvent,
    PlanMonth,
    PlanningSettings,
    PlanTarget,
    PlanVersion,
)


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0


class TargetInline(ReadOnlyInline):
    model = PlanTarget
    raw_id_fields = ("customer",)


class MonthInline(ReadOnlyInline):
    model = PlanMonth
    exclude = ("focus",)


class VersionInline(ReadOnlyInline):
    model = PlanVersion
    exclude = ("snapshot",)


class EventInline(ReadOnlyInline):
    model = PlanEvent


@admin.register(Plan)
class PlanAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("rep", "quarter", "status", "territory", "updated_at")
    list_filter = ("status", "quarter")
    search_fields = ("rep__username", "rep__name", "territory__code", "quarter")
    list_select_related = ("rep", "territory")
    inlines = (TargetInline, MonthInline, VersionInline, EventInline)


@admin.register(JointCallProposal)
class JointCallProposalAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "call__territory"
    list_display = ("proposer", "call", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("proposer__username", "proposer__name", "note")
    list_select_related = ("proposer", "call")


@admin.register(PlanningSettings)
class PlanningSettingsAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """One row, read-only here: admins change it on the Planning settings page (/plans/settings/),
    through planning.services, which records who changed it."""

    list_display = ("__str__", "capacity_floor")
    search_fields = ("capacity_floor",)
