"""Periods: calendar months ("2026-10") and quarters ("2026-Q4") in the company's time zone."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import MAX_YEAR, MIN_YEAR, in_range

PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date

    @property
    def is_month(self):
        return "Q" not in self.key

    @property
    def months(self):
        """The month periods of this period (itself for a month)."""
        if self.is_month:
            return [self]
        return [month_of(self.start.replace(month=self.start.month + i)) for i in range(3)]

    def previous(self):
        return (
            month_of(self.start - timedelta(days=1))
            if self.is_month
            else quarter_of(self.start - timedelta(days=1))
        )

    def __str__(self):
        return self.key


def _month_end(year, month):
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def month_of(day: date) -> Period:
    return Period(
        f"{day.year}-{day.month:02d}", day.replace(day=1), _month_end(day.year, day.month)
    )


def quarter_of(day: date) -> Period:
    quarter = (day.month - 1) // 3 + 1
    first = 3 * quarter - 2
    return Period(
        f"{day.year}-Q{quarter}", date(day.year, first, 1), _month_end(day.year, first + 2)
    )


def parse(key: str, field: str = "period") -> Period:
    """A Period from "2026-10" or "2026-Q4"; a ValidationError naming `field` otherwise."""
    match = PERIOD.match((key or "").strip())
    if not match:
        raise ValidationError({field: _("Give a month like 2026-10 or a quarter like 2026-Q4.")})
    year, month, quarter = match.groups()
    if not in_range(int(year)):
        bounds = {"min": MIN_YEAR, "max": MAX_YEAR}
        raise ValidationError({field: _("Give a period between %(min)s and %(max)s.") % bounds})
    if month:
        return month_of(date(int(year), int(month), 1))
    return quarter_of(date(int(year), 3 * int(quarter) - 2, 1))


def current_periods(today: date | None = None) -> list[Period]:
    """What the nightly job recomputes: this and last month, this and last quarter."""
    today = today or timezone.localdate()
    month, quarter = month_of(today), quarter_of(today)
    return [month, month.previous(), quarter, quarter.previous()]
