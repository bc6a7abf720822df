"""Write paths of the reports: requirements, and recomputing the snapshots."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from org.models import User

from . import engine
from .models import Requirement
from .periods import Period, current_periods


@transaction.atomic
def requirement_save(*, by: User, requirement: Requirement, **fields) -> Requirement:
    """Change (or create) a team's or the company's requirement of a class; audited."""
    if not by.is_admin:
        raise PermissionDenied
    unknown = set(fields) - {
        "team",
        "klass",
        "monthly_coverage",
        "calls_per_month",
        "quarterly_coverage",
    }
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(requirement, name, value)
    requirement.full_clean()
    requirement.save()
    return requirement


def compliance_recompute(*, period: Period) -> int:
    """Every territory's snapshots of a period, district batch after batch."""
    return engine.recompute(period=period)


def compliance_recompute_district(*, period: Period, district_id) -> int:
    return engine.recompute_batch(period=period, district_ids=[district_id])


def nightly_periods():
    """This and last month, this and last quarter (company time zone)."""
    return current_periods()
