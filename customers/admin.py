from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from org.admin import ScopedAdminMixin

from .models import Alignment, Customer, Department, Institution


@admin.register(Institution)
class InstitutionAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "name_en", "kind", "level", "city", "province", "beds")
    list_filter = ("kind", "level", "province")
    search_fields = ("name", "name_en", "city")


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "institution", "specialty", "daily_patients")
    list_filter = ("specialty",)
    search_fields = ("name", "name_en", "institution__name", "institution__name_en")
    list_select_related = ("institution",)
    autocomplete_fields = ("institution",)


class AlignmentInline(admin.TabularInline):
    model = Alignment
    extra = 0
    autocomplete_fields = ("territory",)


@admin.register(Customer)
class CustomerAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "name_en", "kind", "role_group", "is_kol", "institution", "department")
    list_filter = ("kind", "role_group", "is_kol", "institution__province")
    search_fields = ("name", "name_en", "institution__name", "department__name")
    list_select_related = ("institution", "department")
    autocomplete_fields = ("institution", "department")
    inlines = [AlignmentInline]


@admin.register(Alignment)
class AlignmentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("customer", "territory", "valid_from", "valid_to")
    list_filter = ("territory__district", "territory__team", "territory")
    search_fields = ("customer__name", "customer__name_en", "territory__code", "territory__name")
    list_select_related = ("customer", "territory")
    autocomplete_fields = ("customer", "territory")
    date_hierarchy = "valid_from"
