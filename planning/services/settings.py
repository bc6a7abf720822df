"""The planning settings (admins): the capacity floor a plan's approval warns below."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.concurrency import check_version
from org.models import User

from ..models import PlanningSettings


@transaction.atomic
def planning_settings_save(*, by: User, capacity_floor, expected_version=None) -> PlanningSettings:
    """Set the capacity floor (a whole percentage 0–100); recorded in the settings' history
    with who changed it. Out of range: ValidationError; with `expected_version` (the version
    the form was read at) settings changed meanwhile are `Stale`; either way nothing written."""
    if not (by.is_authenticated and by.is_admin):
        raise PermissionDenied(_("Only an administrator changes the planning settings."))
    if (
        isinstance(capacity_floor, bool)
        or not isinstance(capacity_floor, int)
        or not 0 <= capacity_floor <= 100
    ):
        raise ValidationError(
            {"capacity_floor": _("The capacity floor is a percentage from 0 to 100.")}
        )
    PlanningSettings.load()
    settings_ = PlanningSettings.objects.select_for_update().get(pk=1)
    check_version(
        settings_,
        expected_version,
        _(
            "Someone else changed the planning settings meanwhile (now version %(v)s); "
            "your change was not saved. Check them and save again."
        ),
    )
    if settings_.capacity_floor == capacity_floor:
        return settings_
    settings_.capacity_floor = capacity_floor
    settings_.version += 1
    settings_._history_user = by
    settings_.save()
    return settings_
