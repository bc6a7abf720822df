"""Refresh on change: a territory's snapshots are recomputed once its calls or alignments change
and the transaction commits — one task per (period, territory), none after a rollback."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from calls import services as call_services
from core.periods import month_of, quarter_of
from customers import services as customer_services
from customers.models import Alignment, ClassHistory
from reports.models import ActivitySnapshot, ClassSnapshot
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The recompute_territory tasks sent, as (period, territory id) pairs (not run)."""
    calls = []
    monkeypatch.setattr(
        "reports.tasks.recompute_territory.apply_async",
        lambda args=(), kwargs=None, **options: calls.append(tuple(args)),
    )
    return calls


def now_keys(territory, day=None):
    day = day or timezone.localdate()
    return sorted((period.key, str(territory.pk)) for period in (month_of(day), quarter_of(day)))


def log_call(world, day=None, status="completed", customers=None):
    return call_services.call_create(
        by=world.rep_x,
        customers=customers or [world.cx],
        date=day or timezone.localdate(),
        status=status,
    )


def test_logging_a_call_refreshes_the_months_snapshot(world, django_capture_on_commit_callbacks):
    product = ProductFactory()
    world.tx.team.products.add(product)
    ClassHistory.objects.create(
        customer=world.cx,
        product=product,
        klass="A",
        source="computed",
        valid_from=datetime.date(2020, 1, 1),
        cause="measures",
    )
    month = month_of(timezone.localdate()).key

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        log_call(world)

    assert len(callbacks) == 1  # one flush for the whole transaction
    activity = ActivitySnapshot.objects.get(territory=world.tx, period=month)
    assert activity.completed_calls == 1
    snapshot = ClassSnapshot.objects.get(territory=world.tx, period=month, klass="A")
    assert (snapshot.targets, snapshot.covered) == (1, 1)
    assert ClassSnapshot.objects.filter(
        territory=world.tx, period=quarter_of(timezone.localdate()).key, klass="A"
    ).exists()
    assert not ActivitySnapshot.objects.filter(territory=world.ty).exists()  # only tx


def test_nothing_is_sent_when_the_transaction_rolls_back(
    world, sent, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        log_call(world)
        raise RuntimeError

    assert callbacks == [] and sent == []

    # The next commit is not polluted by the rolled-back one.
    newcomer = CustomerFactory(institution=world.cy.institution)  # not aligned yet
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        customer_services.alignment_save(
            alignment=Alignment(), customer=newcomer, territory=world.ty
        )
    assert sorted(sent) == now_keys(world.ty)


def test_several_saves_in_one_transaction_send_one_task_per_period_and_territory(
    world, sent, django_capture_on_commit_callbacks
):
    other = CustomerFactory(territory=world.tx)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        call = log_call(world, status="planned", customers=[world.cx, other])
        call = call_services.call_complete(by=world.rep_x, call=call)
        call_services.call_update(by=world.rep_x, call=call, notes="again")

    assert sorted(sent) == now_keys(world.tx)


def test_an_attendee_alone_refreshes_its_calls_territory(
    world, sent, django_capture_on_commit_callbacks
):
    call = log_call(world, customers=[world.cx, CustomerFactory(territory=world.tx)])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        call_services.call_update(by=world.rep_x, call=call, customers=[world.cx])  # one less

    assert sorted(sent) == now_keys(world.tx)


def test_a_past_call_refreshes_its_own_month_and_quarter(
    world, sent, django_capture_on_commit_callbacks
):
    day = datetime.date(2025, 2, 14)
    with django_capture_on_commit_callbacks(execute=True):
        log_call(world, day=day, status="planned")  # a completed one: beyond the backdating limit

    assert sorted(set(sent)) == [("2025-02", str(world.tx.pk)), ("2025-Q1", str(world.tx.pk))]


def test_a_future_call_refreshes_nothing(world, sent, django_capture_on_commit_callbacks):
    day = timezone.localdate() + datetime.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        log_call(world, day=day, status="planned")

    assert sent == []


def test_moving_a_call_to_another_day_refreshes_the_old_and_the_new_periods(
    world, sent, django_capture_on_commit_callbacks
):
    """(A call never moves to another territory: calls.services refuses it.)"""
    today = timezone.localdate()
    before = month_of(today).previous().start  # last month, and maybe last quarter
    call = log_call(world, day=before, status="planned")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        call_services.call_update(by=world.rep_x, call=call, date=today)

    assert sorted(sent) == sorted(set(now_keys(world.tx) + now_keys(world.tx, before)))


def test_cancelling_a_call_refreshes_its_territory(world, sent, django_capture_on_commit_callbacks):
    call = log_call(world, status="planned")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        call_services.call_cancel(by=world.rep_x, call=call)

    assert sorted(set(sent)) == now_keys(world.tx)


def test_deleting_a_planned_call_refreshes_its_territory(
    world, sent, django_capture_on_commit_callbacks
):
    """(Only a planned call is deleted; a completed one is amended, never deleted.)"""
    call = log_call(world, status="planned")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        call_services.call_delete(by=world.rep_x, call=call)

    assert sorted(set(sent)) == now_keys(world.tx)


def test_an_alignment_change_refreshes_the_current_periods(
    world, sent, django_capture_on_commit_callbacks
):
    alignment = Alignment.objects.get(customer=world.cx)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        customer_services.alignment_save(alignment=alignment, valid_to=timezone.localdate())

    assert sorted(sent) == now_keys(world.tx)


def test_an_alignment_moved_to_another_territory_refreshes_both(
    world, sent, django_capture_on_commit_callbacks
):
    alignment = Alignment.objects.get(customer=world.cx)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        customer_services.alignment_save(alignment=alignment, territory=world.ty)

    assert sorted(sent) == sorted(now_keys(world.tx) + now_keys(world.ty))


def test_two_transactions_send_their_tasks_each(world, sent, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            log_call(world)

    assert sorted(sent) == sorted(now_keys(world.tx) * 2)


def test_the_task_recomputes_only_that_territory(world):
    from reports.tasks import recompute_territory

    recompute_territory("2026-03", str(world.tx.pk))

    assert ActivitySnapshot.objects.filter(period="2026-03").count() == 1
    assert ActivitySnapshot.objects.get(period="2026-03").territory == world.tx
    recompute_territory("2026-03", "00000000-0000-0000-0000-000000000000")  # gone: nothing
