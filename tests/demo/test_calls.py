"""The demo's calls: catalogues, a quarter of realistic calls, weekly PIMs, today's itinerary;
the same seed gives the same calls."""

import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from calls.models import Call, CallAttendee, CallStatus, KeyMessage, Material
from org.models import CalendarDay, Territory

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_quarter_of_calls_pims_and_todays_itinerary():
    started = time.monotonic()
    call_command("seed_demo", stdout=io.StringIO())
    elapsed = time.monotonic() - started

    today = timezone.localdate()
    assert KeyMessage.objects.count() >= 10
    assert Material.objects.filter(kind="sample").exists()
    completed = Call.objects.completed()
    assert completed.count() > 3000
    assert not completed.filter(date__gt=today).exists()
    holidays = CalendarDay.objects.filter(is_working_day=False).values("date")
    assert not Call.objects.filter(date__in=holidays).exists()
    pim = completed.filter(is_pim=True).first()
    assert CallAttendee.objects.filter(call=pim).count() >= 2
    for territory in Territory.objects.exclude(rep=None):
        calls = Call.objects.filter(territory=territory)
        if today.weekday() < 5:
            assert calls.filter(status=CallStatus.PLANNED, date=today).exists(), territory
        assert calls.filter(is_pim=True).count() >= 8  # about one a week
        # attendees are customers of the territory
        assert not (
            CallAttendee.objects.filter(call__territory=territory)
            .exclude(customer__alignments__territory=territory)
            .exists()
        )
    assert elapsed < 120
