"""Refresh on change: a territory's snapshots are recomputed right after its calls or alignments
change, by a task enqueued when the transaction commits.

The apps depend one way (calls and customers never import reports), so the receivers are
connected here, from ReportsConfig.ready(). They are thin: they only note (period, territory)
pairs; nothing is enqueued when the transaction rolls back, and several saves in one transaction
(a call, its attendees, its products…) enqueue one task per (period, territory).

Which periods: the month and quarter of the call's date (its old date too, when moved), unless
they are still in the future (no snapshot is kept for them); for an alignment, the current month
and quarter. Class changes are written by raw SQL in customers/classification.py (no signals):
the nightly job (02:00) picks them up.
"""

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone

from core import outbox
from core.periods import month_of, quarter_of

STATE = "_reports_refresh"


def call_periods(day, today=None):
    """The month and quarter of `day`, unless they begin after today."""
    today = today or timezone.localdate()
    if day is None:
        return []
    return [p for p in (month_of(day), quarter_of(day)) if p.start <= today]


def current_periods(today=None):
    today = today or timezone.localdate()
    return [month_of(today), quarter_of(today)]


def _flush(state):
    from .tasks import recompute_territory

    if state["done"]:
        return
    state["done"] = True
    calls = state.pop("calls", set())
    if calls:  # attendees whose call was not loaded: their call's territory and date now
        from calls.models import Call

        for territory_id, day in Call.objects.filter(pk__in=calls).values_list(
            "territory_id", "date"
        ):
            for period in call_periods(day):
                state["keys"].add((period.key, territory_id))
    for period, territory_id in sorted(state["keys"], key=str):
        outbox.send(recompute_territory, period, str(territory_id))


def _pending():
    """This transaction's pending pairs, with an on-commit flush registered for them (a new
    set when the previous flush ran, or was dropped with a rolled-back transaction).

    The flush is registered again when other callbacks were registered after it, so that one
    runs after every change (the first to run sends every pair; the others find nothing left),
    and so that tests' captureOnCommitCallbacks, which sees only the callbacks registered within
    it, sees one. A pair noted in a savepoint that later rolls back may still be refreshed with
    the others: a harmless, idempotent extra recompute."""
    state = getattr(connection, STATE, None)
    pending = connection.run_on_commit
    alive = (
        state is not None
        and not state["done"]
        and any(entry[1] is state["flush"] for entry in pending)
    )
    if not alive:
        state = {"keys": set(), "calls": set(), "done": False}
        state["flush"] = lambda: _flush(state)
        setattr(connection, STATE, state)
    if not pending or pending[-1][1] is not state["flush"]:
        transaction.on_commit(state["flush"], robust=True)
    return state


def refresh(territory_id, periods):
    """Refresh these periods of a territory once the current transaction commits."""
    if territory_id is None or not periods:
        return
    if not connection.in_atomic_block:
        from .tasks import recompute_territory

        for period in periods:
            outbox.send_on_commit(recompute_territory, period.key, str(territory_id))
        return
    _pending()["keys"].update((period.key, territory_id) for period in periods)


def _call_init(sender, instance, **kwargs):
    instance._reports_was = (instance.__dict__.get("territory_id"), instance.__dict__.get("date"))


def _call_changed(sender, instance, **kwargs):
    territory_id, day = instance._reports_was if hasattr(instance, "_reports_was") else (None, None)
    if territory_id is not None and (territory_id, day) != (instance.territory_id, instance.date):
        refresh(territory_id, call_periods(day))
    refresh(instance.territory_id, call_periods(instance.date))
    instance._reports_was = (instance.territory_id, instance.date)


def _attendee_changed(sender, instance, **kwargs):
    from calls.models import CallAttendee

    if CallAttendee.call.is_cached(instance):
        refresh(instance.call.territory_id, call_periods(instance.call.date))
    elif connection.in_atomic_block:
        _pending()["calls"].add(instance.call_id)
    else:
        call_id = instance.call_id

        def later():
            state = {"keys": set(), "calls": {call_id}, "done": False}
            _flush(state)

        transaction.on_commit(later, robust=True)


def _alignment_changed(sender, instance, **kwargs):
    refresh(instance.territory_id, current_periods())


def connect():
    """Connect the receivers (from ReportsConfig.ready())."""
    from calls.models import Call, CallAttendee
    from customers.models import Alignment

    uid = "reports.refresh"
    post_init.connect(_call_init, sender=Call, dispatch_uid=f"{uid}.call_init")
    for signal in (post_save, post_delete):
        name = "save" if signal is post_save else "delete"
        signal.connect(_call_changed, sender=Call, dispatch_uid=f"{uid}.call_{name}")
        signal.connect(_attendee_changed, sender=CallAttendee, dispatch_uid=f"{uid}.att_{name}")
        signal.connect(_alignment_changed, sender=Alignment, dispatch_uid=f"{uid}.aln_{name}")
