"""Event reminders: a plan submitted and an amendment requested tell the district's DM; a plan
returned or approved, an amendment of a call approved or rejected and a coaching comment on a
call tell the rep; a data steward's decision on a rep's customer or change request tells the rep
(once per event; nobody is told of what they did themselves)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from calls.models import Amendment, AmendmentStatus, CoachingComment
from customers.models import Customer
from customers.services import Outcome
from org.models import User
from planning.models import PlanAction, PlanEvent

from . import services
from .models import Rule

KINDS = {
    PlanAction.SUBMITTED: Rule.PLAN_SUBMITTED,
    PlanAction.RETURNED: Rule.PLAN_RETURNED,
    PlanAction.APPROVED: Rule.PLAN_APPROVED,
}


def _plan_submitted(event):
    """The rep's DM (of the plan's territory's district), once per submission."""
    plan = event.plan
    dm = plan.territory.district.dm
    if dm is None or not dm.is_active or dm.pk == event.actor_id:
        return

    def message():
        return _("%(rep)s submitted their plan for %(quarter)s for your approval.") % {
            "rep": plan.rep,
            "quarter": plan.quarter,
        }

    services.notify(
        user=dm,
        kind=Rule.PLAN_SUBMITTED,
        period=f"{plan.pk}#{event.pk}",
        url=reverse("planning:detail", args=[plan.pk]),
        message=message,
    )


def plan_decided(sender, event_id, plan_id, action, **kwargs):
    kind = KINDS.get(action)
    if kind is None:
        return
    event = PlanEvent.objects.select_related(
        "plan__rep", "plan__territory__district__dm", "actor"
    ).get(pk=event_id)
    if kind == Rule.PLAN_SUBMITTED:
        return _plan_submitted(event)
    plan = event.plan
    if event.actor_id == plan.rep_id:
        return

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


# Calls: an amendment decided and a coaching comment tell the rep of the call (once per event;
# nobody is told of what they did themselves).

AMENDMENT_KINDS = {
    AmendmentStatus.APPROVED: Rule.AMENDMENT_APPROVED,
    AmendmentStatus.REJECTED: Rule.AMENDMENT_REJECTED,
}


def _call_label(call):
    return f"{call.date:%Y-%m-%d} {call.institution.display_name}"


def amendment_request(sender, amendment_id, call_id, **kwargs):
    """The DM of the call's district is asked to decide (not the requester themselves)."""
    amendment = Amendment.objects.select_related(
        "requested_by", "call__institution", "call__territory__district__dm"
    ).get(pk=amendment_id)
    call = amendment.call
    dm = call.territory.district.dm
    if dm is None or not dm.is_active or dm.pk == amendment.requested_by_id:
        return

    def message():
        return _("%(rep)s asks you to approve an amendment of the call %(call)s: %(reason)s") % {
            "rep": amendment.requested_by,
            "call": _call_label(call),
            "reason": amendment.reason,
        }

    services.notify(
        user=dm,
        kind=Rule.AMENDMENT_REQUESTED,
        period=f"amendment-request:{amendment.pk}",
        url=reverse("calls:amendment", args=[amendment.pk]),
        message=message,
    )


def amendment_decision(sender, amendment_id, call_id, status, **kwargs):
    kind = AMENDMENT_KINDS.get(status)
    if kind is None:
        return
    amendment = Amendment.objects.select_related(
        "decided_by", "call__rep", "call__institution"
    ).get(pk=amendment_id)
    call = amendment.call
    if amendment.decided_by_id == call.rep_id:
        return

    def message():
        values = {
            "manager": amendment.decided_by,
            "call": _call_label(call),
            "comment": amendment.decision_comment,
        }
        if status == AmendmentStatus.REJECTED:
            return _("%(manager)s rejected your amendment of the call %(call)s: %(comment)s") % (
                values
            )
        if amendment.decision_comment:
            return _("%(manager)s approved your amendment of the call %(call)s: %(comment)s") % (
                values
            )
        return _("%(manager)s approved your amendment of the call %(call)s.") % values

    services.notify(
        user=call.rep,
        kind=kind,
        period=f"amendment:{amendment.pk}",
        url=reverse("calls:amendment", args=[amendment.pk]),
        message=message,
    )


def coaching_comment(sender, comment_id, call_id, **kwargs):
    comment = CoachingComment.objects.select_related(
        "author", "call__rep", "call__institution"
    ).get(pk=comment_id)
    call = comment.call
    if comment.author_id == call.rep_id:
        return

    def message():
        return _("%(manager)s commented on your call %(call)s: %(comment)s") % {
            "manager": comment.author,
            "call": _call_label(call),
            "comment": comment.text,
        }

    services.notify(
        user=call.rep,
        kind=Rule.COACHING_COMMENT,
        period=f"coaching:{comment.pk}",
        url=reverse("calls:detail", args=[call.pk]),
        message=message,
    )


# Master data: the data steward's decision on a rep's customer or change request tells the rep.


def master_data_decision(
    sender, customer_id, customer_name, outcome, user_id, actor_id, reason="", into_id=None,
    request_id=None, **kwargs
):  # fmt: skip
    if user_id == actor_id:
        return
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    into = Customer.objects.filter(pk=into_id).first() if into_id else None

    def message():
        values = {"name": customer_name, "reason": reason, "into": into.name if into else ""}
        if outcome == Outcome.VERIFIED:
            return _("The data steward verified your new customer %(name)s.") % values
        if outcome == Outcome.MERGED:
            return _("The data steward merged %(name)s into the existing customer %(into)s.") % (
                values
            )
        if outcome == Outcome.REJECTED:
            return _("The data steward rejected your new customer %(name)s: %(reason)s") % values
        if outcome == Outcome.CHANGE_ACCEPTED:
            return _("The data steward accepted your change of %(name)s.") % values
        return _("The data steward rejected your change of %(name)s: %(reason)s") % values

    shown = into_id or (None if outcome == Outcome.REJECTED else customer_id)
    services.notify(
        user=user,
        kind=Rule.MASTER_DATA,
        period=f"mdm:{outcome}:{request_id or customer_id}"[:64],
        url=reverse("customers:detail", args=[shown]) if shown else reverse("customers:list"),
        message=message,
    )
