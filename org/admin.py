from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    Absence,
    ApiToken,
    CalendarDay,
    ComplianceSettings,
    District,
    Product,
    Region,
    Role,
    Team,
    Territory,
    TerritoryAssignment,
    User,
)


class ReadOnlyAdminMixin:
    """Records written only by their services (which keep derived data in line): shown, never
    added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None):  # obj: inlines are asked with the parent
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdminMixin:
    """Non-superusers see in the admin only what `for_user` lets them see."""

    scope_path = None  # e.g. "territory" when the model has no for_user of its own

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if self.scope_path is None:
            return queryset.for_user(request.user)
        return queryset.filter(
            **{f"{self.scope_path}__in": Territory.objects.for_user(request.user)}
        )


class ServiceAdminMixin:
    """Saves through the model's org.services function, as the API does: `save_service` (its
    name) is called with the record and the form's values of `service_fields`."""

    save_service: str = ""
    service_fields: tuple = ()

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in self.service_fields}
        getattr(services, self.save_service)(**{self.model._meta.model_name: obj}, **fields)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user pages: their password forms run AUTH_PASSWORD_VALIDATORS, as
    `user_set_password` does, and User.save keeps the version and revokes the tokens."""

    list_display = (
        "username",
        "name",
        "name_en",
        "role",
        "email",
        "language",
        "is_active",
        "registration_status",
        "registration_valid_to",
    )
    list_filter = ("role", "language", "is_active", "is_staff", "registration_status")
    search_fields = (
        "username",
        "name",
        "name_en",
        "email",
        "first_name",
        "last_name",
        "registration_number",
    )
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Baifang"), {"fields": ("name", "name_en", "role", "language", "history_link")}),
        (
            _("Rep registration (备案)"),
            {
                "fields": (
                    "registration_number",
                    "registration_status",
                    "registration_valid_from",
                    "registration_valid_to",
                )
            },
        ),
    )
    readonly_fields = ("history_link",)
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Baifang"), {"fields": ("name", "name_en", "role", "language", "email")}),
    )

    @admin.display(description=pgettext_lazy("record history", "History"))
    def history_link(self, obj):
        """The product's history page of the user: who changed what, through what."""
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("user_history", args=[obj.pk]),
            pgettext("record history", "History"),
        )


@admin.register(ComplianceSettings)
class ComplianceSettingsAdmin(SimpleHistoryAdmin):
    """One row: China's rules for reps and consent, read here; edited at /settings/compliance/
    (org.services.compliance_settings_save announces a change of who sees the measures)."""

    list_display = (
        "__str__",
        "require_registration",
        "show_measures_to_reps",
        "institution_rule",
        "enforce_consent",
    )
    search_fields = ("institution_rule",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    save_service = "region_save"
    service_fields = services.REGION_FIELDS
    list_display = ("code", "name", "name_en", "manager")
    search_fields = ("code", "name", "name_en")


@admin.register(District)
class DistrictAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    save_service = "district_save"
    service_fields = services.DISTRICT_FIELDS
    list_display = ("code", "name", "name_en", "region", "dm")
    list_filter = ("region",)
    search_fields = ("code", "name", "name_en", "dm__username", "dm__name")
    list_select_related = ("region", "dm")


@admin.register(Product)
class ProductAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    save_service = "product_save"
    service_fields = services.PRODUCT_FIELDS
    list_display = ("code", "name", "name_en", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "name_en")


@admin.register(Team)
class TeamAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    save_service = "team_save"
    service_fields = (*services.TEAM_FIELDS, "products")
    list_display = ("code", "name", "name_en", "call_rate_target", "pims_per_week")
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("products",)

    def save_related(self, request, form, formsets, change):
        """The products are saved by `team_save` (save_model)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class TerritoryAssignmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Who held the territory when: written by the handover (the territory's rep) only."""

    model = TerritoryAssignment
    extra = 0
    fields = ("rep", "valid_from", "valid_to")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class TerritoryAdminForm(forms.ModelForm):
    """A change of rep is a handover from today (org.services.territory_assign_rep), checked
    here with the territory's row locked (the admin saves in the same transaction)."""

    class Meta:
        model = Territory
        fields = ("name", "name_en", "code", "team", "district", "rep")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = User.objects.filter(role=Role.REP, is_superuser=False)

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance._state.adding and "rep" in self.changed_data:
            territory = Territory.objects.select_for_update().get(pk=self.instance.pk)
            try:
                services.territory_handover_check(
                    territory=territory, rep=cleaned_data.get("rep"), on=timezone.localdate()
                )
            except ValidationError as error:
                raise ValidationError(error.messages) from error
        return cleaned_data


@admin.register(Territory)
class TerritoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    form = TerritoryAdminForm
    list_display = ("code", "name", "name_en", "team", "district", "rep")
    list_filter = ("team", "district")
    search_fields = ("code", "name", "name_en", "rep__username", "rep__name")
    list_select_related = ("team", "district", "rep")
    inlines = [TerritoryAssignmentInline]

    def save_model(self, request, obj, form, change):
        """Through the services: the rep only by a handover, which keeps who held it when."""
        fields = {name: form.cleaned_data[name] for name in services.TERRITORY_FIELDS}
        rep = form.cleaned_data.get("rep")
        if change:
            if "rep" in form.changed_data:
                fields["rep"] = rep
            services.territory_update(territory=obj, **fields)
        else:
            services.territory_create(id=obj.id, rep=rep, **fields)
            obj._state.adding = False  # saved by the service: the admin's copy reads it back
        obj.refresh_from_db()


@admin.register(TerritoryAssignment)
class TerritoryAssignmentAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Shown only: holdings are written by the handover (a territory's rep, in the admin or the
    API), which keeps `Territory.rep` and the open holding in line."""

    scope_path = "territory"
    list_display = ("territory", "rep", "valid_from", "valid_to")
    list_filter = ("territory__district", "territory__team")
    search_fields = ("territory__code", "territory__name", "rep__username", "rep__name")
    list_select_related = ("territory", "rep")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "is_working_day")
    list_filter = ("is_working_day",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(Absence)
class AbsenceAdmin(SimpleHistoryAdmin):
    list_display = ("rep", "date_from", "date_to", "reason", "note")
    list_filter = ("reason",)
    search_fields = ("rep__username", "rep__name", "note")
    list_select_related = ("rep",)
    date_hierarchy = "date_from"

    def save_model(self, request, obj, form, change):
        """Through the services, as the API: a rep records their own absences."""
        fields = {name: form.cleaned_data[name] for name in services.ABSENCE_FIELDS}
        if change:
            services.absence_update(absence=obj, by=request.user, **fields)
        else:
            services.absence_create(id=obj.id, by=request.user, **fields)
            obj._state.adding = False  # saved by the service: the admin's copy reads it back
            obj.refresh_from_db()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins see and revoke (delete) the API tokens of every device."""

    list_display = ("user", "device", "created_at", "last_used_at")
    search_fields = ("user__username", "user__name", "device")
    list_filter = ("created_at",)
    list_select_related = ("user",)
    readonly_fields = ("key", "user", "device", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.api_token_revoke(token=obj)

    def delete_queryset(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)
