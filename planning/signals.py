"""`plan_event`: sent after the commit of every plan transition, with the PlanEvent's id.

Notifications (issue 9) connect a receiver here to tell the rep (approved / returned) or the DM
(submitted); the PlanEvent row itself is the durable record."""

from django.dispatch import Signal

plan_event = Signal()  # kwargs: event_id, plan_id, action
