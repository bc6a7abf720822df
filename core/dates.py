"""The range every date the product takes in must fall in: one home for the rule.

Years 2000 to 2100: the company's records start after 2000 and no plan, call or alignment looks
further ahead than this century. No field of the product needs more (birth dates are not kept);
a field that does would say so beside its declaration. The bounds keep arithmetic on dates (a
week after, a quarter's end) clear of Python's year 1 and 9999 limits, and stop typing slips
(`0206-11-30`, `20026-…`) from being stored."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_YEAR = 2000
MAX_YEAR = 2100
MIN_DATE = dt.date(MIN_YEAR, 1, 1)
MAX_DATE = dt.date(MAX_YEAR, 12, 31)


def range_message():
    return _("Give a date between %(min)s and %(max)s.") % {
        "min": MIN_DATE.isoformat(),
        "max": MAX_DATE.isoformat(),
    }


def in_range(value) -> bool:
    """A date (or datetime) within MIN_DATE..MAX_DATE; a year (int) within the years."""
    if isinstance(value, int):
        return MIN_YEAR <= value <= MAX_YEAR
    if isinstance(value, dt.datetime):
        value = value.date()
    return MIN_DATE <= value <= MAX_DATE


def validate_date_in_range(value):
    """The validator of every date field of forms and the API (installed by core.apps)."""
    if value is not None and not in_range(value):
        raise ValidationError(range_message(), code="date_out_of_range")


def parse_date(value, default=None):
    """An ISO date (`2026-11-30`) from a query parameter or a post, or `default` when it is
    missing, malformed or out of range: what pages use for `?start=`, `day` and the like."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except (TypeError, ValueError):
        return default
    return day if in_range(day) else default


def week_start(request):
    """The day a week page opens on: `?start=` when it is a date in range; today otherwise,
    with a message when the parameter was given but unusable."""
    from django.contrib import messages
    from django.utils import timezone

    value = request.GET.get("start")
    day = parse_date(value)
    if day is None:
        if value:
            messages.warning(request, _("That week is out of range: showing this week."))
        day = timezone.localdate()
    return day
