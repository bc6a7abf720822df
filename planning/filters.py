"""Filters of the managers' plans table: quarter, status, rep (all within the user's scope)."""

import django_filters
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from core.widgets import TypeaheadSelect
from org.models import Role, User

from .models import Plan, PlanStatus


def _reps(request):
    if request is None:
        return User.objects.none()
    return User.objects.for_user(request.user).filter(role=Role.REP).order_by("name")


class PlanFilter(django_filters.FilterSet):
    quarter = django_filters.ChoiceFilter(
        label=_("quarter"), choices=[], empty_label=_("All quarters")
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=PlanStatus.choices, empty_label=_("Any status")
    )
    rep = django_filters.ModelChoiceFilter(
        label=_("rep"),
        queryset=_reps,
        empty_label=_("All reps"),
        widget=TypeaheadSelect(reverse_lazy("desk:filter_choices", args=["rep"])),
    )

    class Meta:
        model = Plan
        fields = ["quarter", "status", "rep"]

    def __init__(self, *args, quarters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["quarter"].choices = [
            ("", _("All quarters")),
            *((q, q) for q in quarters),
        ]
