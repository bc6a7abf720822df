"""Customers: create (aligned to a territory from today) and change a profile."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import check_version
from org.models import Role, Territory, User

from ..classification import classify_customer
from ..models import Alignment, Customer, Department, Institution
from .alignments import announce_alignment

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
# Consent (PIPL): to visits and per channel, with its day and source.
CONSENT_FIELDS = (
    "consent_visits",
    "consent_face_to_face",
    "consent_phone",
    "consent_video",
    "consent_meeting",
    "consent_date",
    "consent_source",
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
    unknown = set(fields) - set(CUSTOMER_FIELDS) - set(CONSENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    customer = Customer(**fields)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
    customer.save()
    alignment = Alignment.objects.create(
        customer=customer, territory=territory, valid_from=timezone.localdate()
    )
    announce_alignment(alignment)
    return customer


@transaction.atomic
def customer_update(
    *, by: User, customer: Customer, expected_version: int | None = None, **fields
) -> Customer:
    """Change a customer's profile; the customer must be in `by`'s scope. With
    `expected_version` (the version the caller read), a customer changed since is `Stale`."""
    if not can_edit_customers(by):
        raise PermissionDenied
    customer = Customer.objects.for_user(by).select_for_update().get(pk=customer.pk)
    check_version(customer, expected_version)
    unknown = set(fields) - set(CUSTOMER_FIELDS) - set(CONSENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    kind_before = customer.kind
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
    customer.save()
    if customer.kind != kind_before:  # a non-prescriber is N; a prescriber is classed again
        classify_customer(customer=customer)
    return customer


def customer_consent_save(
    *, by: User, customer: Customer, expected_version: int | None = None, **consent
) -> Customer:
    """Record what the customer agreed to (visits, each channel; None: not asked), when and how
    (customer_update: scoped, under the row lock, `Stale` when changed since read)."""
    unknown = set(consent) - set(CONSENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    return customer_update(by=by, customer=customer, expected_version=expected_version, **consent)
