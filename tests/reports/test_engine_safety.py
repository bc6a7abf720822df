"""The engine is safe to kill and to run twice at once: a run that dies midway leaves the previous
complete snapshot (each batch is one transaction), and two concurrent runs of the same period end
with the rows one run gives, without errors."""

from unittest import mock

import pytest
from django.db import DatabaseError, connection

from core.periods import parse
from reports import engine
from reports.models import ActivitySnapshot, ClassSnapshot
from tests.concurrency import at_once
from tests.factories import ProductFactory, classify
from tests.reports.test_pages import call

PERIOD = parse("2026-03")


def snapshot():
    classes = sorted(
        ClassSnapshot.objects.filter(period=PERIOD.key).values_list(
            "territory", "klass", "targets", "covered", "frequency_compliant", "calls"
        )
    )
    activity = sorted(
        ActivitySnapshot.objects.filter(period=PERIOD.key).values_list(
            "territory", "completed_calls", "pim_count"
        )
    )
    return classes, activity


def seed(world):
    product = ProductFactory()
    world.tx.team.products.add(product)
    world.ty.team.products.add(product)
    classify(world.cx, product, "A")
    classify(world.cy, product, "B")
    call(world.tx, [world.cx], day=3)
    call(world.ty, [world.cy], day=4)


class Killed(DatabaseError):
    pass


def dies_at_the_activity_rows(execute):
    """A cursor.execute that fails (as a killed connection would) at the batch's last statement."""

    def wrapped(self, sql, params=None):
        if "INSERT INTO reports_activitysnapshot" in sql:
            raise Killed("connection lost")
        return execute(self, sql, params)

    return wrapped


@pytest.mark.django_db
def test_a_run_killed_midway_leaves_the_previous_complete_snapshot(world):
    seed(world)
    engine.recompute(period=PERIOD)
    before = snapshot()
    call(world.tx, [world.cx], day=5)  # the next run would change tx's figures

    from django.db.backends.utils import CursorWrapper

    with (
        mock.patch.object(
            CursorWrapper, "execute", dies_at_the_activity_rows(CursorWrapper.execute)
        ),
        pytest.raises(Killed),
    ):
        engine.recompute(period=PERIOD)

    # The class rows were deleted and rewritten before the failure: all of it rolled back.
    assert snapshot() == before
    engine.recompute(period=PERIOD)
    assert snapshot() != before


@pytest.mark.django_db
def test_a_batch_that_fails_leaves_the_batches_before_it_written(world):
    seed(world)
    engine.recompute(period=PERIOD)
    call(world.tx, [world.cx], day=5)
    call(world.ty, [world.cy], day=6)
    before = dict(
        ActivitySnapshot.objects.filter(period=PERIOD.key).values_list(
            "territory", "completed_calls"
        )
    )
    first, second = world.district_x.pk, world.district_y.pk
    engine.recompute_batch(period=PERIOD, district_ids=[first])
    from django.db.backends.utils import CursorWrapper

    with (
        mock.patch.object(
            CursorWrapper, "execute", dies_at_the_activity_rows(CursorWrapper.execute)
        ),
        pytest.raises(Killed),
    ):
        engine.recompute_batch(period=PERIOD, district_ids=[second])

    after = dict(
        ActivitySnapshot.objects.filter(period=PERIOD.key).values_list(
            "territory", "completed_calls"
        )
    )
    assert after[world.tx.pk] == before[world.tx.pk] + 1  # district X: new and complete
    assert after[world.ty.pk] == before[world.ty.pk]  # district Y: old and complete


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_end_with_the_rows_of_one_run(world):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer)")
    seed(world)
    engine.recompute(period=PERIOD)
    expected = snapshot()

    def run():
        for _ in range(3):
            engine.recompute(period=PERIOD)

    errors = at_once(run, run)

    assert errors == []
    assert snapshot() == expected
