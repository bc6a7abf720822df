"""Events of the calls app, sent after the commit of the write that caused them (a rolled-back
write sends nothing).

- `call_changed`: a call was written (created, changed, logged, cancelled, deleted, its
  attendees changed, an amendment applied, the follow-up of a next appointment planned; a
  deleted call's id no longer exists when the event is sent): kwargs call_id,
  territory_id, dates (its date, and its former date when the write moved it; a tuple), and
  commit (`core.events.Commit`, shared by the events of one commit). Reports receive it to
  refresh that territory's snapshots of those dates' periods, once per commit.
- `amendment_requested`: kwargs amendment_id, call_id. Notifications tell the call's DM.
- `amendment_decided`: kwargs amendment_id, call_id, status ("approved" or "rejected").
  Notifications tell the rep; the Amendment row itself is the durable record.
- `coaching_commented`: kwargs comment_id, call_id. Notifications tell the rep; the
  CoachingComment row itself is the durable record.
"""

from django.dispatch import Signal

call_changed = Signal()
amendment_requested = Signal()
amendment_decided = Signal()
coaching_commented = Signal()
