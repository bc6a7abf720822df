"""Write paths for calls: create, update, complete, cancel; amendments of locked calls and
coaching comments. One transaction each; every rule is checked before anything is written and
every change leaves a history row (django-simple-history) naming who made it.

Errors: `ValidationError` (a field and a translated message; API 400), `Conflict` (the state of
the call forbids the change — a locked call, an illegal status change, a pending amendment;
API 409), `Stale` (the caller's `expected_version` is not the call's, compared under the row
lock; API 412), `PermissionDenied` (the role may not do this; API 403) and `Http404` (not in
scope).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import events
from core.concurrency import Conflict, Stale, check_version  # noqa: F401 (callers: services.Stale)
from customers.models import AdoptionStage, Alignment, Customer
from org.models import District, Product, Role, Territory, User, not_ended_by

from . import selectors
from .models import (
    Amendment,
    AmendmentStatus,
    Call,
    CallAttendee,
    CallMaterial,
    CallProduct,
    CallSettings,
    CallStatus,
    CoachingComment,
    KeyMessage,
    Material,
    MaterialKind,
)
from .signals import amendment_decided, call_changed, coaching_commented

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


# --- validation ---------------------------------------------------------------------------


def _customers_of_territory(territory, customers, day):
    """The customers aligned to `territory` on `day` or later (not ended by `day`)."""
    today = timezone.localdate()
    aligned = Alignment.objects.filter(
        not_ended_by(day),
        territory=territory,
        valid_from__lte=max(day, today),
        customer__in=[c.pk for c in customers],
    ).values_list("customer_id", flat=True)
    return set(aligned)


def _check_sample_limit(call, customers, materials, settings_, errors):
    limit = settings_.sample_limit_per_quarter
    samples = sum(m["quantity"] for m in materials if m["material"].kind == MaterialKind.SAMPLE)
    if limit is None or not samples or call.status != CallStatus.COMPLETED:
        return
    left = selectors.sample_allowance_left(customers, call.date, limit, exclude_call=call.pk)
    for customer in customers:
        total = limit - left[customer.pk] + samples
        if samples > left[customer.pk]:
            errors.setdefault("materials", []).append(
                _(
                    "%(customer)s would receive %(total)s samples this quarter; "
                    "the limit is %(limit)s per customer."
                )
                % {
                    "customer": customer,
                    "total": total,
                    "limit": limit,
                }
            )


def _validate(*, call, customers, products, materials, changed, settings_, amendment=False):
    """Every rule of a call, before anything is written; raises one ValidationError."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    try:
        call.full_clean(exclude=["rep", "institution"] if call.institution_id is None else ["rep"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    territory = call.territory

    # Attendees: one or more customers of the territory.
    if not customers:
        add("customers", _("Choose at least one customer."))
    elif len({c.pk for c in customers}) != len(customers):
        add("customers", _("A customer is listed twice."))
    elif call.date and "customers" in changed:
        aligned = _customers_of_territory(territory, customers, call.date)
        outside = [str(c) for c in customers if c.pk not in aligned]
        if outside:
            add(
                "customers",
                _("%(names)s: not a customer of territory %(territory)s.")
                % {"names": ", ".join(outside), "territory": territory.name},
            )

    # Dates of a completed call: not in the future, not beyond the backdating limit.
    today = timezone.localdate()
    if call.date and call.status == CallStatus.COMPLETED and changed & {"date", "status"}:
        if call.date > today:
            add("date", _("A completed call cannot be dated in the future."))
        elif not amendment and call.date < today - dt.timedelta(days=settings_.backdating_days):
            add(
                "date",
                _("A completed call cannot be dated more than %(days)s days back.")
                % {"days": settings_.backdating_days},
            )

    # The next appointment: after the call.
    if (
        call.next_appointment_date
        and call.date
        and changed & {"next_appointment_date", "date"}
        and call.next_appointment_date <= call.date
    ):
        add("next_appointment_date", _("The next appointment must be after the call's date."))

    # Products: active, of the territory's team; key messages active and of that product.
    if "products" in changed:
        team_products = set(territory.team.products.values_list("pk", flat=True))
        seen = set()
        for row in products:
            product = row["product"]
            if product.pk in seen:
                add("products", _("%(product)s is listed twice.") % {"product": product})
            seen.add(product.pk)
            if not product.is_active:
                add("products", _("%(product)s is not active.") % {"product": product})
            elif product.pk not in team_products:
                add(
                    "products",
                    _("%(product)s is not a product of your team.") % {"product": product},
                )
            for message in row.get("key_messages", ()):
                if message.product_id != product.pk:
                    add(
                        "products",
                        _("“%(message)s” is not a key message of %(product)s.")
                        % {"message": message, "product": product},
                    )
                elif not message.is_active:
                    add(
                        "products",
                        _("The key message “%(message)s” is not active.") % {"message": message},
                    )
            stage = row.get("adoption_stage") or ""
            if stage and stage not in AdoptionStage.values:
                add("products", _("Unknown adoption stage “%(stage)s”.") % {"stage": stage})

    # Materials and samples: active, counted, within the sample limit.
    if "materials" in changed:
        seen = set()
        for row in materials:
            material, quantity = row["material"], row["quantity"]
            if material.pk in seen:
                add("materials", _("%(material)s is listed twice.") % {"material": material})
            seen.add(material.pk)
            if not material.is_active:
                add("materials", _("%(material)s is not active.") % {"material": material})
            if not isinstance(quantity, int) or quantity < 1:
                add(
                    "materials",
                    _("The quantity of %(material)s must be at least 1.") % {"material": material},
                )
    if (
        changed & {"materials", "customers", "date", "status"}
        and "materials" not in errors
        and customers
        and call.date
    ):
        _check_sample_limit(call, customers, materials, settings_, errors)

    # Co-visit: by a manager of the rep (the district's DM or the region's manager).
    co_visitor_changed = call.co_visitor_id and "co_visitor" in changed
    if co_visitor_changed and not co_visitor_allowed(territory, call.co_visitor_id):
        add("co_visitor", str(CO_VISITOR_INVALID))

    if (
        call.department_id
        and call.institution_id
        and "department" not in errors
        and call.department.institution_id != call.institution_id
    ):
        add("department", _("This department belongs to another institution."))

    if errors:
        raise ValidationError(errors)


# --- writing -----------------------------------------------------------------------------


def _scoped_call_for_update(by, call):
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


def _apply(*, call, by, fields, customers, products, materials, reason="", amendment=False):
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
    _validate(
        call=call,
        customers=customers,
        products=products,
        materials=materials,
        changed=changed,
        settings_=settings_,
        amendment=amendment,
    )
    if call.status == CallStatus.COMPLETED and call.completed_at is None:
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
        call.status == CallStatus.COMPLETED
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
        return _apply(
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


def log_date(planned, settings_=None):
    """The date a planned call of day `planned` is logged with by default: its own date when it
    is today or inside the backdating limit, else today (a future or a too-old plan)."""
    today = timezone.localdate()
    settings_ = settings_ or CallSettings.load()
    if planned > today or planned < today - dt.timedelta(days=settings_.backdating_days):
        return today
    return planned


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
    """Log a completed call or plan one, for one attendee or a group (one record)."""
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
    if status == CallStatus.CANCELLED:
        raise ValidationError({"status": _("A new call is planned or completed.")})
    now = timezone.localtime()
    fields.setdefault("date", now.date())
    if status == CallStatus.COMPLETED:
        fields.setdefault("start_time", now.time().replace(second=0, microsecond=0))
    call = Call(territory=territory, rep=rep)
    if id is not None:
        if Call.objects.filter(pk=id).exists():
            raise Conflict(_("A call with this id exists already."))
        call.id = id
    return _apply(
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
    call = _scoped_call_for_update(by, call)
    check_version(call, expected_version, STALE_CALL)
    _check_editable(call)
    _check_transition(call, fields.get("status"))
    if "territory" in fields and fields["territory"].pk != call.territory_id:
        raise ValidationError({"territory": _("A call cannot move to another territory.")})
    return _apply(
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
    current = _scoped_call_for_update(by, call)
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


# --- amendments and coaching ----------------------------------------------------------------


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


@transaction.atomic
def amendment_request(*, by: User, call: Call, reason: str, **changes) -> Amendment:
    """Ask the DM to correct a locked call; the proposal is checked now and on approval."""
    if not can_log_calls(by):
        raise PermissionDenied
    call = _scoped_call_for_update(by, call)
    if not call.is_locked():
        raise Conflict(_("This call is not locked: change it directly."))
    if call.amendments.filter(status=AmendmentStatus.PENDING).exists():
        raise Conflict(_("This call already has an amendment waiting."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the call needs a correction.")})
    payload = changes_to_json(**changes)
    if not payload:
        raise ValidationError({"__all__": _("Nothing would change.")})
    # Check the proposal against the rules without writing it (nor announcing it: the
    # callbacks registered in a rolled-back atomic block are dropped).
    with transaction.atomic():
        _apply(
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
    amendment = Amendment(call=call, requested_by=by, reason=reason.strip(), changes=payload)
    amendment._history_user = by
    amendment.save()
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
    changes = changes_from_json(amendment.changes)
    _apply(
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


@transaction.atomic
def coaching_comment_create(*, by: User, call: Call, text: str) -> CoachingComment:
    """A manager coaches the rep on a call in their scope; the rep sees it on the call."""
    if not can_coach(by):
        raise PermissionDenied
    if not Call.objects.for_user(by).filter(pk=call.pk).exists():
        raise Http404
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")})
    comment = CoachingComment(call=call, author=by, text=text)
    comment._history_user = by
    comment.save()
    transaction.on_commit(
        lambda: coaching_commented.send(
            sender=CoachingComment, comment_id=comment.pk, call_id=comment.call_id
        )
    )
    return comment
