"""A plan's focus customers (targets) and its monthly update, and the pre-fill of a new plan:
last quarter's focus customers, or the territory's A and B customers. Written inside the plan's
transaction by planning.services.plans."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.periods import month_of, parse
from customers.models import Alignment, Customer
from customers.selectors import with_territory_klass
from org.models import Territory, User

from .. import selectors
from ..models import Plan, PlanMonth, PlanTarget


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
    aligned = Alignment.objects.in_force_on(day).filter(territory=territory)
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
    aligned = Alignment.objects.in_force_on(period.start).filter(territory=territory)
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


def write_targets(plan, targets):
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
        Alignment.objects.in_force_on(max(period.start, min(timezone.localdate(), period.end)))
        .filter(
            territory=plan.territory,
            customer__in=[c.pk for c in customers],
            valid_from__lte=period.end,
        )
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


def write_month(plan, month):
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
