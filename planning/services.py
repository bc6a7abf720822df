"""Write paths of planning: the quarterly plan and its transitions, the monthly update, the
weekly itinerary (planned calls through calls.services) and joint-call proposals.

States: draft → submitted → approved, or submitted → returned → (edited) → submitted …; an
approved plan is read-only until `plan_revise` takes it back to draft (the approved version is
kept as a PlanVersion). Each transition locks the plan row (select_for_update) and checks the
state inside its transaction, so of two concurrent decisions exactly one wins.

Errors as in calls.services: ValidationError (400), Conflict (409: illegal state change),
Stale (412: `expected_version` is not the plan's, checked under the row lock),
PermissionDenied (403: the role or person may not do this), Http404 (not in scope).
"""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from calls import services as call_services
from calls.models import Call, CallStatus
from core.concurrency import Conflict, Stale, check_version
from core.periods import month_of, parse, quarter_of
from customers.models import Alignment, Customer
from customers.selectors import with_territory_klass
from org.models import District, Role, Territory, User, in_force_on

from . import selectors
from .models import (
    JointCallProposal,
    JointCallStatus,
    Plan,
    PlanAction,
    PlanEvent,
    PlanMonth,
    PlanStatus,
    PlanTarget,
    PlanVersion,
)
from .signals import plan_event

__all__ = ["Conflict", "Stale"]

TEXT_FIELDS = ("review", "goals", "key_result_areas")
STALE_PLAN = gettext_lazy("The plan has changed since you read it (version %(v)s).")


# --- who may do what ------------------------------------------------------------------------


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


def _locked_plan(by, plan, expected_version=None):
    """The plan row, locked for this transaction, if `by` may see it; else 404. With
    `expected_version` (the version the caller read), a plan changed since is `Stale`."""
    locked = (
        Plan.objects.for_user(by)
        .select_for_update(of=("self",))
        .select_related("territory__team")
        .filter(pk=plan.pk)
        .first()
    )
    if locked is None:
        raise Http404
    check_version(locked, expected_version, STALE_PLAN)
    return locked


def _own_plan(by, plan, expected_version=None):
    plan = _locked_plan(by, plan, expected_version)
    if plan.rep_id != by.pk:
        raise PermissionDenied(_("Only the rep edits their plan."))
    return plan


def _event(plan, by, action, old, comment=""):
    event = PlanEvent.objects.create(
        plan=plan, actor=by, action=action, from_status=old, to_status=plan.status, comment=comment
    )
    transaction.on_commit(
        lambda: plan_event.send(sender=PlanEvent, event_id=event.pk, plan_id=plan.pk, action=action)
    )
    return event


def _illegal(plan, action):
    status = PlanStatus(plan.status).label.lower()
    messages = {
        PlanAction.SUBMITTED: _(
            "Only a draft or returned plan can be submitted; this one is %(s)s."
        ),
        PlanAction.APPROVED: _("Only a submitted plan can be approved; this one is %(s)s."),
        PlanAction.RETURNED: _("Only a submitted plan can be returned; this one is %(s)s."),
        PlanAction.REVISED: _("Only an approved plan can be revised; this one is %(s)s."),
    }
    return Conflict(messages[action] % {"s": status})


def _move(plan, by, *, allowed_from, to, action, comment=""):
    if plan.status not in allowed_from:
        raise _illegal(plan, action)
    old = plan.status
    plan.status = to
    if to == PlanStatus.SUBMITTED:
        plan.submitted_at = timezone.now()
    if action == PlanAction.RETURNED:
        plan.comment = comment
    plan.save()
    _event(plan, by, action, old, comment)
    return plan


# --- defaults -------------------------------------------------------------------------------


def rep_territory(rep: User) -> Territory:
    territory = Territory.objects.filter(rep=rep).select_related("team").order_by("code").first()
    if territory is None:
        raise ValidationError({"territory": _("You hold no territory to plan for.")})
    return territory


PREFILL_CLASSES = ("A", "B")
PREFILL_LIMIT = 30


def class_targets(*, territory, day, classes=PREFILL_CLASSES, limit=PREFILL_LIMIT):
    """The territory's targets of the classes to defend and attack (A, B) on `day`: the focus
    customers a first plan starts with (calls per month: their class requirement)."""
    aligned = Alignment.objects.filter(in_force_on(day), territory=territory)
    customers = (
        with_territory_klass(
            Customer.objects.filter(pk__in=aligned.values("customer")), territory, day
        )
        .filter(klass__in=classes)
        .order_by("klass", "name", "pk")[:limit]
    )
    return [{"customer": c} for c in customers]


def default_targets(*, territory, quarter):
    """Pre-fill: last quarter's focus customers still aligned on the quarter's first day, with
    their objectives and activities; without a plan last quarter, the A and B targets."""
    period = parse(quarter, "quarter")
    previous = (
        Plan.objects.filter(territory=territory, quarter=period.previous().key)
        .order_by("-updated_at")
        .first()
    )
    if previous is None:
        return class_targets(territory=territory, day=period.start)
    aligned = Alignment.objects.filter(in_force_on(period.start), territory=territory)
    rows = previous.targets.filter(customer__in=aligned.values("customer")).select_related(
        "customer"
    )
    defaults = selectors.required_calls(
        territory=territory, customers=[r.customer_id for r in rows], day=period.start
    )
    return [
        {
            "customer": r.customer,
            "calls_per_month": defaults.get(r.customer_id) or r.calls_per_month,
            "objective": r.objective,
            "activities": r.activities,
        }
        for r in rows
    ]


# --- the plan -------------------------------------------------------------------------------


def _write_targets(plan, targets):
    """Replace the plan's focus customers by `targets` (dicts: customer, calls_per_month,
    objective, activities; a missing calls_per_month takes the class requirement)."""
    errors = {}
    seen = set()
    customers = [t["customer"] for t in targets]
    for t in targets:
        if t["customer"].pk in seen:
            errors.setdefault("targets", []).append(
                _("%(customer)s is listed twice.") % {"customer": t["customer"]}
            )
        seen.add(t["customer"].pk)
    period = parse(plan.quarter, "quarter")
    aligned = set(
        Alignment.objects.filter(
            territory=plan.territory,
            customer__in=[c.pk for c in customers],
            valid_from__lte=period.end,
        )
        .filter(in_force_on(max(period.start, min(timezone.localdate(), period.end))))
        .values_list("customer_id", flat=True)
    )
    outside = [str(c) for c in customers if c.pk not in aligned]
    if outside:
        errors.setdefault("targets", []).append(
            _("%(names)s: not a customer of your territory.") % {"names": ", ".join(outside)}
        )
    for t in targets:
        n = t.get("calls_per_month")
        if n is not None and (not isinstance(n, int) or n < 0 or n > 31):
            errors.setdefault("targets", []).append(
                _("Planned calls per month are between 0 and 31.")
            )
            break
    if errors:
        raise ValidationError(errors)
    defaults = selectors.required_calls(
        territory=plan.territory, customers=[c.pk for c in customers], day=period.start
    )
    existing = {t.customer_id: t for t in plan.targets.all()}
    keep = set()
    for t in targets:
        row = existing.get(t["customer"].pk) or PlanTarget(plan=plan, customer=t["customer"])
        n = t.get("calls_per_month")
        row.calls_per_month = n if n is not None else (defaults.get(t["customer"].pk) or 0)
        row.objective = (t.get("objective") or "").strip()[:300]
        row.activities = (t.get("activities") or "").strip()
        row.save()
        keep.add(t["customer"].pk)
    gone = list(plan.targets.exclude(customer__in=keep).values_list("customer_id", flat=True))
    if gone:
        plan.targets.filter(customer__in=gone).delete()
        PlanMonth.focus.through.objects.filter(planmonth__plan=plan, customer__in=gone).delete()


def _write_month(plan, month):
    """month: {"month": "2026-10", "focus": [customers], "meetings": "..."}."""
    key = month.get("month") or month_of(timezone.localdate()).key
    period = parse(key, "month")
    quarter = parse(plan.quarter, "quarter")
    if not period.is_month or not quarter.start <= period.start <= quarter.end:
        raise ValidationError({"month": _("Choose a month of the plan's quarter.")})
    focus = list(month.get("focus") or [])
    targets = set(plan.targets.values_list("customer_id", flat=True))
    if any(c.pk not in targets for c in focus):
        raise ValidationError(
            {"month": _("The focus customers of the month are focus customers of the plan.")}
        )
    row, _created = PlanMonth.objects.get_or_create(plan=plan, month=period.key)
    row.meetings = (month.get("meetings") or "").strip()
    row.save()
    row.focus.set(focus)


@transaction.atomic
def plan_create(*, by: User, quarter: str, targets=None, months=(), id=None, **fields) -> Plan:
    """Start the rep's plan of `quarter` (draft), pre-filled from last quarter's plan."""
    if not can_plan(by):
        raise PermissionDenied(_("Only a rep writes a plan."))
    period = parse(quarter, "quarter")
    if period.is_month:
        raise ValidationError({"quarter": _("Give a quarter like 2026-Q4.")})
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    territory = rep_territory(by)
    if Plan.objects.filter(rep=by, quarter=period.key).exists():
        raise Conflict(_("You have a plan for %(quarter)s already.") % {"quarter": period.key})
    plan = Plan(rep=by, territory=territory, quarter=period.key, **fields)
    if id is not None:
        if Plan.objects.filter(pk=id).exists():
            raise Conflict(_("A plan with this id exists already."))
        plan.id = id
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:  # a concurrent create of the same quarter
        raise Conflict(
            _("You have a plan for %(quarter)s already.") % {"quarter": period.key}
        ) from None
    if targets is None:
        targets = default_targets(territory=territory, quarter=period.key)
    _write_targets(plan, targets)
    for month in months:
        _write_month(plan, month)
    _event(plan, by, PlanAction.CREATED, "")
    return plan


@transaction.atomic
def plan_update(
    *,
    by: User,
    plan: Plan,
    targets=None,
    months=None,
    expected_version: int | None = None,
    **fields,
) -> Plan:
    """The rep edits a draft or returned plan; `None` keeps what the plan has. With
    `expected_version` (the version the rep read), a plan changed since is `Stale`."""
    plan = _own_plan(by, plan, expected_version)
    if not plan.is_editable:
        raise Conflict(
            _("A %(status)s plan cannot be changed.")
            % {"status": PlanStatus(plan.status).label.lower()}
            + (" " + _("Start a revision first.") if plan.status == PlanStatus.APPROVED else "")
        )
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(plan, name, (value or "").strip())
    if targets is not None:
        _write_targets(plan, targets)
    for month in months or ():
        _write_month(plan, month)
    plan.save()  # version +1 even when only targets changed
    return plan


@transaction.atomic
def plan_submit(*, by: User, plan: Plan, expected_version: int | None = None) -> Plan:
    """The rep submits a draft or returned plan to their DM."""
    plan = _own_plan(by, plan, expected_version)
    if plan.is_editable and not plan.targets.exists():
        raise ValidationError({"targets": _("Choose at least one focus customer.")})
    return _move(
        plan,
        by,
        allowed_from={PlanStatus.DRAFT, PlanStatus.RETURNED},
        to=PlanStatus.SUBMITTED,
        action=PlanAction.SUBMITTED,
    )


@transaction.atomic
def plan_approve(
    *, by: User, plan: Plan, comment: str = "", expected_version: int | None = None
) -> Plan:
    """The rep's DM (or an admin) approves a submitted plan; the version is kept."""
    plan = _locked_plan(by, plan, expected_version)
    if not can_decide(by, plan):
        raise PermissionDenied(_("Only the rep's district manager approves this plan."))
    plan = _move(
        plan,
        by,
        allowed_from={PlanStatus.SUBMITTED},
        to=PlanStatus.APPROVED,
        action=PlanAction.APPROVED,
        comment=(comment or "").strip(),
    )
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    PlanVersion.objects.create(
        plan=plan,
        number=number,
        snapshot=selectors.snapshot(plan),
        approved_by=by,
        approved_at=timezone.now(),
    )
    return plan


@transaction.atomic
def plan_return(*, by: User, plan: Plan, comment: str, expected_version: int | None = None) -> Plan:
    """The DM returns a submitted plan with a comment; the rep revises and resubmits."""
    plan = _locked_plan(by, plan, expected_version)
    if not can_decide(by, plan):
        raise PermissionDenied(_("Only the rep's district manager returns this plan."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what the rep should change.")})
    return _move(
        plan,
        by,
        allowed_from={PlanStatus.SUBMITTED},
        to=PlanStatus.RETURNED,
        action=PlanAction.RETURNED,
        comment=comment,
    )


@transaction.atomic
def plan_revise(*, by: User, plan: Plan, expected_version: int | None = None) -> Plan:
    """The rep starts a revision of an approved plan (the monthly update): back to draft; the
    approved version stays readable and the revision goes back to the DM when submitted."""
    plan = _own_plan(by, plan, expected_version)
    return _move(
        plan,
        by,
        allowed_from={PlanStatus.APPROVED},
        to=PlanStatus.DRAFT,
        action=PlanAction.REVISED,
    )


# --- the weekly itinerary: planned calls through calls.services ------------------------------


def itinerary_add(*, by: User, day: dt.date, customers) -> list[Call]:
    """Plan a visit to each customer on `day` (one planned call each, with the objective of the
    rep's plan for that customer where there is one)."""
    if not can_plan(by):
        raise PermissionDenied(_("Only a rep plans visits."))
    customers = list(customers)
    if not customers:
        raise ValidationError({"customers": _("Choose at least one customer.")})
    if day < timezone.localdate():
        raise ValidationError({"date": _("Plan a visit for today or later.")})
    objectives = dict(
        PlanTarget.objects.filter(
            plan__rep=by,
            plan__quarter=quarter_of(day).key,
            customer__in=[c.pk for c in customers],
        ).values_list("customer_id", "objective")
    )
    with transaction.atomic():
        return [
            call_services.call_create(
                by=by,
                customers=[customer],
                status=CallStatus.PLANNED,
                date=day,
                objective=objectives.get(customer.pk, ""),
            )
            for customer in customers
        ]


def itinerary_remove(*, by: User, call: Call) -> Call:
    """Take a planned visit off the itinerary (the call is cancelled, as calls.services does)."""
    return call_services.call_cancel(by=by, call=call)


# --- joint calls ----------------------------------------------------------------------------


@transaction.atomic
def joint_call_propose(*, by: User, call: Call, note: str = "") -> JointCallProposal:
    """Propose to join a colleague's planned visit (a rep of the same district)."""
    if not can_plan(by):
        raise PermissionDenied(_("Only a rep proposes a joint call."))
    call = selectors.shared_calls(by).filter(pk=call.pk).first()
    if call is None:
        raise Http404
    if call.date < timezone.localdate():
        raise Conflict(_("This visit is in the past."))
    if JointCallProposal.objects.filter(
        call=call, proposer=by, status=JointCallStatus.PENDING
    ).exists():
        raise Conflict(_("You have proposed to join this call already."))
    return JointCallProposal.objects.create(call=call, proposer=by, note=(note or "").strip())


@transaction.atomic
def joint_call_decide(*, by: User, proposal: JointCallProposal, accept: bool):
    """The colleague whose visit it is accepts or declines."""
    proposal = (
        JointCallProposal.objects.select_for_update(of=("self",))
        .select_related("call")
        .filter(pk=proposal.pk, call__rep=by)
        .first()
    )
    if proposal is None:
        raise Http404
    if proposal.status != JointCallStatus.PENDING:
        raise Conflict(_("This proposal has been decided already."))
    proposal.status = JointCallStatus.ACCEPTED if accept else JointCallStatus.DECLINED
    proposal.decided_at = timezone.now()
    proposal.save()
    return proposal


def customers_by_ids(*, by: User, ids) -> list[Customer]:
    """The customers `ids` among those `by` may see. An id that is malformed, unknown or out of
    the caller's scope is one and the same error, which names nobody."""
    ids = list(dict.fromkeys(str(pk).strip() for pk in ids))
    try:
        wanted = {uuid.UUID(pk) for pk in ids}
    except ValueError:
        wanted = None
    found = list(Customer.objects.for_user(by).filter(pk__in=wanted)) if wanted else []
    if wanted is None or len(found) != len(wanted):
        raise ValidationError(
            {"customers": _("A chosen customer is not one of yours, or no longer exists.")}
        )
    return found
