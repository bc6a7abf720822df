"""Joint calls: a rep proposes to join a colleague's planned visit; the colleague decides."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call
from core.concurrency import Conflict
from org.models import User

from .. import selectors
from ..models import JointCallProposal, JointCallStatus
from .permissions import can_plan


@transaction.atomic
def joint_call_propose(*, by: User, call: Call, note: str = "") -> JointCallProposal:
    """Propose to join a colleague's planned visit (a rep of the same district)."""
    if not can_plan(by):
        raise PermissionDenied(_("Only a rep proposes a joint call."))
    call = selectors.shared_calls(by).filter(pk=call.pk).first()
    if call is None:
        raise Http404
    if call.date < timezone.localdate():
        raise Conflict(_("This visit is in the past."))
    if JointCallProposal.objects.filter(
        call=call, proposer=by, status=JointCallStatus.PENDING
    ).exists():
        raise Conflict(_("You have proposed to join this call already."))
    return JointCallProposal.objects.create(call=call, proposer=by, note=(note or "").strip())


@transaction.atomic
def joint_call_decide(*, by: User, proposal: JointCallProposal, accept: bool):
    """The colleague whose visit it is accepts or declines."""
    proposal = (
        JointCallProposal.objects.select_for_update(of=("self",))
        .select_related("call")
        .filter(pk=proposal.pk, call__rep=by)
        .first()
    )
    if proposal is None:
        raise Http404
    if proposal.status != JointCallStatus.PENDING:
        raise Conflict(_("This proposal has been decided already."))
    proposal.status = JointCallStatus.ACCEPTED if accept else JointCallStatus.DECLINED
    proposal.decided_at = timezone.now()
    proposal.save()
    return proposal
