"""The life of a call: create (completed, planned, or cancelled — a visit that did not happen),
update, log, cancel, delete (a planned call only); the follow-up a next appointment plans. Every
write announces `call_changed` once it commits."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import Exists, OuterRef
from django.db.models.deletion import Collector
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import events
from core.concurrency import Conflict, check_version
from customers.models import Customer
from org.models import Role, Territory, User

from ..models import (
    Call,
    CallAttendee,
    CallMaterial,
    CallProduct,
    CallSettings,
    CallStatus,
)
from ..signals import call_changed
from .permissions import can_log_calls
from .validation import log_date, validate_call

# Plain fields a caller may set; relations are `customers`, `products` and `materials`.
CALL_FIELDS = (
    "territory",
    "date",
    "start_time",
    "duration_minutes",
    "channel",
    "status",
    "is_pim",
    "institution",
    "department",
    "objective",
    "commitment_measurable",
    "commitment_next_appointment",
    "next_appointment_date",
    "next_objective",
    "co_visitor",
    "notes",
)
RELATIONS = ("customers", "products", "materials")


STALE_CALL = gettext_lazy("The call has changed since you read it (version %(v)s).")


class CallLocked(Conflict):
    """The grace period of a completed call is over: only an amendment can change it."""


def scoped_call_for_update(by, call):
    try:
        return (
            Call.objects.for_user(by)
            .select_for_update(of=("self",))
            .select_related("territory__team")
            .get(pk=call.pk)
        )
    except Call.DoesNotExist:
        raise Http404 from None


def _current_rows(call):
    products = [
        {
            "product": row.product,
            "key_messages": list(row.key_messages.all()),
            "feedback": row.feedback,
            "adoption_stage": row.adoption_stage,
        }
        for row in call.call_products.select_related("product").prefetch_related("key_messages")
    ]
    materials = [
        {"material": row.material, "quantity": row.quantity}
        for row in call.call_materials.select_related("material")
    ]
    return products, materials


def _normalise_products(products):
    return [
        {
            "product": row["product"],
            "key_messages": list(row.get("key_messages") or ()),
            "feedback": row.get("feedback") or "",
            "adoption_stage": row.get("adoption_stage") or "",
        }
        for row in products
    ]


def _normalise_materials(materials):
    return [{"material": row["material"], "quantity": row["quantity"]} for row in materials]


def _save_rows(*, call, by, customers, products, materials, changed):
    """Write the attendees, products and materials that changed, row by row (audited)."""
    if "customers" in changed:
        wanted = {c.pk for c in customers}
        for row in call.attendances.all():
            if row.customer_id not in wanted:
                row._history_user = by
                row.delete()
            else:
                wanted.discard(row.customer_id)
        for customer_id in wanted:
            row = CallAttendee(call=call, customer_id=customer_id)
            row._history_user = by
            row.save()
    if "products" in changed:
        existing = {row.product_id: row for row in call.call_products.all()}
        for item in products:
            row = existing.pop(item["product"].pk, None) or CallProduct(
                call=call, product=item["product"]
            )
            values = (item["feedback"], item["adoption_stage"])
            if row._state.adding or (row.feedback, row.adoption_stage) != values:
                row.feedback, row.adoption_stage = values
                row._history_user = by
                row.save()
            row._history_user = by
            row.key_messages.set(item["key_messages"])
        for row in existing.values():
            row._history_user = by
            row.delete()
    if "materials" in changed:
        existing = {row.material_id: row for row in call.call_materials.all()}
        for item in materials:
            row = existing.pop(item["material"].pk, None) or CallMaterial(
                call=call, material=item["material"]
            )
            if row._state.adding or row.quantity != item["quantity"]:
                row.quantity = item["quantity"]
                row._history_user = by
                row.save()
        for row in existing.values():
            row._history_user = by
            row.delete()


def write_call(*, call, by, fields, customers, products, materials, reason="", amendment=False):
    """Validate and write a new or changed call; `None` relations keep what the call has."""
    settings_ = CallSettings.load()
    creating = call._state.adding
    date_before = None if creating else call.date
    unknown = set(fields) - set(CALL_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    changed = {name for name, value in fields.items() if creating or getattr(call, name) != value}
    for name, value in fields.items():
        setattr(call, name, value)
    if customers is not None:
        customers = list(customers)
        if creating or {c.pk for c in customers} != set(
            call.attendances.values_list("customer_id", flat=True)
        ):
            changed.add("customers")
    else:
        customers = list(Customer.objects.filter(call_attendances__call=call))
    current_products, current_materials = ([], []) if creating else _current_rows(call)
    if products is not None:
        products = _normalise_products(products)
        changed.add("products")
    else:
        products = current_products
    if materials is not None:
        materials = _normalise_materials(materials)
        changed.add("materials")
    else:
        materials = current_materials
    if creating:
        changed |= {"customers", "products", "materials", "status", "date", "co_visitor"}
    # Where the customer is: the first attendee's institution and (if all share it) department.
    if customers and call.institution_id is None:
        call.institution = customers[0].institution
        departments = {c.department_id for c in customers}
        if call.department_id is None and len(departments) == 1:
            call.department = customers[0].department
    validate_call(
        call=call,
        customers=customers,
        products=products,
        materials=materials,
        changed=changed,
        settings_=settings_,
        amendment=amendment,
    )
    if call.is_completed and call.completed_at is None:
        call.completed_at = timezone.now()
    call._history_user = by
    if reason:
        call._change_reason = reason
    call.save()
    _save_rows(
        call=call,
        by=by,
        customers=customers,
        products=products,
        materials=materials,
        changed=changed,
    )
    events.send_on_commit(
        call_changed,
        sender=Call,
        call_id=call.pk,
        territory_id=call.territory_id,
        dates=tuple(dict.fromkeys(d for d in (call.date, date_before) if d is not None)),
    )
    if (
        call.is_completed
        and call.next_appointment_date
        and changed & {"next_appointment_date", "status"}
    ):
        _plan_next_appointment(call=call, by=by, customers=customers)
    return call


def _plan_next_appointment(*, call, by, customers):
    """The planned call a completed call's next appointment promises: on that day, for the same
    territory and attendees, with the call's next objective — unless a planned call of the
    territory with one of these customers is on that day already (idempotent)."""
    day = call.next_appointment_date
    exists = (
        Call.objects.planned()
        .filter(territory_id=call.territory_id, date=day)
        .filter(Exists(CallAttendee.objects.filter(call=OuterRef("pk"), customer__in=customers)))
        .exists()
    )
    if exists:
        return None
    follow_up = Call(
        territory=call.territory,
        rep=call.rep,
        status=CallStatus.PLANNED,
        institution=call.institution,
        department=call.department,
    )
    try:
        return write_call(
            call=follow_up,
            by=by,
            fields={
                "date": day,
                "channel": call.channel,
                "objective": call.next_objective,
                "is_pim": call.is_pim,
            },
            customers=customers,
            products=[],
            materials=[],
        )
    except ValidationError as error:
        raise ValidationError({"next_appointment_date": error.messages}) from None


def _default_territory(by):
    territories = list(Territory.objects.for_user(by).order_by("code")[:2])
    if len(territories) != 1:
        raise ValidationError({"territory": _("This field is required.")})
    return territories[0]


@transaction.atomic
def call_create(
    *,
    by: User,
    customers,
    territory: Territory | None = None,
    products=(),
    materials=(),
    id=None,  # the client-supplied UUID of an offline device
    **fields,
) -> Call:
    """Log a completed call or plan one, for one attendee or a group (one record); or record a
    cancelled one, a visit that did not happen (an offline client planned and cancelled it
    before it synced): no products' feedback, no materials (validate_call)."""
    if not can_log_calls(by):
        raise PermissionDenied
    territory = territory or _default_territory(by)
    territory = (
        Territory.objects.for_user(by).select_related("team").filter(pk=territory.pk).first()
    )
    if territory is None:
        raise ValidationError({"territory": _("Choose one of your territories.")})
    rep = by if by.role == Role.REP and not by.is_admin else territory.rep
    if rep is None:
        raise ValidationError({"territory": _("This territory has no rep.")})
    status = fields.setdefault("status", CallStatus.COMPLETED)
    now = timezone.localtime()
    fields.setdefault("date", now.date())
    if status == CallStatus.COMPLETED:
        fields.setdefault("start_time", now.time().replace(second=0, microsecond=0))
    call = Call(territory=territory, rep=rep)
    if id is not None:
        if Call.objects.filter(pk=id).exists():
            raise Conflict(_("A call with this id exists already."))
        call.id = id
    return write_call(
        call=call,
        by=by,
        fields=fields,
        customers=customers,
        products=products,
        materials=materials,
    )


def _check_editable(call, settings_=None):
    if call.status == CallStatus.CANCELLED:
        raise Conflict(_("A cancelled call cannot be changed."))
    if call.is_locked(settings_):
        raise CallLocked(
            _(
                "This call is locked: its grace period of %(days)s days is over. "
                "Request an amendment instead."
            )
            % {"days": (settings_ or CallSettings.load()).grace_days}
        )


def _check_transition(call, status):
    if status is None or status == call.status:
        return
    allowed = {CallStatus.PLANNED: {CallStatus.COMPLETED, CallStatus.CANCELLED}}
    if status not in allowed.get(call.status, set()):
        raise Conflict(
            _("A %(old)s call cannot become %(new)s.")
            % {
                "old": CallStatus(call.status).label,
                "new": CallStatus(status).label if status in CallStatus.values else status,
            }
        )


@transaction.atomic
def call_update(
    *,
    by: User,
    call: Call,
    customers=None,
    products=None,
    materials=None,
    expected_version: int | None = None,
    **fields,
) -> Call:
    """Change a planned call, or a completed one within its grace period. With
    `expected_version` (the version the caller read), a call changed since is `Stale`."""
    if not can_log_calls(by):
        raise PermissionDenied
    call = scoped_call_for_update(by, call)
    check_version(call, expected_version, STALE_CALL)
    _check_editable(call)
    _check_transition(call, fields.get("status"))
    if "territory" in fields and fields["territory"].pk != call.territory_id:
        raise ValidationError({"territory": _("A call cannot move to another territory.")})
    return write_call(
        call=call,
        by=by,
        fields=fields,
        customers=customers,
        products=products,
        materials=materials,
    )


@transaction.atomic
def call_complete(*, by: User, call: Call, expected_version: int | None = None, **changes) -> Call:
    """Log a planned call: it becomes completed, dated (unless another date is given) by
    `log_date`: its planned day inside the backdating limit, else today. Two tabs logging the
    same call: the first wins, the second is a Conflict (the row is locked)."""
    current = scoped_call_for_update(by, call)
    check_version(current, expected_version, STALE_CALL)
    if current.status != CallStatus.PLANNED:
        raise Conflict(_("Only a planned call can be logged."))
    if "date" not in changes:
        day = log_date(current.date)
        if day != current.date:
            changes["date"] = day
    if "start_time" not in changes and current.start_time is None:
        changes["start_time"] = timezone.localtime().time().replace(second=0, microsecond=0)
    return call_update(by=by, call=current, status=CallStatus.COMPLETED, **changes)


@transaction.atomic
def call_cancel(*, by: User, call: Call) -> Call:
    """Cancel a planned call (a completed one is corrected, never cancelled)."""
    return call_update(by=by, call=call, status=CallStatus.CANCELLED)


@transaction.atomic
def call_delete(*, by: User, call: Call, expected_version: int | None = None) -> None:
    """Delete a planned call the rep will not make (a completed call is corrected or amended, a
    cancelled one kept as the record of a visit that did not happen: both `Conflict`). With
    `expected_version` (the version the caller read), a call changed since is `Stale`.

    The row is locked first, so of two deletes, or a delete and a change, one wins: the other
    finds the call gone (404), completed (409) or changed (412). Its attendees, products,
    materials, coaching comments and joint-call proposals go with it; the history keeps the
    call's last version and who deleted it, and the change log a delete that the sync sends to
    every client that held the call (core.changelog, on post_delete)."""
    if not can_log_calls(by):
        raise PermissionDenied
    call = scoped_call_for_update(by, call)
    check_version(call, expected_version, STALE_CALL)
    if call.status == CallStatus.COMPLETED:
        raise Conflict(
            _("A completed call cannot be deleted: correct it, or request an amendment.")
        )
    if call.status != CallStatus.PLANNED:
        raise Conflict(
            _("A cancelled call cannot be deleted: it records a visit that did not happen.")
        )
    call_id, territory_id, day = call.pk, call.territory_id, call.date
    # One DELETE per table, as a cascade would; the rows are read first so that each history
    # row (one per row removed) names who deleted it, outside a request too.
    collector = Collector(using=router.db_for_write(Call), origin=call)
    for rows in (call.attendances.all(), call.call_products.all(), call.call_materials.all()):
        rows = list(rows)
        for row in rows:
            row._history_user = by
        if rows:
            collector.collect(rows)
    call._history_user = by
    collector.collect([call])
    collector.delete()
    events.send_on_commit(
        call_changed, sender=Call, call_id=call_id, territory_id=territory_id, dates=(day,)
    )
