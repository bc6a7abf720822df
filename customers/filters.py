import uuid

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import TypeaheadSelect
from org.models import Territory, not_ended_by

from . import selectors
from .models import Alignment, Customer, CustomerKind, Department, Institution, Klass

UNCLASSIFIED = "none"


def _institutions(request):
    return Institution.objects.for_user(request.user) if request else Institution.objects.none()


def _territories(request):
    if request is None:
        return Territory.objects.none()
    return Territory.objects.for_user(request.user).select_related("rep")


def _departments(request):
    if request is None:
        return Department.objects.none()
    return Department.objects.for_user(request.user).select_related("institution")


class CustomerFilter(django_filters.FilterSet):
    """Narrows the already-scoped customer list (search, institution, department, kind, KOL,
    class). Every customer gets a `klass`: the class in the chosen territory, else in the
    user's visible territories (today)."""

    q = django_filters.CharFilter(
        label=_("Search"), method="filter_q", widget=forms.TextInput(attrs={"type": "search"})
    )
    territory = django_filters.ModelChoiceFilter(
        label=_("territory"),
        queryset=_territories,
        empty_label=_("All territories"),
        method="filter_territory",
        widget=TypeaheadSelect(reverse_lazy("desk:filter_choices", args=["territory"])),
    )
    institution = django_filters.ModelChoiceFilter(
        label=_("institution"),
        queryset=_institutions,
        empty_label=_("All institutions"),
        widget=TypeaheadSelect(reverse_lazy("desk:filter_choices", args=["institution"])),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("department"), queryset=_departments, empty_label=_("All departments")
    )
    kind = django_filters.ChoiceFilter(
        label=_("kind"), choices=CustomerKind.choices, empty_label=_("All kinds")
    )
    is_kol = django_filters.BooleanFilter(
        label=_("KOL"),
        widget=forms.Select(
            choices=[("", _("KOL or not")), ("true", _("KOL only")), ("false", _("Not KOL"))]
        ),
    )
    klass = django_filters.ChoiceFilter(
        label=_("class"),
        choices=[*Klass.choices, (UNCLASSIFIED, _("Unclassified"))],
        empty_label=_("All classes"),
        method="filter_klass",
    )

    class Meta:
        model = Customer
        fields = ["q", "territory", "institution", "department", "kind", "is_kol", "klass"]

    def filter_queryset(self, queryset):
        territory = self.form.cleaned_data.get("territory")
        if territory is not None:
            queryset = selectors.with_territory_klass(queryset, territory)
        elif self.request is not None:
            queryset = selectors.with_klass(queryset, self.request.user)
        return super().filter_queryset(queryset)

    def filter_klass(self, queryset, name, value):
        return selectors.having_klass(
            queryset,
            self.request.user,
            None if value == UNCLASSIFIED else value,
            territory=self.form.cleaned_data.get("territory"),
        )

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_territory(self, queryset, name, value):
        """Customers aligned to the territory today or from a future date."""
        return queryset.filter(
            Exists(
                Alignment.objects.filter(
                    not_ended_by(timezone.localdate()), territory=value
                ).filter(customer=OuterRef("pk"))
            )
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer the departments of the chosen institution only (a territory may have hundreds).
        field = self.form.fields["department"]
        chosen = {"institution": self.data.get("institution"), "pk": self.data.get("department")}
        for lookup, value in chosen.items():
            if value and _is_uuid(value):
                field.queryset = field.queryset.filter(**{lookup: value})
                break
        else:
            field.queryset = field.queryset.none()
            field.empty_label = _("Choose an institution first")
        field.label_from_instance = lambda d: d.display_name


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
