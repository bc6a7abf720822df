"""The calls and customers services announce their writes as explicit events once the
transaction commits (`calls.signals.call_changed`, `customers.signals.alignment_changed`): what
reports refreshes its snapshots from. Nothing is sent for a rolled-back write or for a proposal
only checked (an amendment request)."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from calls import services
from calls.signals import call_changed
from customers import services as customer_services
from customers.models import Alignment
from customers.signals import alignment_changed
from tests.calls.factories import make_call
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


class Sent(list):
    """The events sent, as (signal name, kwargs but `commit`); `commits`: the commits seen."""

    def __init__(self):
        super().__init__()
        self.commits = set()

    def receiver(self, name):
        def receive(sender, signal, commit, **kwargs):
            self.append((name, kwargs))
            self.commits.add(id(commit))

        return receive


@pytest.fixture
def events():
    sent = Sent()
    signals = {"call_changed": call_changed, "alignment_changed": alignment_changed}
    receivers = {name: sent.receiver(name) for name in signals}
    for name, signal in signals.items():
        signal.connect(receivers[name])
    yield sent
    for name, signal in signals.items():
        signal.disconnect(receivers[name])


def test_a_logged_call_is_announced_on_commit_only(cw, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        call = services.call_create(by=cw.rep_x, customers=[cw.cx])
        assert events == []  # not before the commit

    for callback in callbacks:
        callback()
    assert events == [
        (
            "call_changed",
            {"call_id": call.pk, "territory_id": cw.tx.pk, "dates": (timezone.localdate(),)},
        )
    ]


def test_a_rolled_back_write_announces_nothing(cw, events, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.call_create(by=cw.rep_x, customers=[cw.cx])
        raise RuntimeError

    assert events == []


def test_a_moved_call_names_its_old_and_new_date(cw, events, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    planned = services.call_create(
        by=cw.rep_x, customers=[cw.cx], status="planned", date=today + datetime.timedelta(days=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.call_update(by=cw.rep_x, call=planned, date=today + datetime.timedelta(days=9))

    assert [kwargs["dates"] for _, kwargs in events] == [
        (today + datetime.timedelta(days=9), today + datetime.timedelta(days=3))
    ]


def test_logging_cancelling_and_attendees_are_announced(
    cw, events, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    first = services.call_create(by=cw.rep_x, customers=[cw.cx], status="planned", date=today)
    second = services.call_create(by=cw.rep_x, customers=[cw.cx], status="planned", date=today)
    with django_capture_on_commit_callbacks(execute=True):
        logged = services.call_complete(by=cw.rep_x, call=first)
        services.call_update(by=cw.rep_x, call=logged, customers=[cw.cx, cw.cx2])
        services.call_cancel(by=cw.rep_x, call=second)

    assert [kwargs["call_id"] for _, kwargs in events] == [first.pk, first.pk, second.pk]
    assert len(events.commits) == 1  # one commit: one Commit shared by its events


def test_the_follow_up_of_a_next_appointment_is_announced(
    cw, events, django_capture_on_commit_callbacks
):
    later = timezone.localdate() + datetime.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        call = services.call_create(
            by=cw.rep_x, customers=[cw.cx], next_appointment_date=later, next_objective="Data"
        )

    follow_up = call.territory.calls.get(date=later)
    assert [(kwargs["call_id"], kwargs["dates"]) for _, kwargs in events] == [
        (call.pk, (timezone.localdate(),)),
        (follow_up.pk, (later,)),
    ]


def test_an_amendment_is_announced_when_approved_not_when_requested(
    cw, events, django_capture_on_commit_callbacks
):
    day = timezone.localdate() - datetime.timedelta(days=20)
    call = make_call(
        cw.tx, [cw.cx], date=day, completed_at=timezone.now() - datetime.timedelta(days=19)
    )
    with django_capture_on_commit_callbacks(execute=True):
        amendment = services.amendment_request(
            by=cw.rep_x, call=call, reason="Wrong day", date=day - datetime.timedelta(days=1)
        )
    assert events == []  # the proposal was only checked

    with django_capture_on_commit_callbacks(execute=True):
        services.amendment_approve(by=cw.dm_x, amendment=amendment)

    assert events == [
        (
            "call_changed",
            {
                "call_id": call.pk,
                "territory_id": cw.tx.pk,
                "dates": (day - datetime.timedelta(days=1), day),
            },
        )
    ]


def test_alignments_are_announced_with_their_former_territory(
    cw, events, django_capture_on_commit_callbacks
):
    newcomer = CustomerFactory(institution=cw.hx)
    with django_capture_on_commit_callbacks(execute=True):
        alignment = customer_services.alignment_save(
            alignment=Alignment(), customer=newcomer, territory=cw.tx
        )
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.alignment_save(alignment=alignment, territory=cw.ty)
    with django_capture_on_commit_callbacks(execute=True):
        created = customer_services.customer_create(
            by=cw.rep_x, territory=cw.tx, name="新客户", institution=cw.hx
        )

    assert events == [
        (
            "alignment_changed",
            {
                "alignment_id": alignment.pk,
                "customer_id": newcomer.pk,
                "territory_ids": (cw.tx.pk,),
            },
        ),
        (
            "alignment_changed",
            {
                "alignment_id": alignment.pk,
                "customer_id": newcomer.pk,
                "territory_ids": (cw.ty.pk, cw.tx.pk),
            },
        ),
        (
            "alignment_changed",
            {
                "alignment_id": created.alignments.get().pk,
                "customer_id": created.pk,
                "territory_ids": (cw.tx.pk,),
            },
        ),
    ]
    assert len(events.commits) == 3
