"""Read paths of the reports: the scope of a report (`report_scope`), the requirement table
(`requirement_tables`), the figures of a territory, district or region for a period summed from
the territories' snapshots (counts are summed, never ratios averaged; the figures themselves are
computed in reports.figures) and how fresh those snapshots are (`snapshot_freshness`)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone

from calls.models import Call, CallAttendee, CallProduct, CallStatus
from core.expressions import one_of
from core.ids import uuid_or_404
from core.periods import Period, month_of
from customers.models import Alignment, ClassHistory, Customer, target_class, target_class_is
from customers.selectors import territory_klass
from org.models import District, Region, Role, Team, Territory

from . import figures
from .models import ActivitySnapshot, ClassSnapshot, Requirement, TargetClass


def _ratio(part, whole):
    """A share as the API answers it (4 decimal places); see figures.ratio."""
    return figures.rounded(figures.ratio(part, whole))


# The requirement table: one reader.


def requirement_tables(team_ids):
    """The requirement table of each team: {team_id: {klass: Requirement}} (the team's own rows
    over the company defaults), and the company defaults under None. The one reader of the
    requirements (the engine's SQL joins the same rule). One query."""
    team_ids = {pk for pk in team_ids if pk is not None}
    rows = list(Requirement.objects.filter(Q(team__isnull=True) | Q(team__in=team_ids)))
    defaults = {r.klass: r for r in rows if r.team_id is None}
    tables = {None: defaults}
    for team_id in team_ids:
        tables[team_id] = {**defaults, **{r.klass: r for r in rows if r.team_id == team_id}}
    return tables


def requirement_table(team):
    """{klass: Requirement} for a team (None: the company default): its own rows, else the
    company defaults."""
    team_id = team.pk if team is not None else None
    return requirement_tables({team_id})[team_id]


# The scope of a report: one resolution for the pages, the API and the exports.


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: `kind` ("territory" | "district" | "region") and its `object`
    (None: the user has nothing of that kind)."""

    user: object
    kind: str
    object: object

    @property
    def territories(self):
        """The scope's territories, as far as the user may see them (a queryset)."""
        if self.object is None:
            return Territory.objects.none()
        return scope_territories(self.user, **{self.kind: self.object})

    @property
    def team(self):
        """The team whose requirements judge the figures: a territory's; None (the company
        default) for a district or region, whose territories may belong to several teams."""
        return self.object.team if self.kind == "territory" and self.object else None


SCOPE_KINDS = ("territory", "district", "region")


def report_scope(user, params) -> ReportScope:
    """The scope named by `params` (`territory=`, `district=` or `region=`: the first given, in
    that order) within the user's scope — else 404, a malformed id too. With none given, the
    user's own: a rep's (first) territory, a DM's district, a regional manager's or admin's
    (first) region. The pages, the API and the exports resolve their scope here."""
    territories = Territory.objects.for_user(user).select_related("team", "district", "rep")
    districts = District.objects.for_user(user).select_related("region", "dm")
    regions = Region.objects.for_user(user).select_related("manager")
    found = {"territory": territories, "district": districts, "region": regions}
    for kind in SCOPE_KINDS:
        if params.get(kind):
            obj = get_object_or_404(found[kind], pk=uuid_or_404(params[kind]))
            return ReportScope(user, kind, obj)
    if user.is_rep:
        return ReportScope(user, "territory", territories.order_by("code").first())
    if user.role == Role.DM:
        return ReportScope(user, "district", districts.order_by("code").first())
    return ReportScope(user, "region", regions.order_by("code").first())


# How fresh the snapshots are.


def snapshot_freshness(territories, period: Period):
    """When the snapshots of `territories` (a queryset) for `period` were computed: {"as_of":
    the oldest computation — every figure shown is at least that fresh — or None when there is
    none yet, "missing": True when no snapshot exists}. One query."""
    at = ActivitySnapshot.objects.filter(period=period.key, territory__in=territories).aggregate(
        at=Min("computed_at")
    )["at"]
    return {"as_of": at, "missing": at is None}


def compliance_report(*, territories, period: Period, team=None):
    """The API's `reports/compliance/` answer (without `scope`) for a set of territories (a
    queryset, already scoped): one row per class — A–D, N1–N3 — with summed counts, ratios that
    are null where there is nothing to judge, and the activity figures."""
    classes = (
        ClassSnapshot.objects.filter(period=period.key, territory__in=territories)
        .values("klass", "calls_per_month")
        .annotate(
            targets=Sum("targets"),
            covered=Sum("covered"),
            frequency_compliant=Sum("frequency_compliant"),
        )
    )
    by_class = {}
    for row in classes:
        total = by_class.setdefault(
            row["klass"],
            {"targets": 0, "covered": 0, "frequency_compliant": None, "calls_per_month": set()},
        )
        total["targets"] += row["targets"]
        total["covered"] += row["covered"]
        if row["frequency_compliant"] is not None:
            total["frequency_compliant"] = (total["frequency_compliant"] or 0) + row[
                "frequency_compliant"
            ]
        if row["calls_per_month"] is not None:
            total["calls_per_month"].add(row["calls_per_month"])
    requirements = requirement_table(team)
    rows = []
    for klass in TargetClass.values:
        total = by_class.get(klass, {})
        requirement = requirements.get(klass)
        per_month = figures.calls_per_month(requirement)
        required = total.get("calls_per_month") or ({per_month} if per_month else set())
        calls_per_month = required.pop() if len(required) == 1 else None
        targets = total.get("targets", 0)
        frequency_compliant = total.get("frequency_compliant") if period.is_month else None
        rows.append(
            {
                "klass": klass,
                "targets": targets,
                "covered": total.get("covered", 0),
                "coverage": figures.rounded(figures.coverage(total.get("covered", 0), targets)),
                "coverage_required": figures.coverage_required(requirement, period),
                "calls_per_month": calls_per_month,
                "frequency_compliant": frequency_compliant if targets else None,
                "frequency_compliance": figures.rounded(
                    figures.frequency_compliance(frequency_compliant, targets)
                ),
            }
        )
    activity = ActivitySnapshot.objects.filter(
        period=period.key, territory__in=territories
    ).aggregate(
        completed_calls=Sum("completed_calls"),
        field_days=Sum("field_days"),
        pim_count=Sum("pim_count"),
        computed_at=Max("computed_at"),
    )
    completed, days = activity["completed_calls"], activity["field_days"]
    call_rate = figures.call_rate(completed, days)
    return {
        "period": period.key,
        "computed_at": activity["computed_at"],
        "rows": rows,
        "call_rate": call_rate,
        "field_days": days,
        "completed_calls": completed,
        "pim_count": activity["pim_count"],
    }


def scope_territories(user, *, territory=None, district=None, region=None):
    """The territories of one territory, district or region, as far as the user may see them."""
    visible = Territory.objects.for_user(user)
    if territory is not None:
        return visible.filter(pk=territory.pk)
    if district is not None:
        return visible.filter(district=district)
    return visible.filter(district__region=region)


def scope_ids(territories):
    """The ids of `territories` (a queryset; a list of ids is returned as is), read once: a
    drill's first join narrows to them as literal values. Given as the scope's subquery,
    PostgreSQL planned the semi-join to the region last, after every alignment of the company
    (over 3 minutes at 650,000 customers); a scope is at most a region's territories (a few
    hundred ids)."""
    if isinstance(territories, list):
        return territories
    return list(territories.order_by().values_list("pk", flat=True))


# Dashboard reads (rep, DM and regional pages).


def _or(left, right):
    return right if left is None else left | right


def _visits_through(territory, start, end):
    """Completed calls of `territory` dated start..end per customer (a group call counts for
    each attendee): a subquery on the outer customer."""
    return Coalesce(
        Subquery(
            CallAttendee.objects.at_completed_calls(start, end)
            .filter(customer=OuterRef("pk"), call__territory=territory)
            .values("customer")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def period_targets(*, territory, period: Period, through=None):
    """The targets of a territory for `period` — aligned on its first day, with their class
    then (N1–N3 for a non-prescriber, else the highest class of the team's products: the
    engine's definitions) — each annotated `klass` and `call_count`, its completed calls of the
    territory from the period's first day to `through` (default: the period's last day).
    A queryset: one query however many targets."""
    start = period.start
    return (
        Customer.objects.filter(
            Exists(
                Alignment.objects.in_force_on(start).filter(
                    territory=territory, customer=OuterRef("pk")
                )
            )
        )
        .with_target_class(Territory.objects.filter(pk=territory.pk), start, name="klass")
        .annotate(call_count=_visits_through(territory, start, through or period.end))
        .filter(klass__isnull=False)
    )


def _listed(customers, requirements):
    rows = list(
        customers.select_related("institution", "department").order_by(
            "klass", "call_count", "name", "pk"
        )
    )
    for customer in rows:
        requirement = requirements.get(customer.klass)
        customer.required = requirement.calls_per_month if requirement else None
        customer.badge = "N" if customer.klass.startswith("N") else customer.klass
    return rows


def missing_visits(*, territory, period: Period, requirements=None, below_frequency=False):
    """The "why" of a territory's figures: its targets for `period` (see period_targets) that
    are still missing a visit, or, in a month, short of their class's calls per month; sorted by
    class, fewest calls first.

    Each customer carries `klass`, `call_count` (completed calls of the territory in the period) and
    `required` (the calls per month of its class; None: as needed). Classes whose coverage of the
    period and calls per month are both "as needed" list nobody. One query (plus the requirements).

    `below_frequency` (a month): only the targets short of their class's calls per month (a class
    whose calls per month is "as needed" lists nobody, even where its coverage asks a visit).
    """
    requirements = requirements if requirements is not None else requirement_table(territory.team)
    short = None
    for klass in TargetClass.values:
        requirement = requirements.get(klass)
        if requirement is None:
            continue
        coverage = (
            requirement.monthly_coverage if period.is_month else requirement.quarterly_coverage
        )
        if coverage is not None and not below_frequency:
            short = _or(short, Q(klass=klass, call_count=0))
        if period.is_month and requirement.calls_per_month:
            short = _or(short, Q(klass=klass, call_count__lt=requirement.calls_per_month))
    if short is None:
        return []
    return _listed(period_targets(territory=territory, period=period).filter(short), requirements)


DRILLS = ("all", "uncovered", "below")


def target_drill(*, territory, period: Period, klass, show="all", requirements=None):
    """Exactly the customers behind one figure of a territory's dashboard: the targets of
    `klass` for `period` ("all"), those not yet covered — no completed call in the period
    ("uncovered"), or, in a month, those below their class's calls per month ("below"; nobody
    where the class's calls are "as needed"). Sorted fewest calls first. One query."""
    requirements = requirements if requirements is not None else requirement_table(territory.team)
    customers = period_targets(territory=territory, period=period).filter(klass=klass)
    if show == "uncovered":
        customers = customers.filter(call_count=0)
    elif show == "below":
        requirement = requirements.get(klass)
        if not (period.is_month and requirement and requirement.calls_per_month):
            return []
        customers = customers.filter(call_count__lt=requirement.calls_per_month)
    return _listed(customers, requirements)


def week_ends(month: Period):
    """The last day of each Monday–Sunday week of `month`, clipped to the month."""
    ends, day = [], month.start
    while day <= month.end:
        sunday = day + timedelta(days=6 - day.weekday())
        ends.append(min(sunday, month.end))
        day = sunday + timedelta(days=1)
    return ends


def month_progress(*, territory, month: Period, today=None, classes=("A", "B"), requirements=None):
    """The month so far, week by week, for the targets of `classes` together (the targets of the
    month: see period_targets): at the end of each week of the month — cumulative from the
    month's first day, the last point being today in a week still running — how many targets
    are covered and how many reached their class's calls per month. One query.

    {"targets", "frequency_targets" (those of classes with a calls-per-month requirement),
    "weeks": [{"end", "through", "covered", "compliant", "coverage", "frequency"}]}; a week not
    begun yet (after today) has None figures. On the month's last day the figures are those of
    the month's snapshot."""
    today = today or timezone.localdate()
    requirements = requirements if requirements is not None else requirement_table(territory.team)
    required = {
        k: requirements[k].calls_per_month
        for k in classes
        if k in requirements and requirements[k].calls_per_month
    }
    ends = week_ends(month)
    weeks = []
    for end in ends:
        start_of_week = end - timedelta(days=end.weekday())
        through = min(end, today) if max(start_of_week, month.start) <= today else None
        weeks.append({"end": end, "through": through})
    live = [w for w in weeks if w["through"] is not None]
    customers = period_targets(territory=territory, period=month).filter(klass__in=classes)
    figures = {
        "targets": Count("pk"),
        "frequency_targets": Count("pk", filter=Q(klass__in=list(required))),
    }
    for i, week in enumerate(live):
        calls = _visits_through(territory, month.start, week["through"])
        customers = customers.annotate(**{f"calls_{i}": calls})
        figures[f"covered_{i}"] = Count("pk", filter=Q(**{f"calls_{i}__gt": 0}))
        compliant = None
        for klass, n in required.items():
            compliant = _or(compliant, Q(klass=klass, **{f"calls_{i}__gte": n}))
        if compliant is not None:
            figures[f"compliant_{i}"] = Count("pk", filter=compliant)
    totals = customers.aggregate(**figures)
    for i, week in enumerate(live):
        week["covered"] = totals[f"covered_{i}"]
        week["compliant"] = totals.get(f"compliant_{i}") if required else None
    for week in weeks:
        week.setdefault("covered", None)
        week.setdefault("compliant", None)
        week["coverage"] = _ratio(week["covered"], totals["targets"])
        week["frequency"] = _ratio(week["compliant"], totals["frequency_targets"])
    return {
        "targets": totals["targets"],
        "frequency_targets": totals["frequency_targets"] if required else 0,
        "weeks": weeks,
    }


def customer_month(user, customer, day=None):
    """The profile's "this month": per territory in the user's scope that has the customer as a
    target this month (aligned on the month's first day), the class then (DOMAIN: the class of
    the month is the class on its first day), `done` (completed calls of that territory this
    month the customer attended), `required` (the class's calls per month for the territory's
    team; None: as needed or unclassified) and `met` (None where there is nothing to judge).
    Two queries, whatever the data."""
    month = month_of(day or timezone.localdate())
    visits = (
        CallAttendee.objects.at_completed_calls(month.start, month.end)
        .filter(customer=customer, call__territory=OuterRef("territory"))
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )

    def here():
        # Three subqueries deep, as in customers.selectors.klass_counts: the alignment's own
        # territory only.
        return Territory.objects.filter(pk=OuterRef(OuterRef(OuterRef("territory"))))

    alignments = list(
        Alignment.objects.in_force_on(month.start)
        .filter(
            customer=customer,
            territory__in=Territory.objects.for_user(user),
        )
        .select_related("territory__team")
        .annotate(
            klass=territory_klass(here(), month.start, "customer_id"),
            target_class=target_class(here(), month.start, "customer_id"),
            done=Coalesce(Subquery(visits, output_field=IntegerField()), 0),
        )
        .order_by("territory__code")
    )
    tables = requirement_tables({a.territory.team_id for a in alignments}) if alignments else {}
    rows = []
    for alignment in alignments:
        key = alignment.target_class
        requirement = tables[alignment.territory.team_id].get(key) if key else None
        required = requirement.calls_per_month if requirement else None
        rows.append(
            {
                "territory": alignment.territory,
                "klass": alignment.klass,
                "klass_text": key,
                "done": alignment.done,
                "required": required,
                "met": None if required is None else alignment.done >= required,
            }
        )
    return {"month": month, "rows": rows}


def class_cells(*, territories, period: Period, group_by="territory"):
    """{(group id, klass): {targets, covered, frequency_compliant}} summed from the snapshots of
    `territories` (a queryset), grouped by `territory` or `territory__district`. One query."""
    rows = (
        ClassSnapshot.objects.filter(period=period.key, territory__in=territories)
        .values(group_by, "klass")
        .annotate(
            targets=Sum("targets"),
            covered=Sum("covered"),
            frequency_compliant=Sum("frequency_compliant"),
        )
    )
    return {
        (row[group_by], row["klass"]): {
            "targets": row["targets"],
            "covered": row["covered"],
            "frequency_compliant": row["frequency_compliant"] if period.is_month else None,
        }
        for row in rows
    }


def activity_cells(*, territories, period: Period, group_by="territory"):
    """{group id: {completed_calls, field_days, pim_count, computed_at}}. One query."""
    rows = (
        ActivitySnapshot.objects.filter(period=period.key, territory__in=territories)
        .values(group_by)
        .annotate(
            completed_calls=Sum("completed_calls"),
            field_days=Sum("field_days"),
            pim_count=Sum("pim_count"),
            computed_at=Max("computed_at"),
        )
    )
    return {row[group_by]: row for row in rows}


def trends(*, territories, months, classes=("A", "B")):
    """Per month key of `months`: coverage and frequency compliance of `classes` together (sums
    of counts) and the call rate, or None — a gap in a chart, "—" in a table, never 0 % — where
    the month has no data: no snapshot, no targets, or not one completed call recorded in the
    scope (a month before the product was used, or not begun). Two queries."""
    keys = [month.key for month in months]
    by_class = {
        row["period"]: row
        for row in ClassSnapshot.objects.filter(
            period__in=keys, territory__in=territories, klass__in=classes
        )
        .values("period")
        .annotate(
            targets=Sum("targets"),
            covered=Sum("covered"),
            frequency_compliant=Sum("frequency_compliant"),
        )
    }
    activity = {
        row["period"]: row
        for row in ActivitySnapshot.objects.filter(period__in=keys, territory__in=territories)
        .values("period")
        .annotate(calls=Sum("completed_calls"), days=Sum("field_days"))
    }
    series = {"coverage": [], "frequency": [], "call_rate": []}
    for key in keys:
        row, act = by_class.get(key), activity.get(key)
        if not act or not act["calls"]:
            row = act = None  # nothing recorded: no figures, not 0 %
        series["coverage"].append(_ratio(row["covered"], row["targets"]) if row else None)
        series["frequency"].append(
            _ratio(row["frequency_compliant"], row["targets"]) if row else None
        )
        rate = figures.call_rate(act["calls"], act["days"]) if act else None
        series["call_rate"].append(None if rate is None else float(rate))
    return series


def last_call_change(territory):
    """When a call of the territory was last written (None: never)."""
    return Call.objects.filter(territory=territory).aggregate(latest=Max("updated_at"))["latest"]


def snapshot_time(territory, period: Period):
    """When the territory's snapshot of `period` was computed (None: never)."""
    return ActivitySnapshot.objects.filter(territory=territory, period=period.key).aggregate(
        at=Max("computed_at")
    )["at"]


def product_rollup(*, territories, period: Period, classes=("A", "B")):
    """Per product promoted by the teams of `territories`: the teams (by code), how many of the
    territories carry it, the targets and covered of `classes` summed from the snapshots of the
    territories whose team promotes it (snapshots only). [{product, teams, territories, targets,
    covered}] by product code. Three queries, whatever the number of districts and reps."""
    by_team = {
        row["territory__team"]: row
        for row in ClassSnapshot.objects.filter(
            period=period.key, territory__in=territories, klass__in=classes
        )
        .values("territory__team")
        .annotate(targets=Sum("targets"), covered=Sum("covered"))
    }
    territory_counts = {
        row["team"]: row["n"]
        for row in territories.order_by().values("team").annotate(n=Count("pk"))
    }
    links = Team.products.through.objects.filter(team__in=list(territory_counts)).select_related(
        "product", "team"
    )
    rows = {}
    for link in sorted(links, key=lambda x: (x.product.code, x.team.code)):
        row = rows.setdefault(
            link.product_id,
            {
                "product": link.product,
                "teams": [],
                "territories": 0,
                "targets": 0,
                "covered": 0,
            },
        )
        counts = by_team.get(link.team_id) or {}
        row["teams"].append(link.team)
        row["territories"] += territory_counts.get(link.team_id, 0)
        row["targets"] += counts.get("targets") or 0
        row["covered"] += counts.get("covered") or 0
    return list(rows.values())


# Settings part: the requirements page.


def requirement_settings(teams):
    """The company default table and each team's own one (None: it follows the default), for
    the requirements page: {"defaults": {klass: Requirement}, "teams": [(team, {klass:
    Requirement} | None)]}. One query whatever the number of teams."""
    tables = requirement_tables(team.pk for team in teams)
    defaults = tables[None]
    own = {}
    for team_id, table in tables.items():
        rows = {k: r for k, r in table.items() if r.team_id is not None}
        if team_id is not None and rows:
            own[team_id] = rows
    return {"defaults": defaults, "teams": [(team, own.get(team.pk)) for team in teams]}


REQUIREMENT_HISTORY_FIELDS = ("monthly_coverage", "calls_per_month", "quarterly_coverage")


def requirement_get(pk):
    """The requirement row (with its team), or 404."""
    return get_object_or_404(Requirement.objects.select_related("team"), pk=pk)


def requirement_changes(limit=50):
    """The latest changes to the requirements, newest first: each with `when`, `who`, `team`
    (None: the company default), `klass`, `kind` ("+" created, "~" changed, "-" deleted) and
    `changes` [(field, old, new)] against the previous version of the same row, and
    `known_before` (False when that version was never recorded: only the new values are
    known). Two queries."""
    History = Requirement.history.model
    latest = list(
        History.objects.select_related("history_user", "team").order_by(
            "-history_date", "-history_id"
        )[:limit]
    )
    earlier = {}
    if latest:
        for record in History.objects.filter(id__in={r.id for r in latest}).order_by(
            "history_date", "history_id"
        ):
            earlier.setdefault(record.id, []).append(record)
    entries = []
    for record in latest:
        previous = None
        for candidate in earlier.get(record.id, []):
            if (candidate.history_date, candidate.history_id) < (
                record.history_date,
                record.history_id,
            ):
                previous = candidate
        changes = []
        for name in REQUIREMENT_HISTORY_FIELDS:
            new = getattr(record, name)
            old = getattr(previous, name) if previous is not None else None
            if record.history_type == "-":
                changes.append((name, new, None))
            elif record.history_type == "+" or old != new:
                changes.append((name, old, new))
        entries.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "team": record.team,
                "klass": record.klass,
                "kind": record.history_type,
                "changes": changes,
                # False: the row's earlier values were never recorded (e.g. seeded defaults)
                "known_before": previous is not None or record.history_type != "~",
            }
        )
    return entries


# The opportunity analysis (识别生意机会): does the effort match the classes?


# A class is under-served when it gets less than 90 % of its share of the targets (so 7 % of the
# calls for 7.4 % of the targets is not flagged as a rounding artefact).
UNDER_SERVED = 0.9


def effort_by_class(*, territories, period: Period):
    """Per class (A–D, N1–N3, then None for attendees who are no target): the share of the
    targets, of the one-to-one calls and of the meeting invitations, summed from the snapshots of
    `territories`. `under_served`: an A or B class whose share of calls or of invitations is
    more than a tenth below its share of targets (UNDER_SERVED). Two queries."""
    classes = {
        row["klass"]: row
        for row in ClassSnapshot.objects.filter(period=period.key, territory__in=territories)
        .values("klass")
        .annotate(targets=Sum("targets"), calls=Sum("calls"), invitations=Sum("invitations"))
    }
    totals = ActivitySnapshot.objects.filter(
        period=period.key, territory__in=territories
    ).aggregate(attendances=Sum("completed_calls"), invitations=Sum("invitations"))
    all_invitations = totals["invitations"] or 0
    all_calls = (totals["attendances"] or 0) - all_invitations
    all_targets = sum(row["targets"] for row in classes.values())
    rows = []
    for klass in TargetClass.values:
        row = classes.get(klass) or {"targets": 0, "calls": 0, "invitations": 0}
        rows.append({"klass": klass, **{k: row[k] for k in ("targets", "calls", "invitations")}})
    rows.append(
        {
            "klass": None,
            "targets": 0,
            "calls": max(all_calls - sum(r["calls"] for r in rows), 0),
            "invitations": max(all_invitations - sum(r["invitations"] for r in rows), 0),
        }
    )
    for row in rows:
        row["target_share"] = _ratio(row["targets"], all_targets) if row["klass"] else None
        row["call_share"] = _ratio(row["calls"], all_calls)
        row["invitation_share"] = _ratio(row["invitations"], all_invitations)
        row["under_served"] = row["klass"] in ("A", "B") and any(
            share is not None and row["target_share"] and share < row["target_share"] * UNDER_SERVED
            for share in (row["call_share"], row["invitation_share"])
        )
    return rows


ADOPTION_SQL = """
WITH pairs (c_id, p_id, klass) AS ({pairs}),
  stages (c_id, p_id, stage, latest) AS ({stages}),
  per_pair (p_id, stage, a_rows, b_rows) AS (
    SELECT u.p_id, COALESCE(MAX(u.stage), ''),
           SUM(CASE WHEN u.klass = 'A' THEN 1 ELSE 0 END),
           SUM(CASE WHEN u.klass = 'B' THEN 1 ELSE 0 END)
    FROM (
      SELECT c_id, p_id, klass, NULL AS stage FROM pairs
      UNION ALL
      SELECT c_id, p_id, NULL, stage FROM stages WHERE latest = 1
    ) u
    GROUP BY u.c_id, u.p_id
  )
SELECT pr.id, pr.name, pr.name_en, pr.code, n.klass, n.stage, SUM(n.n_rows)
FROM (
  SELECT p_id, 'A' AS klass, stage, a_rows AS n_rows FROM per_pair WHERE a_rows > 0
  UNION ALL
  SELECT p_id, 'B', stage, b_rows FROM per_pair WHERE b_rows > 0
) n
JOIN org_product pr ON pr.id = n.p_id
GROUP BY pr.id, pr.name, pr.name_en, pr.code, n.klass, n.stage
ORDER BY pr.code, n.klass, n.stage
"""


def adoption_by_product(*, territories, period: Period):
    """The adoption stage of the A and B customers per product: the customers of `territories`'
    alignments on the period's first day whose class for a product the territory's team promotes
    is A or B then, each with the latest stage recorded for that product at a completed
    one-to-one call of these territories up to the period's end ("" when none was).
    [{product, product__name, product__name_en, product__code, klass, stage, customers}].

    Two queries: the scope's territory ids, then one set-based query, never a subquery per
    pair (the region's page took seconds that way): the A/B (customer, product) pairs and the
    latest stage of each (customer, product) (a window over the scope's calls, computed once)
    are stacked (UNION ALL) and grouped by (customer, product), not joined, so no plan can loop
    over one set for each row of the other whatever the planner estimates (on tables never
    analysed it estimates one row, and the join of the two sets was nested-looped: 0.5 s at the
    demo's size). Each (customer, product) has at most one latest stage; its class rows are
    counted per class (A, B), so the counts are the join's."""
    start = period.start
    # The scope's territories as a list of ids (one query): the planner then knows how many
    # calls they have (statistics on calls.territory) and reads a district's through the index
    # instead of every call of the company.
    territories = list(territories.values_list("pk", flat=True))
    aligned = Alignment.objects.in_force_on(start).filter(
        customer=OuterRef("customer"),
        territory__in=territories,
        territory__team__products=OuterRef("product"),
    )
    pairs = (
        ClassHistory.objects.on(start)
        .filter(Exists(aligned), klass__in=("A", "B"))
        .order_by()
        .values_list("customer_id", "product_id", "klass")
    )
    customer = F("call__attendances__customer")
    stages = (
        CallProduct.objects.filter(
            call__territory__in=territories,
            call__status=CallStatus.COMPLETED,
            call__is_pim=False,
            call__date__lte=period.end,
        )
        .exclude(adoption_stage="")
        .annotate(
            latest=Window(
                RowNumber(),
                partition_by=[customer, F("product")],
                order_by=[
                    F("call__date").desc(),
                    F("call__start_time").desc(),
                    F("call__created_at").desc(),
                ],
            )
        )
        .order_by()
        .values_list(customer, "product_id", "adoption_stage", "latest")
    )
    pairs_sql, pairs_params = pairs.query.sql_with_params()
    stages_sql, stages_params = stages.query.sql_with_params()
    # Both parts are the ORM's own compiled SQL; the values are parameters.
    sql = ADOPTION_SQL.format(pairs=pairs_sql, stages=stages_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pairs_params, *stages_params])
        rows = cursor.fetchall()
    keys = ("product", "product__name", "product__name_en", "product__code", "klass", "stage")
    return [{**dict(zip(keys, row[:6], strict=True)), "customers": int(row[6])} for row in rows]


# Drills: exactly the rows behind one figure of a dashboard or of the opportunity analysis, for
# a territory, a district or a region (the scope's territories, a queryset), set-based.

SCOPE_DRILLS = (*DRILLS, "covered", "compliant")


def scope_targets(*, territories, period: Period, klass):
    """The targets of `klass` (A–D, N1–N3) of `territories` (a queryset or their ids) for
    `period`, one row per territory and customer as the engine counts them: the alignments in
    force on the period's first day whose customer is of `klass` as a target of that territory
    then, each annotated `klass` and `call_count` (its completed calls of that territory in the
    period). A queryset of alignments."""
    start = period.start
    ids = scope_ids(territories)
    visits = (
        _scope_visits(ids, start, period.end).values("customer").annotate(n=Count("pk")).values("n")
    )
    # The class as a condition (the class history rows of `klass` read as a set), not each
    # alignment's class worked out in turn; three subqueries deep, the territory is the
    # alignment's own (as in customers.selectors.klass_counts).
    here = Territory.objects.filter(pk=OuterRef(OuterRef(OuterRef("territory"))))
    return (
        Alignment.objects.in_force_on(start)
        .filter(territory__in=ids)
        .filter(target_class_is(here, start, klass, "customer_id"))
        .annotate(
            klass=Value(klass, output_field=CharField()),
            call_count=Coalesce(Subquery(visits, output_field=IntegerField()), 0),
        )
    )


def _scope_visits(ids, start, end):
    """Attendances at completed calls of the scope (`ids`) from `start` to `end` of the outer
    alignment's customer and territory."""
    return CallAttendee.objects.at_completed_calls(start, end).filter(
        customer=OuterRef("customer"),
        call__territory=OuterRef("territory"),
        call__territory__in=ids,
    )


def scope_target_drill(*, territories, period: Period, klass, show="all", tables=None):
    """Exactly the targets behind one class figure of a territory, district or region (a
    territory's share of a sum: one row per territory and customer, as the snapshots count
    them): all targets of `klass` ("all"), those with a completed call in the period
    ("covered") or without ("uncovered"), and in a month those at ("compliant") or below
    ("below") the calls per month of their territory's team (nobody where it is "as needed").

    A list of customers, each with `klass`, `badge`, `call_count`, `required` and `territory`
    (the territory it is a target of), fewest calls first. Two queries: the scope's territory
    ids, then the rows (plus the requirement tables when not given)."""
    ids = scope_ids(territories)
    rows = scope_targets(territories=ids, period=period, klass=klass)
    territory_rows = list(territories.values("pk", "team_id")) if tables is None else None
    if tables is None:
        tables = requirement_tables({t["team_id"] for t in territory_rows})
    if show in ("covered", "uncovered"):
        # call_count > 0 or = 0 as an EXISTS: a (anti-)join on the targets of the class, where
        # the count's condition was checked on every alignment of the scope before its class.
        visited = Exists(_scope_visits(ids, period.start, period.end))
        rows = rows.filter(visited if show == "covered" else ~visited)
    elif show in ("below", "compliant"):
        if not period.is_month:
            return []
        judged = None
        for team_id, table in tables.items():
            if team_id is None:
                continue
            requirement = table.get(klass)
            if requirement is None or not requirement.calls_per_month:
                continue
            n = requirement.calls_per_month
            count = {"call_count__lt": n} if show == "below" else {"call_count__gte": n}
            judged = _or(judged, Q(territory__team_id=team_id, **count))
        if judged is None:
            return []
        rows = rows.filter(judged)
    customers = []
    for alignment in rows.select_related(
        "customer__institution", "customer__department", "territory__rep", "territory__team"
    ).order_by("klass", "call_count", "customer__name", "territory__code", "pk"):
        customer = alignment.customer
        customer.klass = alignment.klass
        customer.badge = "N" if customer.klass.startswith("N") else customer.klass
        customer.call_count = alignment.call_count
        customer.territory = alignment.territory
        requirement = tables.get(alignment.territory.team_id, tables.get(None, {})).get(klass)
        customer.required = requirement.calls_per_month if requirement else None
        customers.append(customer)
    return customers


ACTIVITY_DRILLS = ("calls", "pims", "one_to_one", "invitations")


class DrillRows:
    """The rows of a drill list, read as they are shown: `len()` counts them in SQL (once), a
    slice reads that slice only (a page of the list), iterating reads them all (the export).
    Each row is `row(instance)` of `queryset`'s instances."""

    def __init__(self, queryset, row):
        self.queryset, self.row = queryset, row
        self._count = None

    def count(self):
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.row(instance) for instance in self.queryset[index]]
        return self.row(self.queryset[index])

    def __iter__(self):
        return map(self.row, self.queryset)


def _meeting_row(call):
    return {
        "call": call,
        "customer": None,
        "date": call.date,
        "rep": call.rep,
        "territory": call.territory,
        "institution": call.institution,
        "attendees": call.attendees,
        "klass": None,
    }


def _attendance_row(attendance):
    return {
        "call": attendance.call,
        "customer": attendance.customer,
        "date": attendance.call.date,
        "rep": attendance.call.rep,
        "territory": attendance.call.territory,
        "institution": attendance.customer.institution,
        "attendees": None,
        "klass": getattr(attendance, "klass", None),
    }


def activity_drill(*, territories, start, end, show="calls", klass=None):
    """Exactly the calls behind an activity figure of `territories` from `start` to `end`:
    "calls", the attendances at completed calls (the call rate's completed calls: a group call
    counts for each attendee); "pims", the completed meetings (one row per meeting); for the
    opportunity analysis, "one_to_one" and "invitations": the attendances at completed
    one-to-one calls or at meetings, of the targets of `klass` in the call's territory (its
    class on the first day of the period starting at `start`), or of no target (`klass` "none").

    DrillRows of dicts {call, customer (None for a meeting row), date, rep, territory, klass}:
    a region's month is tens of thousands of attendances, so the count is one query and a page
    of rows another, whatever the number of rows."""
    ids = scope_ids(territories)
    if show == "pims":
        calls = (
            Call.objects.completed()
            .in_period(start, end)
            .filter(territory__in=ids, is_pim=True)
            .select_related("territory", "rep", "institution")
            .annotate(attendees=Count("attendances"))
            .order_by("date", "start_time", "pk")
        )
        return DrillRows(calls, _meeting_row)
    attendances = CallAttendee.objects.at_completed_calls(start, end).filter(
        call__territory__in=ids
    )
    if show in ("one_to_one", "invitations"):
        attendances = attendances.filter(call__is_pim=show == "invitations")
        here = Territory.objects.filter(pk=OuterRef(OuterRef(OuterRef("call__territory"))))
        aligned = Alignment.objects.in_force_on(start).filter(
            customer=OuterRef("customer"), territory=OuterRef("call__territory")
        )
        attendances = attendances.annotate(
            aligned=Exists(aligned), klass=target_class(here, start, "customer_id")
        )
        if klass == "none":
            attendances = attendances.filter(Q(aligned=False) | Q(klass__isnull=True))
        else:
            attendances = attendances.filter(aligned=True, klass=klass)
    rows = attendances.select_related(
        "call__territory",
        "call__rep",
        "call__institution",
        "customer__institution",
        "customer__department",
    ).order_by("call__date", "call__start_time", "call_id", "customer__name", "pk")
    return DrillRows(rows, _attendance_row)


ADOPTION_BEFORE_TRIAL = "before_trial"


def adoption_drill(*, territories, period: Period, product, klass, stages):
    """Exactly the customers behind one segment of the adoption analysis (see
    adoption_by_product): the A or B customers (`klass`) of `product` among `territories`'
    alignments on the period's first day whose latest stage recorded up to the period's end is
    one of `stages` ("" for none recorded), each annotated `stage`. One query."""
    start = period.start
    territories = scope_ids(territories)
    # The scope's customers first (as the targets drill): as an EXISTS per class history row,
    # PostgreSQL read the company's class A rows of the product before narrowing to the region,
    # and as a semi-join it hashed them against all the company's customers (an array on
    # PostgreSQL: core.expressions.one_of).
    aligned = Alignment.objects.in_force_on(start).filter(
        territory__in=territories, territory__team__products=product
    )
    latest = (
        CallProduct.objects.filter(
            product=OuterRef("product"),
            call__attendances__customer=OuterRef("customer"),
            call__territory__in=territories,
            call__status=CallStatus.COMPLETED,
            call__is_pim=False,
            call__date__lte=period.end,
        )
        .exclude(adoption_stage="")
        .order_by("-call__date", "-call__start_time", "-call__created_at")
        .values("adoption_stage")[:1]
    )
    rows = (
        ClassHistory.objects.on(start)
        .filter(one_of("customer", aligned, column="customer"), klass=klass, product=product)
        .annotate(stage=Coalesce(Subquery(latest), Value("")))
        .filter(stage__in=list(stages))
        .select_related("customer__institution", "customer__department")
        .order_by("customer__name", "pk")
    )
    customers = []
    for row in rows:
        customer = row.customer
        customer.klass = row.klass
        customer.badge = row.klass
        customer.stage = row.stage
        customers.append(customer)
    return customers
