"""Coaching: a manager's comment on a call of their scope, announced to the rep."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from org.models import User

from ..models import Call, CoachingComment
from ..signals import coaching_commented
from .permissions import can_coach


@transaction.atomic
def coaching_comment_create(*, by: User, call: Call, text: str) -> CoachingComment:
    """A manager coaches the rep on a call in their scope; the rep sees it on the call."""
    if not can_coach(by):
        raise PermissionDenied
    if not Call.objects.for_user(by).filter(pk=call.pk).exists():
        raise Http404
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")})
    comment = CoachingComment(call=call, author=by, text=text)
    comment._history_user = by
    comment.save()
    transaction.on_commit(
        lambda: coaching_commented.send(
            sender=CoachingComment, comment_id=comment.pk, call_id=comment.call_id
        )
    )
    return comment
