"""Master data (DOMAIN.md "Master data"): a data steward (an admin) verifies a pending customer,
merges a customer into another or rejects a pending one, and accepts or rejects a rep's change
request of a verified customer's identity fields.

Every action is one transaction that locks the customer rows it works on (`select_for_update`),
so of two stewards acting on the same customer one wins and the other gets a `Conflict` (API:
409) saying what happened meanwhile. The rep is told of the outcome through the
`customer_reviewed` event (notifications connects to it: it sits above customers).

Merge moves everything that points at the merged-away customer, whatever app it belongs to,
found through the model relations (so a relation added later moves too): alignments (a period
overlapping one of the kept customer's in the same territory is collapsed into it), measures,
overrides, call attendances, plan targets, monthly focus lists … A row that would collide with
one of the kept customer's (the same call, plan, product and day, an override of a product the
kept customer has one of …) is dropped: the kept customer's wins. The records that own moved
rows (a call, a plan) get a new version so clients sync them again. The merged-away customer is
deleted (a sync delete to those who held it); its history stays, its last entry saying where it
went.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, ManyToManyRel, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalChanges
from simple_history.utils import bulk_update_with_history

from core import changelog, events
from core.concurrency import Conflict, check_version
from core.models import ChangeOp, SyncedModel
from org.models import User, overlaps

from ..classification import classify_customer
from ..models import (
    PROFILE_FIELDS,
    Alignment,
    ChangeRequest,
    ChangeRequestStatus,
    ClassHistory,
    ClassOverride,
    Customer,
    CustomerKind,
    CustomerStatus,
    Department,
    Institution,
)
from ..signals import customer_reviewed
from .alignments import announce_alignment


class Outcome:
    """What the steward decided (the `outcome` of `customer_reviewed`)."""

    VERIFIED = "verified"
    MERGED = "merged"
    REJECTED = "rejected"
    CHANGE_ACCEPTED = "change_accepted"
    CHANGE_REJECTED = "change_rejected"


REASON_MAX = 300


def can_steward(user: User) -> bool:
    """Admins are the data stewards."""
    return user.is_authenticated and user.is_active and user.is_admin


def _check_steward(by):
    if not can_steward(by):
        raise PermissionDenied


def _lock(pk) -> Customer:
    """The customer's row, locked; `Conflict` when it is gone (merged or rejected meanwhile)."""
    customer = Customer.objects.select_for_update().filter(pk=pk).first()
    if customer is None:
        raise Conflict(_("This customer was merged or rejected meanwhile."))
    return customer


def _announce(customer, outcome, *, by, user_id, reason="", into=None, request_id=None):
    if user_id is None:
        return
    events.send_on_commit(
        customer_reviewed,
        sender=Customer,
        customer_id=customer.pk,
        customer_name=customer.name,
        outcome=outcome,
        user_id=user_id,
        actor_id=by.pk,
        reason=reason,
        into_id=into.pk if into is not None else None,
        request_id=request_id,
    )


def _clean_reason(reason, *, required):
    reason = (reason or "").replace("\x00", "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("At most %(n)s characters.") % {"n": REASON_MAX}},
        )
    return reason


@transaction.atomic
def customer_verify(*, by: User, customer: Customer, expected_version=None) -> Customer:
    """A pending customer becomes verified."""
    _check_steward(by)
    customer = _lock(customer.pk)
    check_version(customer, expected_version)
    if customer.status != CustomerStatus.PENDING:
        raise Conflict(_("This customer is verified already."))
    customer.status = CustomerStatus.VERIFIED
    customer.save()
    _announce(customer, Outcome.VERIFIED, by=by, user_id=customer.created_by_id)
    return customer


@transaction.atomic
def customer_reject(*, by: User, customer: Customer, reason: str, expected_version=None) -> None:
    """A pending customer is removed: a sync delete to those who held it. The calls it attended
    stay (the visit at the institution happened and stays in the rep's record); the customer
    is no longer among their attendees (its attendance history is kept). A focus customer of a
    plan cannot be rejected (merge it, or take it off the plan first)."""
    _check_steward(by)
    reason = _clean_reason(reason, required=True)
    customer = _lock(customer.pk)
    check_version(customer, expected_version)
    if customer.status != CustomerStatus.PENDING:
        raise Conflict(_("Only a pending customer can be rejected; merge a verified one."))
    relations = _relations()
    for model, field in relations:
        protected = field.remote_field.on_delete is models.PROTECT
        if protected and model._base_manager.filter(**{field.name: customer}).exists():
            raise Conflict(
                _("This customer is on a plan (%(what)s): merge it into another instead.")
                % {"what": model._meta.verbose_name}
            )
    for model, field in relations:
        if model is not ClassHistory:  # derived rows: they own nothing clients hold
            _touch_owners(model, model._base_manager.filter(**{field.name: customer}))
    _delete(customer, _("Rejected: %(reason)s") % {"reason": reason})
    _announce(customer, Outcome.REJECTED, by=by, user_id=customer.created_by_id, reason=reason)


@transaction.atomic
def customer_merge(
    *, by: User, customer: Customer, into: Customer, expected_version=None
) -> Customer:
    """Merge `customer` into `into` (module docstring): returns `into`, which keeps its identity
    and takes the profile facts it lacks from `customer`."""
    _check_steward(by)
    if into is None or into.pk == customer.pk:
        raise ValidationError({"into": _("Choose another customer to merge into.")})
    # Both rows locked, in one order (two merges of the same pair do not deadlock).
    first, second = sorted([customer.pk, into.pk])
    locked = {first: _lock(first), second: _lock(second)}
    customer, into = locked[customer.pk], locked[into.pk]
    check_version(customer, expected_version)

    # Where the merged-away customer was seen: its delete goes there (read before its
    # alignments move).
    places = changelog.places_of(Customer, customer)

    _take_profile_facts(into, customer)
    changed_alignments = _move_alignments(customer, into)
    for model, field in _relations():
        if model in (Alignment, ChangeRequest):
            continue  # alignments above; open change requests end with the customer
        if model is ClassHistory:
            ClassHistory.objects.filter(customer=customer).delete()  # recomputed for `into`
            continue
        if model is ClassOverride:  # one override in force per product: the kept one's
            ClassOverride.objects.filter(
                customer=customer,
                product__in=ClassOverride.objects.filter(
                    customer=into, cleared_on__isnull=True
                ).values("product"),
            ).delete()
        _move(model, field, customer, into)

    changelog.log_rows(Customer, [customer], ChangeOp.DELETE, places={customer.pk: places})
    _delete(customer, _("Merged into %(name)s (%(id)s)") % {"name": into.name, "id": into.pk})
    into.save()
    classify_customer(customer=into)
    for alignment in changed_alignments:
        announce_alignment(alignment)
    _announce(customer, Outcome.MERGED, by=by, user_id=customer.created_by_id, into=into)
    return into


def _delete(customer, reason):
    """Delete `customer` (its history records why); the instance keeps its id for the event."""
    pk = customer.pk
    customer._change_reason = reason
    customer.delete()
    customer.pk = pk


def _relations():
    """(model, foreign key) of every row that points at a customer (history tables excepted:
    history is kept as it was). Many-to-many links through their through-table."""
    found = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete or isinstance(rel, ManyToManyRel):
            continue
        model = rel.related_model
        if issubclass(model, HistoricalChanges):
            continue
        found.append((model, rel.field))
    return found


PROFILE_FACTS = ("name_en", *PROFILE_FIELDS)  # what a merge takes over when the kept one lacks it


def _take_profile_facts(into, customer):
    """The facts `into` lacks and `customer` has (a rep's notes on the duplicate are kept)."""
    for name in PROFILE_FACTS:
        if getattr(into, name) in ("", None) and getattr(customer, name) not in ("", None):
            setattr(into, name, getattr(customer, name))
    into.is_kol = into.is_kol or customer.is_kol


def _move_alignments(customer, into):
    """Move `customer`'s alignments to `into`; one overlapping an alignment of `into` to the same
    territory is collapsed into it (its period widened to cover both). Returns the alignments
    written."""
    written = []
    for alignment in Alignment.objects.filter(customer=customer).order_by("valid_from"):
        kept = list(
            Alignment.objects.filter(
                overlaps(alignment.valid_from, alignment.valid_to),
                customer=into,
                territory_id=alignment.territory_id,
            ).order_by("valid_from")
        )
        if not kept:
            alignment.customer = into
            alignment.save()
            written.append(alignment)
            continue
        rows = [alignment, *kept]
        target = kept[0]
        target.valid_from = min(row.valid_from for row in rows)
        ends = [row.valid_to for row in rows]
        target.valid_to = None if None in ends else max(ends)
        for row in [alignment, *kept[1:]]:
            row.delete()
        target.save()
        written.append(target)
    return written


def _unique_sets(model, field):
    """The other fields of each unique rule that includes `field` (a row of `customer` equal
    on them to a row of `into` would collide)."""
    sets = []
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        if field.name in fields and getattr(constraint, "condition", None) is None:
            sets.append([name for name in fields if name != field.name])
    for together in model._meta.unique_together:
        if field.name in together:
            sets.append([name for name in together if name != field.name])
    return sets


def _move(model, field, customer, into):
    """Point `model`'s rows of `customer` at `into`; those that would collide are dropped."""
    rows = model._base_manager.filter(**{field.name: customer})
    _touch_owners(model, rows)
    for others in _unique_sets(model, field):
        attnames = [model._meta.get_field(name).attname for name in others]
        taken = model._base_manager.filter(**{field.name: into}).values(*attnames)
        collide = Q()
        for values in taken:
            collide |= Q(**values)
        if taken:
            rows.filter(collide).delete()
    rows = model._base_manager.filter(**{field.name: customer})
    if issubclass(model, SyncedModel):
        objs = list(rows)
        for obj in objs:
            setattr(obj, field.name, into)
            obj.save()  # a new version, its history and its sync entry
        return
    if hasattr(model, "history") and hasattr(model.history, "model"):
        objs = list(rows)
        for obj in objs:
            setattr(obj, field.attname, into.pk)
        bulk_update_with_history(objs, model, [field.name])
        return
    rows.update(**{field.attname: into.pk})


def _owners(model, depth=2):
    """Paths from `model` to the synced records that own its rows (a call attendance → its
    call; a month's focus list → its month → its plan): they change when the rows move."""
    paths = []
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.related_model in (Customer, User, None):
            continue
        related = field.related_model
        if issubclass(related, SyncedModel):
            paths.append((related, field.name))
        elif depth > 1 and related._meta.app_label != "auth":
            paths.extend(
                (owner, f"{field.name}__{path}") for owner, path in _owners(related, depth - 1)
            )
    return paths


def _touch_owners(model, rows):
    """A new version (and a sync entry) for the synced records owning `rows` (not synced
    themselves: an attendance, a plan target)."""
    if issubclass(model, SyncedModel):
        return
    for owner, path in _owners(model):
        ids = set(rows.values_list(path, flat=True))
        ids.discard(None)
        if ids:
            owner._base_manager.filter(pk__in=ids).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
            changelog.record(owner, ids)


# Change requests of identity fields.


def _value(customer, name):
    value = getattr(customer, f"{name}_id" if name in REFERENCES else name)
    return str(value) if value is not None else None


REFERENCES = {"institution": Institution, "department": Department}


def request_identity_change(*, by: User, customer: Customer, changes: dict) -> ChangeRequest:
    """Record (or add to) the open change request of `customer` (locked by the caller) with
    `changes` ({field: new value}, already validated). Returns the request."""
    request = ChangeRequest.objects.select_for_update().open().filter(customer=customer).first()
    if request is None:
        request = ChangeRequest(customer=customer)
    for name, value in changes.items():
        if isinstance(value, models.Model):
            value = str(value.pk)
        request.changes[name] = value
        request.before.setdefault(name, _value(customer, name))
    for name in list(request.changes):
        if request.changes[name] == _value(customer, name):  # back to what it is: no change
            del request.changes[name]
            request.before.pop(name, None)
    if request.pk:
        request.version += 1  # a steward who read the request before is stale (API: 412)
    request.requested_by = by
    request.requested_at = timezone.now()
    if not request.changes:
        if request.pk:
            request.delete()
        return None
    request.save()
    return request


def _lock_request(pk) -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().filter(pk=pk).first()
    if request is None or request.status != ChangeRequestStatus.OPEN:
        raise Conflict(_("This change request was decided meanwhile."))
    return request


@transaction.atomic
def change_request_accept(*, by: User, request: ChangeRequest, expected_version=None) -> Customer:
    """Apply the requested identity change to the customer. `expected_version`: the request's
    version the steward read (a rep who added to it meanwhile makes it `Stale`)."""
    _check_steward(by)
    customer = _lock(request.customer_id)
    request = _lock_request(request.pk)
    check_version(request, expected_version)
    kind_before = customer.kind
    for name, value in request.changes.items():
        if name in REFERENCES:
            setattr(customer, f"{name}_id", value)
        else:
            setattr(customer, name, value)
    if customer.kind == CustomerKind.PRESCRIBER:
        customer.role_group = ""
    customer.full_clean()
    customer._change_reason = _("Change request accepted")
    customer.save()
    if customer.kind != kind_before:
        classify_customer(customer=customer)
    request.status = ChangeRequestStatus.ACCEPTED
    request.decided_by, request.decided_at = by, timezone.now()
    request.save()
    _announce(
        customer,
        Outcome.CHANGE_ACCEPTED,
        by=by,
        user_id=request.requested_by_id,
        request_id=request.pk,
    )
    return customer


@transaction.atomic
def change_request_reject(
    *, by: User, request: ChangeRequest, reason: str, expected_version=None
) -> ChangeRequest:
    _check_steward(by)
    reason = _clean_reason(reason, required=True)
    _lock(request.customer_id)
    request = _lock_request(request.pk)
    check_version(request, expected_version)
    request.status = ChangeRequestStatus.REJECTED
    request.decided_by, request.decided_at = by, timezone.now()
    request.reason = reason
    request.save()
    _announce(
        request.customer,
        Outcome.CHANGE_REJECTED,
        by=by,
        user_id=request.requested_by_id,
        reason=reason,
        request_id=request.pk,
    )
    return request
