"""Who may do what in planning."""

from org.models import District, Role, User

from ..models import Plan


def can_plan(user: User) -> bool:
    return user.is_authenticated and user.role == Role.REP and not user.is_superuser


def can_decide(user: User, plan: Plan) -> bool:
    """The rep's DM (the DM of the plan's territory's district) or an admin."""
    if user.is_admin:
        return True
    return (
        user.role == Role.DM
        and District.objects.filter(pk=plan.territory.district_id, dm=user).exists()
    )
