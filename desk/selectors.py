"""Read paths of the managers' home: the inbox (what waits for the manager, oldest first) and the
pulse (who is behind this month, read from the snapshots). Every query starts from the user's
scope (`for_user`); a page runs the same number of queries whatever the number of reps,
districts or waiting items (the lists are capped, their totals counted in SQL)."""

import re
from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from calls.models import Amendment, AmendmentStatus, Call, CallAttendee, CoachingComment
from core.periods import Period, month_of
from customers.models import Institution
from org.models import District, Role, Territory, User
from planning.models import JointCallProposal, JointCallStatus, Plan, PlanStatus
from reports import figures
from reports import selectors as report_selectors

# Coaching to do: the team's completed calls of the last COACHING_DAYS days without a comment.
COACHING_DAYS = 7
# How many items an inbox section lists before its "all" link.
FIRST_ITEMS = 10
# The classes whose frequency the pulse judges.
PULSE_CLASSES = ("A", "B")


# --- the inbox ------------------------------------------------------------------------------


def _capped(queryset, limit):
    """(the first `limit` rows, the total): two queries whatever the number of rows."""
    rows = list(queryset[:limit])
    total = len(rows) if len(rows) < limit else queryset.count()
    return rows, total


def plans_waiting(user, *, limit=FIRST_ITEMS, now=None):
    """Submitted plans in the user's scope (a DM: their district's, which they decide; a
    regional manager: the region's, waiting for its DMs), oldest first, each with `days`
    waiting."""
    now = now or timezone.now()
    plans = Plan.objects.for_user(user).filter(status=PlanStatus.SUBMITTED)
    if user.role == Role.DM:
        plans = plans.filter(territory__district__dm=user)
    plans = plans.select_related("rep", "territory__district").order_by("submitted_at", "pk")
    rows, total = _capped(plans, limit)
    for plan in rows:
        plan.days = (now - plan.submitted_at).days if plan.submitted_at else 0
    return {"rows": rows, "total": total}


def amendments_waiting(user, *, limit=FIRST_ITEMS, now=None):
    """Pending amendment requests in the user's scope (a DM: their district's), oldest first,
    each with `days` waiting."""
    now = now or timezone.now()
    amendments = Amendment.objects.for_user(user).filter(status=AmendmentStatus.PENDING)
    if user.role == Role.DM:
        amendments = amendments.filter(call__territory__district__dm=user)
    amendments = amendments.select_related(
        "requested_by", "call__institution", "call__territory__district"
    ).order_by("created_at", "pk")
    rows, total = _capped(amendments, limit)
    for amendment in rows:
        amendment.days = (now - amendment.created_at).days
    return {"rows": rows, "total": total}


def joint_proposals_waiting(user, *, limit=FIRST_ITEMS):
    """Pending proposals to join the user's own planned visits (the user decides them), the
    soonest visit first."""
    proposals = (
        JointCallProposal.objects.filter(
            call__in=Call.objects.for_user(user).filter(rep=user),
            status=JointCallStatus.PENDING,
        )
        .select_related("proposer", "call__institution")
        .order_by("call__date", "created_at", "pk")
    )
    rows, total = _capped(proposals, limit)
    return {"rows": rows, "total": total}


def coaching_to_do(user, *, today=None, days=COACHING_DAYS):
    """Completed calls in the user's scope dated in the last `days` days (today included) with
    no coaching comment, newest first (a queryset: slice it, count it)."""
    today = today or timezone.localdate()
    commented = CoachingComment.objects.filter(call=OuterRef("pk"))
    return (
        Call.objects.for_user(user)
        .completed()
        .in_period(today - timedelta(days=days - 1), today)
        .filter(~Exists(commented))
        .select_related("rep", "institution", "department", "territory__district")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=CallAttendee.objects.select_related("customer").order_by("customer__name"),
            )
        )
        .order_by("-date", "-start_time", "-created_at", "pk")
    )


def coaching_waiting(user, *, limit=FIRST_ITEMS, today=None):
    rows, total = _capped(coaching_to_do(user, today=today), limit)
    return {"rows": rows, "total": total, "days": COACHING_DAYS}


def inbox(user, *, now=None):
    """Every section of a manager's inbox: plans, amendments, joint visits, coaching."""
    now = now or timezone.now()
    return {
        "plans": plans_waiting(user, now=now),
        "amendments": amendments_waiting(user, now=now),
        "joint": joint_proposals_waiting(user),
        "coaching": coaching_waiting(user, today=timezone.localdate(now)),
    }


# --- the pulse ------------------------------------------------------------------------------


def month_elapsed(day):
    """The share of `day`'s month gone by at the end of `day` (1 on its last day)."""
    month = month_of(day)
    return ((day - month.start).days + 1) / ((month.end - month.start).days + 1)


def _judged(territory, cells, activity, tables, period: Period, pace):
    """One territory's pulse: its call rate against its team's target, and the frequency
    compliance of its A and B targets (those of classes with calls per month) against the pace
    of the month (`pace`: the share of the month gone by). `behind`: either is below."""
    requirements = tables[territory.team_id]
    targets = compliant = 0
    for klass in PULSE_CLASSES:
        requirement = requirements.get(klass)
        cell = cells.get((territory.pk, klass))
        if not cell or not figures.calls_per_month(requirement):
            continue
        targets += cell["targets"] or 0
        compliant += cell["frequency_compliant"] or 0
    act = activity.get(territory.pk) or {}
    rate = figures.call_rate(act.get("completed_calls"), act.get("field_days"))
    target = territory.team.call_rate_target
    frequency = figures.frequency_compliance(compliant, targets)
    rate_state = figures.state(rate, target)
    frequency_state = figures.state(frequency, pace if targets else None)
    return {
        "territory": territory,
        "rep": territory.rep,
        "call_rate": rate,
        "call_rate_target": target,
        "call_rate_state": rate_state,
        "completed_calls": act.get("completed_calls") or 0,
        "field_days": act.get("field_days") or 0,
        "targets": targets,
        "compliant": compliant,
        "frequency": frequency,
        "frequency_pct": figures.percent(frequency),
        "frequency_state": frequency_state,
        "behind": rate_state == "unmet" or frequency_state == "unmet",
        # No snapshot yet: nothing to judge (never flagged).
        "missing": not act,
    }


def _order(line):
    return (
        not line["behind"],
        line["call_rate"] is None,
        line["call_rate"] or 0,
        line["territory"].code,
    )


def pulse(user, *, territories, today=None):
    """The reps of `territories` (a scoped queryset; vacant territories are left out) this
    month so far: call rate and A + B frequency, judged, behind first; with the freshness of
    the snapshots read. Five queries whatever the number of territories."""
    today = today or timezone.localdate()
    period = month_of(today)
    held = territories.filter(rep__isnull=False)
    rows = list(held.select_related("rep", "team", "district").order_by("code"))
    tables = report_selectors.requirement_tables({t.team_id for t in rows})
    cells = report_selectors.class_cells(territories=held, period=period)
    activity = report_selectors.activity_cells(territories=held, period=period)
    pace = month_elapsed(today)
    lines = sorted(
        (_judged(t, cells, activity, tables, period, pace) for t in rows),
        key=_order,
    )
    return {
        "period": period,
        "pace": pace,
        "pace_pct": figures.percent(pace),
        "lines": lines,
        "behind": sum(1 for line in lines if line["behind"]),
        "freshness": _freshness(held, period),
    }


def _freshness(territories, period: Period):
    """The "as of" of the snapshots read, as the dashboards show it (the time only when today)."""
    freshness = report_selectors.snapshot_freshness(territories, period)
    as_of = freshness["as_of"]
    freshness["today"] = (
        as_of is not None and timezone.localtime(as_of).date() == timezone.localdate()
    )
    return freshness


def district_pulse(user, *, today=None):
    """A DM's district (the first they manage) and its reps' pulse; None without a district.
    The district comes with its territories (one query less) unless nobody holds one."""
    first = District.objects.for_user(user).filter(dm=user).order_by("code").values("pk")[:1]
    territories = Territory.objects.for_user(user).filter(district=Subquery(first))
    reps = pulse(user, territories=territories, today=today)
    if reps["lines"]:
        district = reps["lines"][0]["territory"].district
    else:
        district = District.objects.filter(pk=Subquery(first)).first()
    if district is None:
        return None
    return {"district": district, **reps}


def region_pulse(user, *, today=None):
    """A regional manager's region(s): the reps' pulse across its districts and, per district,
    its DM, reps, reps behind and call rate (summed counts, never averaged ratios)."""
    districts = list(
        District.objects.for_user(user).select_related("dm", "region").order_by("code")
    )
    territories = Territory.objects.for_user(user).filter(district__in=[d.pk for d in districts])
    reps = pulse(user, territories=territories, today=today)
    by_district = {
        d.pk: {"district": d, "reps": 0, "behind": 0, "calls": 0, "days": 0} for d in districts
    }
    for line in reps["lines"]:
        row = by_district.get(line["territory"].district_id)
        if row is None:
            continue
        row["reps"] += 1
        row["behind"] += line["behind"]
        row["calls"] += line["completed_calls"]
        row["days"] += line["field_days"]
    rows = list(by_district.values())
    for row in rows:
        row["call_rate"] = figures.call_rate(row["calls"], row["days"])
    return {"districts": rows, **reps}


# --- the desk tables' type-ahead filters (core.widgets.TypeaheadSelect) ----------------------

# How many rows a type-ahead filter suggests for what was typed.
CHOICES_LIMIT = 20


def _choice_sources():
    """kind -> (the user's rows as the desk filters scope them, the searched fields, a detail
    telling same-named rows apart)."""
    return {
        "territory": (
            lambda user: Territory.objects.for_user(user),
            ("name", "name_en", "code"),
            lambda row: "",  # the label carries the code
        ),
        "institution": (
            lambda user: Institution.objects.for_user(user),
            ("name", "name_en", "city"),
            lambda row: row.city,
        ),
        "rep": (
            lambda user: User.objects.for_user(user).filter(role=Role.REP),
            ("name", "name_en", "username"),
            lambda row: row.username,
        ),
    }


CHOICE_KINDS = ("territory", "institution", "rep")
# Between the words of a label ("上海 1 (SH-ONC-1)", "王伟 · rep.sh1"): a label typed or pasted
# back finds its row.
LABEL_SEPARATORS = re.compile(r"[\s()（）·]+")


def filter_choices(user, kind, q):
    """The first CHOICES_LIMIT rows of `kind` in the user's scope matching every word of `q`
    (in any of the kind's names), as [{"id", "label"}]; same-named rows get their detail.
    One query."""
    scope, fields, detail = _choice_sources()[kind]
    rows = scope(user)
    for word in LABEL_SEPARATORS.split(q):
        if not word:
            continue
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        rows = rows.filter(match)
    rows = list(rows.order_by(*fields[:1], "pk")[:CHOICES_LIMIT])
    labels = [str(row) for row in rows]
    repeated = {label for label in labels if labels.count(label) > 1}
    return [
        {
            "id": str(row.pk),
            "label": f"{label} · {detail(row)}" if label in repeated and detail(row) else label,
        }
        for row, label in zip(rows, labels, strict=True)
    ]
