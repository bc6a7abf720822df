"""Read paths of planning: scoped plans (`Plan.objects.for_user`), the plan page's focus
customers with class, requirement and adherence (one query), versions and their diff, the DM's
inbox and team adherence, the itinerary suggestions and what colleagues share.

Adherence (DOMAIN "plan adherence"): for a focus customer, planned = calls per month × the months
of the quarter started so far; completed = completed calls of the plan's territory the customer
attended in the quarter so far. A rep's or team's adherence = Σ min(completed, planned) / Σ
planned, so extra calls on one customer do not hide missing calls on another.
"""

import datetime as dt

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from calls.models import Call, CallAttendee, CallStatus
from core.periods import Period, month_of, parse, quarter_of
from customers.models import Customer, target_class
from customers.selectors import territory_klass
from org.models import District, Role, Territory
from org.selectors import field_days
from reports.selectors import compliance_report, requirement_table

from .models import (
    JointCallProposal,
    JointCallStatus,
    Plan,
    PlanEvent,
    PlanMonth,
    PlanningSettings,
    PlanStatus,
    PlanTarget,
    PlanVersion,
)


def _ratio(part, whole):
    return round(part / whole, 4) if whole else None


def required_calls(*, territory, customers, day):
    """{customer_id: calls per month its class requires (for the territory's team, on `day`)};
    None for "as needed" or no class. Two queries."""
    requirements = requirement_table(territory.team)
    rows = (
        Customer.objects.filter(pk__in=list(customers))
        .with_target_class(Territory.objects.filter(pk=territory.pk), day)
        .values_list("pk", "target_class")
    )
    out = {}
    for pk, klass in rows:
        requirement = requirements.get(klass)
        out[pk] = requirement.calls_per_month if requirement else None
    return out


def months_started(period: Period, today=None):
    """How many months of the quarter have started by `today` (0–3)."""
    today = today or timezone.localdate()
    return sum(1 for m in period.months if m.start <= today)


def _calls(status, start, end, territory_ref="plan__territory"):
    """The customer's calls of `status` in the territory between `start` and `end`."""
    return Coalesce(
        Subquery(
            CallAttendee.objects.filter(
                customer=OuterRef("customer"),
                call__territory=OuterRef(territory_ref),
                call__status=status,
                call__date__range=(start, end),
            )
            .values("customer")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def _completed_calls(start, end, territory_ref="plan__territory"):
    return _calls(CallStatus.COMPLETED, start, end, territory_ref)


def _planned_calls(start, end, territory_ref="plan__territory"):
    return _calls(CallStatus.PLANNED, start, end, territory_ref)


def plan_get(user, pk):
    """The plan with what its page shows, or 404 (missing or out of scope)."""
    return get_object_or_404(
        Plan.objects.for_user(user)
        .select_related("rep", "territory__team", "territory__district__dm")
        .prefetch_related(
            Prefetch("months", queryset=PlanMonth.objects.prefetch_related("focus")),
            Prefetch(
                "versions",
                queryset=PlanVersion.objects.select_related("approved_by").order_by("-number"),
            ),
            Prefetch("events", queryset=PlanEvent.objects.select_related("actor")),
        ),
        pk=pk,
    )


def plan_list(user):
    """Plans in scope with rep and territory (for lists and the API)."""
    return Plan.objects.for_user(user).select_related("rep", "territory__district")


def target_rows(plan, today=None):
    """The plan's focus customers with `klass` (in the plan's territory on the quarter's first
    day), `required` (the class's calls per month), `planned` and `completed` (quarter so far)
    and `scheduled` (planned visits still open in the quarter). One query + requirements."""
    today = today or timezone.localdate()
    period = parse(plan.quarter, "quarter")
    months = months_started(period, today)
    through = min(today, period.end)
    territories = Territory.objects.filter(pk=plan.territory_id)
    rows = list(
        PlanTarget.objects.filter(plan=plan)
        .select_related("customer__institution", "customer__department")
        .annotate(
            klass=territory_klass(territories, period.start, customer_ref="customer_id"),
            target_class=target_class(territories, period.start, customer_ref="customer_id"),
            completed=_completed_calls(period.start, through),
            scheduled=_planned_calls(period.start, period.end),
        )
        .order_by("klass", "customer__name", "pk")
    )
    requirements = requirement_table(plan.territory.team)
    for row in rows:
        requirement = requirements.get(row.target_class)
        row.badge = "N" if (row.klass or "").startswith("N") else row.klass
        row.required = requirement.calls_per_month if requirement else None
        row.planned = row.calls_per_month * months
        row.adherence = _ratio(min(row.completed, row.planned), row.planned)
        row.met = row.completed >= row.planned
    return rows


def plan_capacity(plan, targets=None):
    """The plan's capacity (Veeva Align; DOMAIN "plan's capacity"), shown at its approval:

    - `field_days`: the rep's field days of the plan's quarter (`org.selectors.field_days`:
      working days — weekdays minus holidays plus make-up days — without the rep's absences);
    - `call_rate_target`: the territory team's completed calls per field day;
    - `capacity` = field days × call-rate target: the calls the rep can make in the quarter;
    - `planned_calls`: the plan's calls for the whole quarter, Σ over its focus customers of
      planned calls per month × the quarter's 3 months (`targets`: the plan's targets already
      read, else one query);
    - `utilisation` = planned ÷ capacity (a share, None without capacity), with `over` (above
      100 %) and `under` (below the admin-set `floor`, PlanningSettings.capacity_floor, a share).

    Four queries, whatever the number of targets (fewer with `targets`)."""
    period = parse(plan.quarter, "quarter")
    days = field_days(plan.rep, period.start, period.end)
    target = plan.territory.team.call_rate_target
    capacity = days * target
    if targets is None:
        targets = PlanTarget.objects.filter(plan=plan).values_list("calls_per_month", flat=True)
    else:
        targets = [t.calls_per_month for t in targets]
    planned = sum(targets) * len(period.months)
    utilisation = round(planned / capacity, 4) if capacity else None
    floor = PlanningSettings.load().capacity_floor / 100
    return {
        "field_days": days,
        "call_rate_target": target,
        "capacity": capacity,
        "planned_calls": planned,
        "utilisation": utilisation,
        "floor": floor,
        "over": utilisation is not None and utilisation > 1,
        "under": utilisation is not None and utilisation < floor,
    }


def planning_settings_changes(limit=50):
    """The changes of the planning settings, newest first: `when`, `who`, `old` (None for the
    first record) and `new` capacity floor. One query."""
    History = PlanningSettings.history.model
    records = list(
        History.objects.select_related("history_user").order_by("history_date", "history_id")
    )
    entries = []
    previous = None
    for record in records:
        if previous is None or previous.capacity_floor != record.capacity_floor:
            entries.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "old": previous.capacity_floor if previous is not None else None,
                    "new": record.capacity_floor,
                }
            )
        previous = record
    return entries[::-1][:limit]


def customer_plans(user, customer, limit=8):
    """The focus-customer rows naming `customer` in the plans the user may see (a rep: their own
    and colleagues' approved plans; a DM: the district's), newest quarter first. One query."""
    return list(
        PlanTarget.objects.filter(customer=customer, plan__in=Plan.objects.for_user(user))
        .select_related("plan__rep", "plan__territory")
        .order_by("-plan__quarter", "plan__rep__username")[:limit]
    )


def summarise(rows):
    planned = sum(r.planned for r in rows)
    completed = sum(r.completed for r in rows)
    met = sum(min(r.completed, r.planned) for r in rows)
    return {
        "targets": len(rows),
        "planned": planned,
        "completed": completed,
        "adherence": _ratio(met, planned),
    }


def shows_calls_made(plan, today=None):
    """The DM's plan view shows calls made so far from the second month of the quarter on."""
    today = today or timezone.localdate()
    return months_started(parse(plan.quarter, "quarter"), today) >= 2


def team_adherence(plans, quarter: str, today=None):
    """Per plan of `plans` (a queryset or ids of plans of one quarter): planned, completed and
    adherence of its focus customers; one aggregate query over all their targets, summed per
    plan."""
    today = today or timezone.localdate()
    period = parse(quarter, "quarter")
    months = months_started(period, today)
    through = min(today, period.end)
    totals = {}
    for plan_id, per_month, completed in (
        PlanTarget.objects.filter(plan__in=plans)
        .annotate(completed=_completed_calls(period.start, through))
        .values_list("plan_id", "calls_per_month", "completed")
    ):
        total = totals.setdefault(plan_id, {"planned": 0, "completed": 0, "met": 0, "targets": 0})
        planned = per_month * months
        total["targets"] += 1
        total["planned"] += planned
        total["completed"] += completed
        total["met"] += min(planned, completed)
    for total in totals.values():
        total["adherence"] = _ratio(total["met"], total["planned"])
    return totals


def team_total(totals):
    planned = sum(t["planned"] for t in totals)
    met = sum(t["met"] for t in totals)
    return {
        "planned": planned,
        "completed": sum(t["completed"] for t in totals),
        "adherence": _ratio(met, planned),
    }


def inbox(user):
    """Submitted plans the user decides: a DM's district's, or every one for an admin."""
    plans = Plan.objects.for_user(user).awaiting()
    if not user.is_admin:
        plans = plans.filter(territory__district__dm=user)
    return plans.select_related("rep", "territory__district").order_by("submitted_at")


def district_plans(user, quarter):
    """The plans of one quarter a manager sees (their district or region)."""
    return (
        Plan.objects.for_user(user)
        .filter(quarter=quarter)
        .select_related("rep", "territory__district")
        .order_by("territory__district__code", "territory__code")
    )


def colleague_plans(user, quarter=None):
    """Approved plans of colleagues of the same team and district (read-only sharing)."""
    plans = Plan.objects.for_user(user).exclude(rep=user).filter(status=PlanStatus.APPROVED)
    if quarter:
        plans = plans.filter(quarter=quarter)
    return plans.select_related("rep", "territory__district").order_by("-quarter", "rep__name")


def review(plan):
    """Last quarter at a glance: coverage and frequency per class from the snapshots, and the
    adherence of last quarter's plan (if there was one)."""
    period = parse(plan.quarter, "quarter").previous()
    report = compliance_report(
        territories=Territory.objects.filter(pk=plan.territory_id),
        period=period,
        team=plan.territory.team,
    )
    previous = Plan.objects.filter(territory=plan.territory, quarter=period.key).first()
    adherence = None
    if previous is not None:
        totals = team_adherence(Plan.objects.filter(pk=previous.pk), period.key, today=period.end)
        adherence = totals.get(previous.pk)
    return {
        "period": period,
        "rows": [r for r in report["rows"] if r["targets"]],
        "call_rate": report["call_rate"],
        "completed_calls": report["completed_calls"],
        "previous": previous,
        "adherence": adherence,
    }


# --- versions -------------------------------------------------------------------------------


def snapshot(plan):
    """The plan's content as JSON (what an approval keeps)."""
    targets = (
        PlanTarget.objects.filter(plan=plan)
        .select_related("customer")
        .order_by("customer__name", "customer_id")
    )
    months = PlanMonth.objects.filter(plan=plan).prefetch_related("focus").order_by("month")
    return {
        "quarter": plan.quarter,
        "review": plan.review,
        "goals": plan.goals,
        "key_result_areas": plan.key_result_areas,
        "targets": [
            {
                "customer": str(t.customer_id),
                "name": str(t.customer),
                "calls_per_month": t.calls_per_month,
                "objective": t.objective,
                "activities": t.activities,
            }
            for t in targets
        ],
        "months": [
            {
                "month": m.month,
                "focus": sorted(str(c.pk) for c in m.focus.all()),
                "focus_names": sorted(str(c) for c in m.focus.all()),
                "meetings": m.meetings,
            }
            for m in months
        ],
    }


TEXT_LABELS = {"review": "review", "goals": "goals", "key_result_areas": "key_result_areas"}
TARGET_FIELDS = ("calls_per_month", "objective", "activities")


def diff(old, new):
    """What changed from snapshot `old` (an approved version; None: nothing approved yet) to
    `new`: {"fields": [(name, old, new)], "added": [target], "removed": [target],
    "changed": [(name, [(field, old, new)])], "months": [(month, old, new)]}."""
    if old is None:
        return None
    fields = [
        (name, old.get(name, ""), new.get(name, ""))
        for name in TEXT_LABELS
        if old.get(name, "") != new.get(name, "")
    ]
    before = {t["customer"]: t for t in old.get("targets", [])}
    after = {t["customer"]: t for t in new.get("targets", [])}
    added = [after[k] for k in after if k not in before]
    removed = [before[k] for k in before if k not in after]
    changed = []
    for key in after:
        if key in before:
            changes = [
                (f, before[key].get(f), after[key].get(f))
                for f in TARGET_FIELDS
                if before[key].get(f) != after[key].get(f)
            ]
            if changes:
                changed.append((after[key]["name"], changes))
    old_months = {m["month"]: m for m in old.get("months", [])}
    new_months = {m["month"]: m for m in new.get("months", [])}
    months = [
        (key, old_months.get(key), new_months.get(key))
        for key in sorted(set(old_months) | set(new_months))
        if (old_months.get(key) or {}).get("focus") != (new_months.get(key) or {}).get("focus")
        or (old_months.get(key) or {}).get("meetings", "")
        != (new_months.get(key) or {}).get("meetings", "")
    ]
    return {
        "fields": fields,
        "added": added,
        "removed": removed,
        "changed": changed,
        "months": months,
        "empty": not (fields or added or removed or changed or months),
    }


def diff_to_last_approved(plan):
    """The plan now against its last approved version (None when none was approved)."""
    last = plan.versions.order_by("-number").first()
    if last is None:
        return None, None
    return last, diff(last.snapshot, snapshot(plan))


# --- the weekly itinerary and sharing ------------------------------------------------------


def current_plan(rep, day=None):
    day = day or timezone.localdate()
    return Plan.objects.filter(rep=rep, quarter=quarter_of(day).key).first()


def suggestions(rep, day=None):
    """The focus customers of the rep's current plan, furthest below their frequency this month
    first: gap = planned per month − completed this month − visits already planned this month.
    One query."""
    day = day or timezone.localdate()
    month = month_of(day)
    return list(
        PlanTarget.objects.filter(plan__rep=rep, plan__quarter=quarter_of(day).key)
        .select_related("customer__institution", "customer__department")
        .annotate(
            done=_completed_calls(month.start, month.end),
            booked=_planned_calls(month.start, month.end),
        )
        .annotate(gap=F("calls_per_month") - F("done") - F("booked"))
        .order_by("-gap", "customer__institution__name", "customer__name")
    )


def _rep_districts(user):
    return District.objects.filter(territories__rep=user)


def shared_calls(user):
    """Planned visits of the rep's colleagues in the same district (read-only sharing)."""
    if user.role != Role.REP:
        return Call.objects.none()
    return Call.objects.filter(
        status=CallStatus.PLANNED, territory__district__in=_rep_districts(user)
    ).exclude(rep=user)


def _week_calls(queryset, monday):
    sunday = monday + dt.timedelta(days=6)
    return (
        queryset.filter(date__range=(monday, sunday))
        .select_related("rep", "institution", "department")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=CallAttendee.objects.select_related("customer").order_by("customer__name"),
            )
        )
        .order_by("date", "start_time", "institution__name", "created_at")
    )


def _by_day(calls, monday):
    by_day = {}
    for call in calls:
        by_day.setdefault(call.date, []).append(call)
    return [
        (monday + dt.timedelta(days=i), by_day.get(monday + dt.timedelta(days=i), []))
        for i in range(7)
    ]


def week_itinerary(rep, monday):
    """The rep's own planned (and logged) calls of the week, day by day."""
    calls = list(
        _week_calls(Call.objects.filter(rep=rep).exclude(status=CallStatus.CANCELLED), monday)
    )
    proposals = {}
    for p in JointCallProposal.objects.filter(call__in=[c.pk for c in calls]).select_related(
        "proposer"
    ):
        proposals.setdefault(p.call_id, []).append(p)
    for call in calls:
        call.proposals = proposals.get(call.pk, [])
    return _by_day(calls, monday)


def colleague_week(user, monday):
    """Colleagues' planned visits of the week (same district), with the user's proposals."""
    calls = list(_week_calls(shared_calls(user), monday))
    mine = {
        p.call_id: p
        for p in JointCallProposal.objects.filter(
            proposer=user, call__in=[c.pk for c in calls]
        ).exclude(status=JointCallStatus.DECLINED)
    }
    for call in calls:
        call.my_proposal = mine.get(call.pk)
    return _by_day(calls, monday)


def proposals_for(user):
    """Pending proposals to join the user's planned visits."""
    return (
        JointCallProposal.objects.filter(call__rep=user, status=JointCallStatus.PENDING)
        .select_related("proposer", "call__institution")
        .order_by("call__date")
    )


def latest_return(plan):
    """The last return event (the DM's comment the rep must see)."""
    return next((e for e in plan.events.all() if e.action == "returned"), None)


def quarter_choices(today=None):
    today = today or timezone.localdate()
    this = quarter_of(today)
    nxt = quarter_of(this.end + dt.timedelta(days=1))
    return [this.key, nxt.key]


def plan_desk(user):
    """The managers' plans table: plans in scope with rep and territory, `targets_count` (focus
    customers) and `planned_calls` (their calls per month × 3 months); subqueries, no GROUP BY."""
    targets = PlanTarget.objects.filter(plan=OuterRef("pk")).order_by().values("plan")
    return (
        Plan.objects.for_user(user)
        .select_related("rep", "territory__district")
        .annotate(
            targets_count=Coalesce(
                Subquery(targets.annotate(n=Count("pk")).values("n")[:1]),
                0,
                output_field=IntegerField(),
            ),
            planned_calls=Coalesce(
                Subquery(targets.annotate(n=Sum("calls_per_month") * 3).values("n")[:1]),
                0,
                output_field=IntegerField(),
            ),
        )
    )


def plan_quarters(user):
    """The quarters of the plans the user sees (the quarter filter's choices)."""
    return Plan.objects.for_user(user).order_by().values_list("quarter", flat=True).distinct()


# Privacy (PIPL / GDPR): the plans naming a person, for their export (customers.privacy).


def personal_plans(customer) -> dict:
    """The plans naming `customer`: as a focus customer of the quarter (with the calls planned,
    objective and activities) and as a focus customer of a month. Two queries."""
    return {
        "targets": list(
            PlanTarget.objects.filter(customer=customer)
            .order_by("plan__quarter", "plan_id")
            .values(
                "plan_id",
                "plan__quarter",
                "plan__status",
                "plan__rep__username",
                "plan__territory__code",
                "calls_per_month",
                "objective",
                "activities",
            )
        ),
        "months": list(
            PlanMonth.objects.filter(focus=customer)
            .order_by("month", "plan_id")
            .values("plan_id", "plan__quarter", "plan__rep__username", "month")
        ),
    }
