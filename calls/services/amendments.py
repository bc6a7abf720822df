"""Amendments: a locked call is corrected only by a proposal its DM approves (or rejects)."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import Conflict
from customers.models import Customer
from org.models import Product, User

from ..models import Amendment, AmendmentStatus, Call, KeyMessage, Material
from ..selectors import call_values
from ..signals import amendment_decided, amendment_requested
from .calls import CALL_FIELDS, RELATIONS, scoped_call_for_update, write_call
from .permissions import can_decide_amendments, can_log_calls


def changes_to_json(*, customers=None, products=None, materials=None, **fields) -> dict:
    """Proposed changes as JSON (ids for references) to keep on an amendment request."""
    data = {}
    for name, value in fields.items():
        if name not in CALL_FIELDS or name in ("territory", "status"):
            raise ValidationError({name: _("This cannot be amended.")})
        if hasattr(value, "pk"):
            value = str(value.pk)
        elif isinstance(value, dt.date | dt.time):
            value = value.isoformat()
        data[name] = value
    if customers is not None:
        data["customers"] = [str(c.pk) for c in customers]
    if products is not None:
        data["products"] = [
            {
                "product": str(row["product"].pk),
                "key_messages": [str(m.pk) for m in row.get("key_messages") or ()],
                "feedback": row.get("feedback") or "",
                "adoption_stage": row.get("adoption_stage") or "",
            }
            for row in products
        ]
    if materials is not None:
        data["materials"] = [
            {"material": str(row["material"].pk), "quantity": row["quantity"]} for row in materials
        ]
    return data


def _bulk(model, ids, field):
    """`{str(pk): object}` for `ids`; a reference that no longer exists is a field error."""
    found = {str(pk): obj for pk, obj in model.objects.in_bulk(list(ids)).items()}
    if set(map(str, ids)) - set(found):
        raise ValidationError({field: _("A referenced record no longer exists.")})
    return found


def changes_from_json(data: dict) -> dict:
    """The keyword arguments of `call_update` from `changes_to_json` output."""
    from customers.models import Department, Institution

    references = {"institution": Institution, "department": Department, "co_visitor": User}
    kwargs = {}
    for name, value in data.items():
        if name in references and value is not None:
            value = _bulk(references[name], [value], name)[str(value)]
        elif name in ("date", "next_appointment_date") and value:
            value = dt.date.fromisoformat(value)
        elif name == "start_time" and value:
            value = dt.time.fromisoformat(value)
        elif name == "customers":
            found = _bulk(Customer, value, name)
            value = [found[pk] for pk in value]
        elif name == "products":
            products = _bulk(Product, [row["product"] for row in value], name)
            messages = _bulk(KeyMessage, [pk for row in value for pk in row["key_messages"]], name)
            value = [
                {
                    **row,
                    "product": products[row["product"]],
                    "key_messages": [messages[pk] for pk in row["key_messages"]],
                }
                for row in value
            ]
        elif name == "materials":
            found = _bulk(Material, [row["material"] for row in value], name)
            value = [{**row, "material": found[row["material"]]} for row in value]
        kwargs[name] = value
    return kwargs


def _comparable(name, value):
    """A value of `changes_to_json` in an order-free form (attendees, products, materials)."""
    if name == "customers":
        return sorted(value)
    if name == "products":
        return sorted(
            (row["product"], sorted(row["key_messages"]), row["feedback"], row["adoption_stage"])
            for row in value
        )
    if name == "materials":
        return sorted((row["material"], row["quantity"]) for row in value)
    return value


@transaction.atomic
def amendment_request(*, by: User, call: Call, reason: str, **changes) -> Amendment:
    """Ask the DM to correct a locked call; the proposal is checked now and on approval."""
    if not can_log_calls(by):
        raise PermissionDenied
    call = scoped_call_for_update(by, call)
    if not call.is_locked():
        raise Conflict(_("This call is not locked: change it directly."))
    if call.amendments.pending().exists():
        raise Conflict(_("This call already has an amendment waiting."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the call needs a correction.")})
    payload = changes_to_json(**changes)
    # Only what differs from the call is proposed (a client may send the whole call).
    current = call_values(call, payload)
    payload = {
        name: value
        for name, value in payload.items()
        if _comparable(name, value) != _comparable(name, current[name])
    }
    if not payload:
        raise ValidationError({"__all__": _("Nothing would change.")})
    # Check the proposal against the rules without writing it (nor announcing it: the
    # callbacks registered in a rolled-back atomic block are dropped).
    with transaction.atomic():
        write_call(
            call=call,
            by=by,
            fields={k: v for k, v in changes.items() if k not in RELATIONS},
            customers=changes.get("customers"),
            products=changes.get("products"),
            materials=changes.get("materials"),
            amendment=True,
        )
        transaction.set_rollback(True)
    call.refresh_from_db()
    amendment = Amendment(
        call=call,
        requested_by=by,
        reason=reason.strip(),
        changes=payload,
        original=call_values(call, payload),
    )
    amendment._history_user = by
    amendment.save()
    transaction.on_commit(
        lambda: amendment_requested.send(
            sender=Amendment, amendment_id=amendment.pk, call_id=amendment.call_id
        )
    )
    return amendment


def _pending_amendment_for_decision(by, amendment):
    amendment = (
        Amendment.objects.for_user(by)
        .select_for_update(of=("self",))
        .select_related("call__territory")
        .filter(pk=amendment.pk)
        .first()
    )
    if amendment is None:
        raise Http404
    if not can_decide_amendments(by, amendment.call):
        raise PermissionDenied
    if amendment.status != AmendmentStatus.PENDING:
        raise Conflict(_("This amendment has been decided already."))
    return amendment


def _announce_decision(amendment):
    """Send `amendment_decided` once the decision is committed."""
    transaction.on_commit(
        lambda: amendment_decided.send(
            sender=Amendment,
            amendment_id=amendment.pk,
            call_id=amendment.call_id,
            status=amendment.status,
        )
    )


@transaction.atomic
def amendment_approve(*, by: User, amendment: Amendment, comment: str = "") -> Amendment:
    """The DM approves: the changes are applied to the locked call (the history keeps both)."""
    amendment = _pending_amendment_for_decision(by, amendment)
    call = Call.objects.select_for_update(of=("self",)).get(pk=amendment.call_id)
    if not amendment.original:  # requested before the "before" was kept: keep it now
        amendment.original = call_values(call, amendment.changes)
    changes = changes_from_json(amendment.changes)
    write_call(
        call=call,
        by=by,
        fields={k: v for k, v in changes.items() if k not in RELATIONS},
        customers=changes.get("customers"),
        products=changes.get("products"),
        materials=changes.get("materials"),
        reason=_("Amendment approved: %(reason)s") % {"reason": amendment.reason},
        amendment=True,
    )
    amendment.status = AmendmentStatus.APPROVED
    amendment.decided_by = by
    amendment.decided_at = timezone.now()
    amendment.decision_comment = (comment or "").strip()
    amendment._history_user = by
    amendment.save()
    _announce_decision(amendment)
    return amendment


@transaction.atomic
def amendment_reject(*, by: User, amendment: Amendment, comment: str) -> Amendment:
    """The DM rejects, saying why; the call stays as it was."""
    amendment = _pending_amendment_for_decision(by, amendment)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the amendment is rejected.")})
    amendment.status = AmendmentStatus.REJECTED
    amendment.decided_by = by
    amendment.decided_at = timezone.now()
    amendment.decision_comment = comment.strip()
    amendment._history_user = by
    amendment.save()
    _announce_decision(amendment)
    return amendment
