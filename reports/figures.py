"""The figures of compliance, one home each (DOMAIN.md definitions): coverage, frequency
compliance, call rate and PIMs, and how a figure is judged against its requirement and shown.

The pages (`reports.views`), the API (`reports.api`), the exports (`reports.exports`), planning
and the e-mails (`notifications.rules`) all compute them here, from counts summed over
territories (counts are summed, never ratios averaged). Pure functions, except
`pims_this_week`, a live count of the calls."""

import math
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from calls.models import Call
from core.periods import Period


def ratio(part, whole):
    """part / whole, or None when there is nothing to judge (no part, or nothing to divide by).
    Exact: rounding is for showing (`percent`) or answering (`rounded`)."""
    if part is None or not whole:
        return None
    return part / whole


def rounded(value, places=4):
    """A share as the API and the exports answer it (4 decimal places), None kept."""
    return None if value is None else round(value, places)


def coverage(covered, targets):
    """Coverage: the share of the targets with at least one completed call in the period."""
    return ratio(covered, targets)


def frequency_compliance(compliant, targets):
    """Frequency compliance: the share of the targets that reached their class's calls per
    month (a month only: `compliant` is None for a quarter, or where nothing is required)."""
    return ratio(compliant, targets)


def coverage_required(requirement, period: Period):
    """The coverage a requirement asks of a class for `period` (monthly or quarterly); None:
    as needed, or no requirement."""
    if requirement is None:
        return None
    return requirement.monthly_coverage if period.is_month else requirement.quarterly_coverage


def calls_per_month(requirement):
    """The calls per month a requirement asks of each target of its class (None: as needed)."""
    return requirement.calls_per_month if requirement is not None else None


def call_rate(completed_calls, field_days):
    """Call rate: completed calls (one per attendee) per field day, 2 decimal places; None
    without calls recorded or without field days."""
    if completed_calls is None or not field_days:
        return None
    return round(Decimal(completed_calls) / field_days, 2)


def pims_this_week(*, territory, today=None):
    """PIMs: the completed product information meetings of the territory in the current
    Monday–Sunday week (live, one query)."""
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    return (
        Call.objects.completed()
        .in_period(monday, monday + timedelta(days=6))
        .filter(territory=territory, is_pim=True)
        .count()
    )


def state(value, required):
    """How a figure reads against its requirement: "met", "unmet", "plain" (nothing required)
    or "none" (nothing to judge)."""
    if value is None:
        return "none"
    if required is None:
        return "plain"
    return "met" if value >= required else "unmet"


def percent(share):
    """A share as a whole percentage, rounded down (89.6 % is never shown as a met 90 %);
    None for no share ("—")."""
    return None if share is None else f"{math.floor(float(share) * 100 + 1e-9)} %"


def class_figures(counts, requirement, period: Period):
    """A class's figures from its summed counts (targets, covered, frequency_compliant) and its
    requirement: the counts, coverage and frequency compliance with their requirement, state
    and percentage. Frequency is judged in a month, where the class has calls per month."""
    counts = counts or {}
    targets = counts.get("targets", 0)
    covered = counts.get("covered", 0)
    compliant = counts.get("frequency_compliant")
    required = coverage_required(requirement, period)
    per_month = calls_per_month(requirement)
    share = coverage(covered, targets)
    frequency = None
    if period.is_month and per_month:
        frequency = frequency_compliance(compliant, targets)
    return {
        "targets": targets,
        "covered": covered,
        "coverage_pct": percent(share),
        "coverage_required_pct": percent(required),
        "frequency_pct": percent(frequency),
        "coverage": share,
        "coverage_required": required,
        "coverage_state": state(share, required),
        "calls_per_month": per_month,
        "frequency_compliant": compliant if frequency is not None else None,
        "frequency": frequency,
        # Every target of the class is to reach its calls per month: met at 100 %.
        "frequency_state": state(frequency, 1 if per_month else None),
    }
