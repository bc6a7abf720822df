from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.widgets import DateInput
from org.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from org.models import Territory

from . import services
from .models import (
    Alignment,
    ChangeRequest,
    ClassHistory,
    ClassOverride,
    Customer,
    Department,
    Erasure,
    Import,
    Institution,
    Measure,
    Reclassification,
    Threshold,
)


@admin.register(Institution)
class InstitutionAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "name_en", "kind", "level", "city", "province", "beds")
    list_filter = ("kind", "level", "province")
    search_fields = ("name", "name_en", "city", "external_id")


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "institution", "specialty", "daily_patients")
    list_filter = ("specialty",)
    search_fields = (
        "name",
        "name_en",
        "institution__name",
        "institution__name_en",
        "external_id",
    )
    list_select_related = ("institution",)
    autocomplete_fields = ("institution",)


class AlignmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown only: one form checks its alignment against the stored ones, not against the other
    rows of the same page; alignments are written on their own admin page (or the API)."""

    model = Alignment
    extra = 0
    fields = ("territory", "valid_from", "valid_to")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AlignmentAdminForm(forms.ModelForm):
    """Checked with the customer's row locked, as `alignment_save` does (the admin saves in the
    same transaction): two admins cannot align one customer twice at once. An ended alignment
    stays ended (as in the API): a new period is a new alignment."""

    class Meta:
        model = Alignment
        fields = ("customer", "territory", "valid_from", "valid_to")
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}

    def clean(self):
        cleaned_data = super().clean()
        customer = cleaned_data.get("customer")
        if customer is not None:
            Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        if (
            not self.instance._state.adding
            and self.instance.valid_to is not None
            and "valid_to" in cleaned_data
            and cleaned_data["valid_to"] is None
        ):
            self.add_error(
                "valid_to",
                _("An ended alignment stays ended: add a new one from the day after it ends."),
            )
        return cleaned_data


class CustomerAdminForm(forms.ModelForm):
    """A new customer is aligned to the territory chosen from today (`customer_create`); left
    empty, it is created without an alignment (aligned later on the alignments' page, from any
    date)."""

    territory = forms.ModelChoiceField(
        Territory.objects.all(),
        label=_("territory"),
        required=False,
        help_text=_(
            "The new customer is aligned to this territory from today. Leave it empty "
            "to create the customer without an alignment (add alignments later)."
        ),
    )

    user = None  # the admin's user (CustomerAdmin.get_form): territories in their scope

    class Meta:
        model = Customer
        fields = (*services.CUSTOMER_FIELDS, "territory")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "territory" in self.fields and self.user is not None:
            self.fields["territory"].queryset = Territory.objects.for_user(self.user)

    def clean(self):
        cleaned_data = super().clean()
        user = self.user
        if (
            self.instance._state.adding
            and not cleaned_data.get("territory")
            and not (user is not None and user.is_admin)  # only admins create unaligned ones
        ):
            self.add_error("territory", forms.Field.default_error_messages["required"])
        return cleaned_data


@admin.register(Customer)
class CustomerAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Saved through customers.services, as the pages and the API: a change of kind classes
    the customer again; a new customer is aligned to its territory, if one is chosen."""

    form = CustomerAdminForm
    list_display = (
        "name",
        "name_en",
        "kind",
        "role_group",
        "is_kol",
        "institution",
        "department",
        "status",
    )
    list_filter = ("status", "kind", "role_group", "is_kol", "institution__province")
    search_fields = ("name", "name_en", "institution__name", "department__name", "external_id")
    list_select_related = ("institution", "department")
    autocomplete_fields = ("institution", "department")
    inlines = [AlignmentInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is None else [name for name in fields if name != "territory"]

    def has_change_permission(self, request, obj=None):
        # An erased customer is read-only: its personal data may not come back.
        if obj is not None and obj.erased_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A customer is not deleted here: its calls and alignments would go with it, past compliance
        # with them, and no refresh or sync delete would be announced (no service deletes one).
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.CUSTOMER_FIELDS}
        if change:
            services.customer_update(by=request.user, customer=obj, **fields)
        else:
            customer = services.customer_create(
                by=request.user, territory=form.cleaned_data.get("territory"), **fields
            )
            obj.pk = customer.pk
            obj._state.adding = False  # saved by the service: the admin's copy reads it back
        obj.refresh_from_db()


@admin.register(Alignment)
class AlignmentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    form = AlignmentAdminForm
    list_display = ("customer", "territory", "valid_from", "valid_to")
    list_filter = ("territory__district", "territory__team", "territory")
    search_fields = ("customer__name", "customer__name_en", "territory__code", "territory__name")
    list_select_related = ("customer", "territory")
    autocomplete_fields = ("customer", "territory")
    date_hierarchy = "valid_from"

    def has_delete_permission(self, request, obj=None):
        # An alignment is ended (its end date, through alignment_save), never deleted: a delete
        # would skip the service, its event (the territory's refresh) and the history.
        return False

    def save_model(self, request, obj, form, change):
        """Through `alignment_save`, as the pages and the API."""
        fields = {name: form.cleaned_data[name] for name in AlignmentAdminForm.Meta.fields}
        services.alignment_save(alignment=obj, **fields)
        if change:
            obj.refresh_from_db()


class ReadOnlyAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Segmentation records are written by their services (the Segmentation page, the customer
    page, imports and the API), which reclassify what they touch: the admin only shows them."""


@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdmin):
    list_display = ("customer", "product", "potential", "support", "valid_from", "author")
    list_filter = ("product",)
    search_fields = ("customer__name", "customer__name_en", "product__code")
    list_select_related = ("customer", "product", "author")
    date_hierarchy = "valid_from"


@admin.register(Threshold)
class ThresholdAdmin(ReadOnlyAdmin):
    list_display = ("product", "potential_min", "support_min", "valid_from", "reason", "author")
    list_filter = ("product",)
    search_fields = ("product__code", "product__name", "reason")
    list_select_related = ("product", "author")


@admin.register(ClassOverride)
class ClassOverrideAdmin(ReadOnlyAdmin):
    list_display = ("customer", "product", "klass", "valid_from", "cleared_on", "reason", "author")
    list_filter = ("product", "klass")
    search_fields = ("customer__name", "customer__name_en", "reason")
    list_select_related = ("customer", "product", "author")


@admin.register(ClassHistory)
class ClassHistoryAdmin(ReadOnlyAdmin):
    list_display = ("customer", "product", "klass", "source", "valid_from", "valid_to", "cause")
    list_filter = ("product", "klass", "source", "cause")
    search_fields = ("customer__name", "customer__name_en", "note")
    list_select_related = ("customer", "product")


@admin.register(Reclassification)
class ReclassificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("product", "status", "batches_done", "batches", "changed", "created_at")
    list_filter = ("status", "product")
    search_fields = ("product__code", "error")
    readonly_fields = [f.name for f in Reclassification._meta.fields]


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail of erasures on request (customers.services.customer_erase): who, when,
    why — no personal data (the customer by its id)."""

    list_display = ("erased_at", "customer_id", "erased_by", "reason")
    list_select_related = ("erased_by",)
    search_fields = ("customer__id", "reason", "erased_by__username")
    date_hierarchy = "erased_at"


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rep's change requests are decided in the data steward's queue (/customers/steward/)."""

    list_display = ("customer", "status", "requested_by", "requested_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("customer__name", "customer__name_en", "reason")
    list_select_related = ("customer", "requested_by", "decided_by")
    readonly_fields = [f.name for f in ChangeRequest._meta.fields]


@admin.register(Import)
class ImportAdmin(ReadOnlyAdmin):
    """Imports are run from their page or the API; the admin shows them (not the file)."""

    list_display = (
        "file_name",
        "kind",
        "dry_run",
        "status",
        "rows",
        "created",
        "changed",
        "error_count",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status", "dry_run")
    search_fields = ("file_name", "created_by__username")
    list_select_related = ("created_by",)
    exclude = ("data",)
