"""Customers: create (a rep's or DM's aligned to a territory from today; an admin's, or an
integration's, without an alignment unless one is asked for) and change a profile.

Master data (services.stewardship): a customer created by anyone but an admin is `pending`
until a data steward decides on it; a non-admin's change of a verified customer's identity
fields (IDENTITY_FIELDS) becomes a change request, while the profile facts apply at once."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import Conflict, check_version
from org.models import Role, Territory, User

from ..classification import classify_customer
from ..models import (
    IDENTITY_FIELDS,
    PROFILE_FIELDS,
    Alignment,
    Customer,
    CustomerStatus,
    Department,
    Institution,
)
from .alignments import announce_alignment
from .stewardship import request_identity_change

CUSTOMER_FIELDS = (
    "name",
    "name_en",
    "kind",
    "role_group",
    "is_kol",
    "institution",
    "department",
    *PROFILE_FIELDS,
    "external_id",
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


def _only_territory(by: User) -> Territory:
    """The territory of a rep or DM who holds exactly one; otherwise `territory` is required."""
    territories = list(Territory.objects.for_user(by).order_by("code")[:2])
    if len(territories) != 1:
        raise ValidationError({"territory": _("This field is required.")})
    return territories[0]


@transaction.atomic
def customer_create(*, by: User, territory: Territory | None = None, **fields) -> Customer:
    """Create a customer.

    A rep's or a DM's is aligned to `territory` (default: their only territory; a rep: their
    own) from today, or they could not see it. An admin's — and an integration's: a master-data
    system signs in as an admin user with a device token — is master data: it is aligned only
    when `territory` is given, else created without any alignment, so that alignments from any
    date are added as their own resource (`alignment_save`) without colliding with one from
    today. Only admins see a customer aligned nowhere."""
    if not can_edit_customers(by):
        raise PermissionDenied
    if territory is None and not by.is_admin:
        territory = _only_territory(by)
    in_scope = Territory.objects.for_user(by).filter(pk=getattr(territory, "pk", None))
    if territory is not None and not in_scope.exists():
        raise ValidationError({"territory": _("Choose one of your territories.")})
    unknown = set(fields) - set(CUSTOMER_FIELDS) - set(CONSENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    customer = Customer(**fields)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
        customer.status = CustomerStatus.PENDING
    customer.created_by = by
    customer.save()
    if territory is not None:
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
    `expected_version` (the version the caller read), a customer changed since is `Stale`.

    A non-admin's change of a verified customer's identity fields is validated with the rest
    but kept as a change request (`customer.change_request`; None when there is none), the
    other fields are saved at once. A customer merged or rejected meanwhile is a `Conflict`."""
    if not can_edit_customers(by):
        raise PermissionDenied
    customer_pk = customer.pk
    customer = Customer.objects.for_user(by).select_for_update().filter(pk=customer_pk).first()
    if customer is None:
        stored = Customer._base_manager.filter(pk=customer_pk).values("erased_at").first()
        if stored is None:
            raise Conflict(_("This customer was merged or rejected meanwhile."))
        if stored["erased_at"] is not None:
            # erased meanwhile (customers.services.privacy, under the same row lock)
            raise Conflict(_("This customer's personal data has been erased."))
        raise Customer.DoesNotExist  # out of `by`'s scope
    check_version(customer, expected_version)
    unknown = set(fields) - set(CUSTOMER_FIELDS) - set(CONSENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    kind_before = customer.kind
    stored = {name: getattr(customer, name) for name in (*IDENTITY_FIELDS, "role_group")}
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
    requested = {}
    if not by.is_admin and customer.status == CustomerStatus.VERIFIED:
        requested = {
            name: getattr(customer, name)
            for name in IDENTITY_FIELDS
            if name in fields and getattr(customer, name) != stored[name]
        }
        if "kind" in requested:
            requested["role_group"] = customer.role_group
        for name in requested:  # kept as they are until the steward accepts
            setattr(customer, name, stored[name])
    customer.save()
    customer.change_request = (
        request_identity_change(by=by, customer=customer, changes=requested) if requested else None
    )
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
