"""The quarterly plan and its transitions: draft → submitted → approved, or submitted →
returned → (edited) → submitted …; `plan_revise` takes an approved plan back to draft. Each
transition locks the plan row and checks the state inside its transaction; its PlanEvent is
announced on commit (`planning.signals.plan_event`)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.concurrency import Conflict, check_version
from core.periods import parse
from org.models import User

from .. import selectors
from ..models import Plan, PlanAction, PlanEvent, PlanStatus, PlanVersion
from ..signals import plan_event
from .permissions import can_decide, can_plan
from .targets import default_targets, rep_territory, write_month, write_targets

TEXT_FIELDS = ("review", "goals", "key_result_areas")
STALE_PLAN = gettext_lazy("The plan has changed since you read it (version %(v)s).")


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
    write_targets(plan, targets)
    for month in months:
        write_month(plan, month)
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
        write_targets(plan, targets)
    for month in months or ():
        write_month(plan, month)
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
