"""The desk's world: the `world` personas (region EAST, districts X and Y) with what waits in
each district: a submitted plan, a pending amendment, a completed call without coaching; and
a way to write a territory's snapshot of this month."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from calls.models import Amendment
from core.periods import month_of
from planning.models import PlanStatus
from reports.models import ActivitySnapshot, ClassSnapshot
from tests.calls.factories import make_call
from tests.planning.factories import make_plan


def snapshot(territory, *, calls, days, a=(0, 0), b=(0, 0), day=None):
    """This month's snapshot of `territory`: `calls` completed over `days` field days, and
    (targets, frequency-compliant) of classes A and B."""
    period = month_of(day or timezone.localdate()).key
    now = timezone.now()
    ActivitySnapshot.objects.update_or_create(
        territory=territory,
        period=period,
        defaults={"completed_calls": calls, "field_days": days, "pim_count": 0, "computed_at": now},
    )
    for klass, (targets, compliant) in (("A", a), ("B", b)):
        ClassSnapshot.objects.update_or_create(
            territory=territory,
            period=period,
            klass=klass,
            defaults={
                "targets": targets,
                "covered": compliant,
                "calls_per_month": 4,
                "frequency_compliant": compliant,
                "computed_at": now,
            },
        )


def waiting(world, territory, rep, customer, *, days_ago=2):
    """A submitted plan, a pending amendment and a completed call without coaching, of `rep`."""
    submitted = timezone.now() - datetime.timedelta(days=days_ago)
    plan = make_plan(rep, territory, status=PlanStatus.SUBMITTED, submitted_at=submitted)
    call = make_call(territory, [customer], date=timezone.localdate() - datetime.timedelta(days=1))
    old = make_call(territory, [customer], date=timezone.localdate() - datetime.timedelta(days=20))
    amendment = Amendment.objects.create(call=old, requested_by=rep, reason="Wrong product")
    return SimpleNamespace(plan=plan, call=call, old=old, amendment=amendment)


@pytest.fixture
def dw(world):
    world.x = waiting(world, world.tx, world.rep_x, world.cx)
    world.y = waiting(world, world.ty, world.rep_y, world.cy)
    return world
