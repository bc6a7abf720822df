"""Filters of the calls list and of the calls API: they narrow the already-scoped queryset."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from core.search import text_contains
from core.widgets import DateInput, TypeaheadSelect
from customers.models import Customer, Institution, Klass, search_words
from org.models import Product, Role, Territory, User

from .models import Call, CallAttendee, CallProduct, CallStatus


def _institutions(request):
    if request is None:
        return Institution.objects.none()
    return Institution.objects.for_user(request.user).order_by("name")


def _territories(request):
    if request is None:
        return Territory.objects.none()
    return Territory.objects.for_user(request.user)


def _products(request):
    return Product.objects.all().order_by("code")


class CallFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Customer"),
        method="filter_q",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Customer name")}),
    )
    date_from = django_filters.DateFilter(
        label=_("From"),
        field_name="date",
        lookup_expr="gte",
        widget=DateInput(),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        field_name="date",
        lookup_expr="lte",
        widget=DateInput(),
    )
    customer = django_filters.UUIDFilter(
        label=_("customer"), method="filter_customer", widget=forms.HiddenInput
    )
    institution = django_filters.ModelChoiceFilter(
        label=_("institution"),
        queryset=_institutions,
        empty_label=_("All institutions"),
        widget=TypeaheadSelect(reverse_lazy("desk:filter_choices", args=["institution"])),
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=CallStatus.choices, empty_label=_("Any status")
    )
    product = django_filters.ModelChoiceFilter(
        label=_("product"),
        queryset=_products,
        field_name="call_products__product",
        method="filter_product",
        empty_label=_("All products"),
    )
    is_pim = django_filters.BooleanFilter(
        label=_("PIM"),
        widget=forms.Select(
            choices=[("", _("PIM or not")), ("true", _("PIM only")), ("false", _("Not PIM"))]
        ),
    )
    territory = django_filters.ModelChoiceFilter(
        label=_("territory"),
        queryset=_territories,
        empty_label=_("All territories"),
        widget=TypeaheadSelect(reverse_lazy("desk:filter_choices", args=["territory"])),
    )
    outside_visiting_days = django_filters.ChoiceFilter(
        label=_("Visiting days"),
        choices=[("true", _("Outside visiting days")), ("false", _("On visiting days"))],
        empty_label=_("Any day"),
        method="filter_outside_visiting_days",
        help_text=_(
            "true: the calls flagged as recorded on a day their institution does not admit "
            "reps (the institution rule “flag”); false: the others."
        ),
    )

    class Meta:
        model = Call
        fields = [
            "q",
            "date_from",
            "date_to",
            "customer",
            "institution",
            "status",
            "product",
            "is_pim",
            "territory",
            "outside_visiting_days",
        ]

    def filter_outside_visiting_days(self, queryset, name, value):
        return queryset.filter(outside_visiting_days=value == "true")

    def filter_q(self, queryset, name, value):
        """Calls with an attendee whose name (Chinese or English) holds every word (at most
        SEARCH_MAX_WORDS words of the first SEARCH_MAX_LENGTH characters). The
        matching customers are found first, in their own table (on PostgreSQL from indexes:
        core.search.text_contains), then their attendances."""
        matching = Customer.objects.all()
        # Cut as the customers' search cuts its query (hundreds of words made a condition too
        # deep for SQLite: a 500).
        for word in search_words(value):
            matching = matching.filter(text_contains("name", word) | text_contains("name_en", word))
        attendees = CallAttendee.objects.filter(call=OuterRef("pk"), customer__in=matching)
        return queryset.filter(Exists(attendees))

    def filter_customer(self, queryset, name, value):
        return queryset.filter(
            Exists(CallAttendee.objects.filter(call=OuterRef("pk"), customer_id=value))
        )

    def filter_product(self, queryset, name, value):
        return queryset.filter(
            Exists(CallProduct.objects.filter(call=OuterRef("pk"), product=value))
        )


UNCLASSIFIED = "none"


def _reps(request):
    if request is None:
        return User.objects.none()
    return User.objects.for_user(request.user).filter(role=Role.REP).order_by("name")


class DeskCallFilter(CallFilter):
    """The managers' calls table: the list's filters plus rep and class (of the first customer,
    `selectors.call_desk`). A rep or territory outside the manager's scope is not a valid
    choice: the page shows the error and ignores it, an export answers 400."""

    rep = django_filters.ModelChoiceFilter(
        label=_("rep"),
        queryset=_reps,
        empty_label=_("All reps"),
        widget=TypeaheadSelect(reverse_lazy("desk:filter_choices", args=["rep"])),
    )
    klass = django_filters.ChoiceFilter(
        label=_("class"),
        choices=[*Klass.choices, (UNCLASSIFIED, _("Unclassified"))],
        empty_label=_("All classes"),
        method="filter_klass",
    )

    class Meta(CallFilter.Meta):
        fields = [
            "date_from",
            "date_to",
            "rep",
            "territory",
            "status",
            "product",
            "klass",
            "institution",
            "is_pim",
            "outside_visiting_days",
            "q",
            "customer",
        ]

    def filter_klass(self, queryset, name, value):
        if value == UNCLASSIFIED:
            return queryset.filter(klass__isnull=True)
        return queryset.filter(klass=value)
