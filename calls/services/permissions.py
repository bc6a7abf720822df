"""Who may do what with calls: log them, coach, decide amendments, co-visit."""

from django.utils.translation import gettext_lazy

from org.models import District, Role, Territory, User

from .. import selectors
from ..models import Call


def can_log_calls(user: User) -> bool:
    """Reps log the calls of their territories; admins may correct any."""
    return user.is_authenticated and (user.is_admin or user.role == Role.REP)


def can_coach(user: User) -> bool:
    return user.is_authenticated and (user.is_admin or user.role in (Role.DM, Role.REGIONAL))


# The one answer to a co-visitor outside the territory's choices (or no such user): it names
# nobody, so an id cannot be used to learn who a user of another district is.
CO_VISITOR_INVALID = gettext_lazy("Choose a co-visitor among the rep's managers.")


def co_visitor_allowed(territory: Territory, user_id) -> bool:
    """Whether `user_id` may co-visit with the rep of `territory` (calls.selectors decides)."""
    return selectors.co_visitor_choices(territory).filter(pk=user_id).exists()


def can_decide_amendments(user: User, call: Call) -> bool:
    """The rep's DM (of the call's territory's district) or an admin."""
    if user.is_admin:
        return True
    return (
        user.role == Role.DM
        and District.objects.filter(pk=call.territory.district_id, dm=user).exists()
    )
