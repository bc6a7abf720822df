"""Read paths of the organisation: scoped querysets and the work calendar."""

from datetime import date, timedelta

from django.db.models import Q

from .models import Absence, CalendarDay, District, Region, Role, Territory, User


def territories_for_user(user):
    return Territory.objects.for_user(user).select_related("team", "district", "rep")


def districts_for_user(user):
    """The districts a manager leads or a rep works in; all for an admin."""
    if user.is_admin:
        return District.objects.all()
    return District.objects.filter(territories__in=Territory.objects.for_user(user)).distinct()


def region_of(user):
    if user.role == Role.REGIONAL:
        return Region.objects.filter(manager=user).first()
    return None


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
