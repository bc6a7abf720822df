"""Write paths for customers and alignments: one transaction each, validated like the forms."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Role, Territory, User

from .models import Alignment, Customer, Department, Institution

CUSTOMER_FIELDS = (
    "name",
    "name_en",
    "kind",
    "role_group",
    "is_kol",
    "institution",
    "department",
    "title",
    "specialty",
    "position",
    "outpatient_days",
    "patients_per_day",
    "products_used",
    "competitor_products",
    "prescribing_habits",
    "attitude",
    "product_awareness",
    "adoption_stage",
    "education",
    "research_topics",
    "associations",
    "best_time_to_visit",
    "best_place_to_visit",
)


def can_edit_customers(user: User) -> bool:
    """Reps, DMs and admins keep customer profiles; regional managers read."""
    return user.is_authenticated and (user.is_admin or user.role in (Role.REP, Role.DM))


def _check_references(*, by: User, institution: Institution, department: Department | None):
    if not Institution.objects.for_user(by).filter(pk=institution.pk).exists():
        raise ValidationError({"institution": _("Choose an institution of your territory.")})
    if (
        department is not None
        and not Department.objects.for_user(by).filter(pk=department.pk).exists()
    ):
        raise ValidationError({"department": _("Choose a department of your territory.")})


@transaction.atomic
def customer_create(*, by: User, territory: Territory, **fields) -> Customer:
    """Create a customer and align it to `territory` from today (a rep: own territory only)."""
    if not can_edit_customers(by):
        raise PermissionDenied
    if not Territory.objects.for_user(by).filter(pk=territory.pk).exists():
        raise ValidationError({"territory": _("Choose one of your territories.")})
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    customer = Customer(**fields)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
    customer.save()
    Alignment.objects.create(
        customer=customer, territory=territory, valid_from=timezone.localdate()
    )
    return customer


@transaction.atomic
def customer_update(*, by: User, customer: Customer, **fields) -> Customer:
    """Change a customer's profile; the customer must be in `by`'s scope."""
    if not can_edit_customers(by):
        raise PermissionDenied
    customer = Customer.objects.for_user(by).select_for_update().get(pk=customer.pk)
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
    customer.save()
    return customer


@transaction.atomic
def alignment_save(
    *, alignment: Alignment, customer=None, territory=None, valid_from=None, valid_to=None
) -> Alignment:
    """Create or change an alignment; periods of the same customer and territory may not overlap.

    `valid_from` defaults to today on create; on change, omitted values keep what they were.
    """
    creating = alignment._state.adding
    alignment.customer = customer or alignment.customer
    alignment.territory = territory or alignment.territory
    alignment.valid_from = valid_from or (
        timezone.localdate() if creating else alignment.valid_from
    )
    if valid_to is not None or creating:
        alignment.valid_to = valid_to
    alignment.full_clean()
    overlapping = (
        Alignment.objects.select_for_update()
        .filter(customer=alignment.customer, territory=alignment.territory)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=alignment.valid_from))
        .exclude(pk=alignment.pk)
    )
    if alignment.valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=alignment.valid_to)
    if overlapping.exists():
        raise ValidationError(
            {"valid_from": _("The customer is already aligned to this territory in this period.")}
        )
    alignment.save()
    return alignment
