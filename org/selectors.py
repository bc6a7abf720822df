"""Read paths of the organisation: the work calendar and field days.

Scoped querysets are `Model.objects.for_user(user)` (org.models.ScopedQuerySet)."""

from datetime import date, timedelta

from django.db.models import Q

from .models import Absence, CalendarDay, User


def working_days(start: date, end: date) -> list[date]:
    """Company working days in [start, end]: Monday–Friday, minus holidays, plus make-up days."""
    exceptions = dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_working_day")
    )
    days = []
    day = start
    while day <= end:
        if exceptions.get(day, day.weekday() < 5):
            days.append(day)
        day += timedelta(days=1)
    return days


def field_days(rep: User, start: date, end: date) -> int:
    """Working days in [start, end] on which the rep was not on leave, training or meeting."""
    absences = Absence.objects.filter(rep=rep).filter(Q(date_from__lte=end) & Q(date_to__gte=start))
    absent = set()
    for date_from, date_to in absences.values_list("date_from", "date_to"):
        day = max(date_from, start)
        while day <= min(date_to, end):
            absent.add(day)
            day += timedelta(days=1)
    return sum(1 for day in working_days(start, end) if day not in absent)
