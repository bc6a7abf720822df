"""The forms of the reports' pages."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import TargetClass

HUNDRED = Decimal(100)
PERCENT_ERRORS = {"invalid": gettext_lazy("Enter a percentage, e.g. 90.")}
CALLS_ERRORS = {"invalid": gettext_lazy("Enter a whole number of calls.")}


class RequirementTableForm(forms.Form):
    """One team's table: for each class, monthly coverage %, calls per month and quarterly
    coverage %; empty: as needed. Ranges are checked by the service (one message per cell)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for klass in TargetClass.values:
            for name, label in (
                ("monthly_coverage", _("%(klass)s: monthly coverage (%%)")),
                ("quarterly_coverage", _("%(klass)s: quarterly coverage (%%)")),
            ):
                self.fields[f"{klass}-{name}"] = forms.DecimalField(
                    label=label % {"klass": klass},
                    required=False,
                    decimal_places=1,
                    error_messages=PERCENT_ERRORS,
                    widget=forms.NumberInput(
                        attrs={"step": "0.1", "min": "0", "max": "100", "inputmode": "decimal"}
                    ),
                )
            self.fields[f"{klass}-calls_per_month"] = forms.IntegerField(
                label=_("%(klass)s: calls per month") % {"klass": klass},
                required=False,
                error_messages=CALLS_ERRORS,
                widget=forms.NumberInput(attrs={"step": "1", "min": "0", "inputmode": "numeric"}),
            )

    @staticmethod
    def initial_from(table):
        """Initial values (percent) from {klass: Requirement}."""
        initial = {}
        for klass, row in table.items():
            for name in services.COVERAGE_FIELDS:
                value = getattr(row, name)
                initial[f"{klass}-{name}"] = (
                    None if value is None else format((value * HUNDRED).normalize(), "f")
                )
            initial[f"{klass}-calls_per_month"] = row.calls_per_month
        return initial

    def table(self):
        """{klass: {field: value}} for the service: shares 0–1."""
        data = self.cleaned_data
        table = {}
        for klass in TargetClass.values:
            values = {}
            for name in services.REQUIREMENT_FIELDS:
                value = data.get(f"{klass}-{name}")
                if name in services.COVERAGE_FIELDS and value is not None:
                    value = value / HUNDRED
                values[name] = value
            table[klass] = values
        return table

    requirements: dict = {}  # {klass: Requirement} shown (their history links), set by the view

    def rows(self):
        """For the template: per class its badge, its requirement row (None: not saved yet)
        and its three bound fields."""
        return [
            {
                "klass": klass,
                "badge": "N" if klass.startswith("N") else klass,
                "requirement": self.requirements.get(klass),
                "cells": [
                    self[f"{klass}-{name}"]
                    for name in ("monthly_coverage", "calls_per_month", "quarterly_coverage")
                ],
            }
            for klass in TargetClass.values
        ]
