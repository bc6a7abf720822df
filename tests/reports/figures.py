"""Compliance figures of one call, shared by the reports tests (API and exports)."""

import datetime

from calls.models import Call, CallAttendee
from core.periods import parse
from customers.models import ClassHistory
from reports import engine
from tests.factories import ProductFactory


def one_call(world, day):
    """`world.cx` is class A (since 2026-01-01) for a product of tx's team, `world.rep_x` logged
    one completed call on them on `day`, and that month's snapshots are recomputed."""
    product = ProductFactory()
    world.tx.team.products.add(product)
    ClassHistory.objects.create(
        customer=world.cx,
        product=product,
        klass="A",
        source="computed",
        valid_from=datetime.date(2026, 1, 1),
        cause="measures",
    )
    call = Call.objects.create(
        territory=world.tx,
        rep=world.rep_x,
        date=day,
        status="completed",
        institution=world.hx,
    )
    CallAttendee.objects.create(call=call, customer=world.cx)
    engine.recompute(period=parse(f"{day:%Y-%m}"))
    return world
