"""Filters of the calls list and of the calls API: they narrow the already-scoped queryset."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from customers.models import Institution
from org.models import Product, Territory

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
        label=_("institution"), queryset=_institutions, empty_label=_("All institutions")
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
        label=_("territory"), queryset=_territories, empty_label=_("All territories")
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
        ]

    def filter_q(self, queryset, name, value):
        attendees = CallAttendee.objects.filter(call=OuterRef("pk"))
        for word in value.split():
            attendees = attendees.filter(
                Q(customer__name__icontains=word) | Q(customer__name_en__icontains=word)
            )
        return queryset.filter(Exists(attendees))

    def filter_customer(self, queryset, name, value):
        return queryset.filter(
            Exists(CallAttendee.objects.filter(call=OuterRef("pk"), customer_id=value))
        )

    def filter_product(self, queryset, name, value):
        return queryset.filter(
            Exists(CallProduct.objects.filter(call=OuterRef("pk"), product=value))
        )
