from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from org.admin import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import (
    Amendment,
    Call,
    CallAttendee,
    CallMaterial,
    CallProduct,
    CallSettings,
    CoachingComment,
    KeyMessage,
    Material,
)


@admin.register(CallSettings)
class CallSettingsAdmin(SimpleHistoryAdmin):
    """One row: the grace period, the backdating limit and the sample limit."""

    list_display = ("__str__", "grace_days", "backdating_days", "sample_limit_per_quarter")
    search_fields = ("grace_days",)

    def has_add_permission(self, request):
        return not CallSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KeyMessage)
class KeyMessageAdmin(SimpleHistoryAdmin):
    list_display = ("text", "text_en", "product", "order", "is_active")
    list_filter = ("is_active", "product")
    list_editable = ("order", "is_active")
    search_fields = ("text", "text_en", "product__name", "product__name_en", "product__code")
    list_select_related = ("product",)


@admin.register(Material)
class MaterialAdmin(SimpleHistoryAdmin):
    list_display = ("name", "name_en", "code", "kind", "product", "is_active")
    list_filter = ("kind", "is_active", "product", "teams")
    list_editable = ("is_active",)
    search_fields = ("name", "name_en", "code")
    list_select_related = ("product",)
    filter_horizontal = ("teams",)  # none chosen: every team


class AttendeeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CallAttendee
    extra = 0
    autocomplete_fields = ("customer",)


class CallProductInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CallProduct
    extra = 0
    filter_horizontal = ("key_messages",)


class CallMaterialInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CallMaterial
    extra = 0


@admin.register(Call)
class CallAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Read here, change through the product (the rules — lock, scope, limits, the sync's
    version and change log — live in calls.services)."""

    list_display = ("date", "start_time", "rep", "territory", "institution", "status", "is_pim")
    list_filter = ("status", "channel", "is_pim", "territory__district", "territory__team")
    search_fields = (
        "rep__username",
        "rep__name",
        "institution__name",
        "customers__name",
        "customers__name_en",
    )
    list_select_related = ("rep", "territory", "institution")
    date_hierarchy = "date"
    readonly_fields = ("version", "completed_at", "created_at", "updated_at")
    raw_id_fields = ("territory", "rep", "institution", "department", "co_visitor")
    inlines = [AttendeeInline, CallProductInline, CallMaterialInline]


@admin.register(CoachingComment)
class CoachingCommentAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("call", "author", "created_at")
    search_fields = ("text", "author__username", "author__name")
    list_select_related = ("call__institution", "author")
    raw_id_fields = ("call",)


@admin.register(Amendment)
class AmendmentAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("call", "requested_by", "status", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("reason", "requested_by__username", "requested_by__name")
    list_select_related = ("call__institution", "requested_by", "decided_by")
    raw_id_fields = ("call",)
