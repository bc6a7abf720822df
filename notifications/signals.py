"""Event reminders: a plan returned or approved tells its rep (once per plan event)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from plans.models import PlanAction, PlanEvent

from . import services
from .models import Rule

KINDS = {PlanAction.RETURNED: Rule.PLAN_RETURNED, PlanAction.APPROVED: Rule.PLAN_APPROVED}


def plan_decided(sender, event_id, plan_id, action, **kwargs):
    kind = KINDS.get(action)
    if kind is None:
        return
    event = PlanEvent.objects.select_related("plan__rep", "actor").get(pk=event_id)
    plan = event.plan

    def message():
        if action == PlanAction.RETURNED:
            return _("%(manager)s returned your plan for %(quarter)s: %(comment)s") % {
                "manager": event.actor,
                "quarter": plan.quarter,
                "comment": event.comment,
            }
        return _("%(manager)s approved your plan for %(quarter)s.") % {
            "manager": event.actor,
            "quarter": plan.quarter,
        }

    services.notify(
        user=plan.rep,
        kind=kind,
        period=f"{plan.pk}#{event.pk}",
        url=reverse("planning:detail", args=[plan.pk]),
        message=message,
    )
