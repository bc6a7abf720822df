"""Refresh on change: a territory's snapshots are recomputed right after its calls or alignments
change. The calls and customers services announce each write once it commits
(`calls.signals.call_changed`, `customers.signals.alignment_changed`; the apps below never import
reports), and these receivers, connected by ReportsConfig.ready(), send
`reports.tasks.recompute_territory` through the outbox. Nothing is sent for a rolled-back write;
several writes in one transaction (a call planned then logged, two calls of one territory…) send
one task per (period, territory): the events of one commit share a `core.events.Commit`.

Which periods: the month and quarter of the call's date (its former date too, when moved),
unless they are still in the future (no snapshot is kept for them); for an alignment, the current
month and quarter. Class changes are written by raw SQL in customers/classification.py (no
events): the nightly job (02:00) picks them up.
"""

from django.utils import timezone

from calls.signals import call_changed
from core import outbox
from core.periods import month_of, quarter_of
from customers.signals import alignment_changed

from .tasks import recompute_territory


def call_periods(day, today=None):
    """The month and quarter of `day`, unless they begin after today."""
    today = today or timezone.localdate()
    if day is None:
        return []
    return [p for p in (month_of(day), quarter_of(day)) if p.start <= today]


def alignment_periods(today=None):
    """The current month and quarter (what a change of a territory's customers refreshes)."""
    today = today or timezone.localdate()
    return [month_of(today), quarter_of(today)]


def refresh(*, commit, territory_id, periods):
    """Send the recompute of these periods of a territory, each once per commit."""
    for period in periods:
        if commit.first((recompute_territory.name, period.key, territory_id)):
            outbox.send(recompute_territory, period.key, str(territory_id))


def on_call_changed(sender, *, commit, territory_id, dates, **kwargs):
    periods = dict.fromkeys(period for day in dates for period in call_periods(day))
    refresh(commit=commit, territory_id=territory_id, periods=periods)


def on_alignment_changed(sender, *, commit, territory_ids, **kwargs):
    periods = alignment_periods()
    for territory_id in territory_ids:
        refresh(commit=commit, territory_id=territory_id, periods=periods)


def connect():
    """Connect the receivers (from ReportsConfig.ready())."""
    call_changed.connect(on_call_changed, dispatch_uid="reports.call_changed")
    alignment_changed.connect(on_alignment_changed, dispatch_uid="reports.alignment_changed")
