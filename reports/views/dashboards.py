"""The dashboards: a rep's territory (figures per class and the targets behind them), a DM's
district (reps × classes, trends) and a regional roll-up (districts × classes). Thin and
read-only: the scope is `selectors.report_scope`, the figures `reports.figures`, read from the
snapshots with the time they were computed ("as of 04:11"). A GET writes nothing: a territory's
missing or stale snapshot is asked of the workers (`services.territory_figures_refresh`)."""

from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from calls.services import can_log_calls
from core.periods import Period, month_of, parse, quarter_of
from core.text import localized
from customers.models import AdoptionStage
from org.models import District, Product, Region, Role, Territory

from .. import figures, selectors, services
from ..exports import FORMATS, export_response
from ..models import TargetClass

CLASSES = TargetClass.values
HEADS = [(k, "N" if k.startswith("N") else k) for k in CLASSES]  # (class, its badge)
TREND_MONTHS = 6


def _period(request) -> Period:
    today = timezone.localdate()
    key = request.GET.get("period")
    if not key:
        return month_of(today)
    try:
        return parse(key)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return month_of(today)


def _switch(request, period: Period):
    """The period switch: this month, this quarter, and the previous of the period shown; the
    links keep the scope (`territory=`, `district=`, `region=`) of the page."""
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("period", None)
    scope = query.urlencode()
    return {
        "month": month_of(today),
        "quarter": quarter_of(today),
        "previous": period.previous(),
        "current": period,
        "scope": f"&{scope}" if scope else "",
    }


def _cell(counts, requirement, period):
    return figures.class_figures(counts, requirement, period)


def _with_links(cell, klass, scope_query, period):
    """A class cell with the drill link of each of its figures, in one click, and the number of
    rows each list has (`data-figure` on the page): the targets (`all_href`); the coverage
    opens the targets not yet covered, or, when none is missing, the covered ones; the
    frequency those below their calls per month, or, when none is, those at it."""
    targets = cell["targets"]
    cell["klass"] = klass
    if not targets:
        return cell
    base = f"{reverse('reports:targets')}?{scope_query}&period={period.key}&klass={klass}"
    cell["all_href"] = base
    uncovered = targets - cell["covered"]
    cell["coverage_link"] = (
        (f"{base}&show=uncovered", uncovered, _("%(n)s not yet covered") % {"n": uncovered})
        if uncovered
        else (f"{base}&show=covered", cell["covered"], _("All covered"))
    )
    if cell["frequency"] is not None:
        compliant = cell["frequency_compliant"] or 0
        below = targets - compliant
        cell["frequency_link"] = (
            (f"{base}&show=below", below, _("%(n)s below their calls per month") % {"n": below})
            if below
            else (f"{base}&show=compliant", compliant, _("All at their calls per month"))
        )
    return cell


def _activity_links(scope_query, period, activity):
    """The drill links of a scope's activity figures: its completed calls (behind the call
    rate) and its PIMs of the period."""
    base = f"{reverse('reports:activity')}?{scope_query}&period={period.key}"
    return {
        "calls_href": f"{base}&show=calls",
        "calls": (activity or {}).get("completed_calls") or 0,
        "pims_href": f"{base}&show=pims",
        "pims": (activity or {}).get("pim_count") or 0,
    }


def _pims_required(pims_per_week, field_days):
    """The PIMs a scope owes in a period: its teams' PIMs per week for each five field days
    (absences and a period still running owe less); None when nothing is required or there
    is no field day to judge."""
    if not pims_per_week or not field_days:
        return None
    return Decimal(pims_per_week) * field_days / 5


def _freshness(territories, period, *, requested=False):
    """The "as of" line: when the scope's snapshots were computed (the oldest), whether that was
    today (then the time only is shown), and whether a refresh was just asked of the workers."""
    freshness = selectors.snapshot_freshness(territories, period)
    as_of = freshness["as_of"]
    freshness["today"] = (
        as_of is not None and timezone.localtime(as_of).date() == timezone.localdate()
    )
    freshness["requested"] = requested
    return freshness


def _chart(values, labels, *, percent, target=None, details=None, label_head=None, empty=None):
    """A small line chart as SVG coordinates, and its table (`points`: label, value shown,
    detail such as "12/20"): a month or week without a value breaks the line, has no dot and
    reads "—" (never 0 %). `target`: the requirement, drawn as a dashed line."""
    width, height, left, right, top, bottom = 320, 130, 34, 18, 10, 22
    numbers = [v for v in values if v is not None]
    high = 1.0 if percent else max([*numbers, float(target or 0), 1.0]) * 1.15
    span_x = (width - left - right) / max(len(values) - 1, 1)

    def y(value):
        return round(top + (height - top - bottom) * (1 - float(value) / high), 1)

    points, segments, segment = [], [], []
    details = details or [None] * len(values)
    for i, (value, label, detail) in enumerate(zip(values, labels, details, strict=True)):
        x = round(left + i * span_x, 1)
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            points.append({"x": x, "label": label, "value": None, "detail": None})
            continue
        segment.append(f"{x},{y(value)}")
        shown = figures.percent(value) if percent else f"{value:.1f}"
        points.append({"x": x, "y": y(value), "label": label, "value": shown, "detail": detail})
    if segment:
        segments.append(segment)
    ticks = [0, 0.5, 1] if percent else [0, round(high / 2, 1), round(high, 1)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "base": height - bottom,
        "label_y": height - 6,
        "segments": [" ".join(s) for s in segments],
        "points": points,
        "ticks": [{"y": y(t), "label": f"{t * 100:.0f}%" if percent else f"{t:g}"} for t in ticks],
        "target": y(target) if target is not None else None,
        "target_label": (figures.percent(target) if percent else f"{float(target):g}")
        if target is not None
        else None,
        "label_head": label_head or _("Month"),
        "empty": empty or _("No figures for these months yet."),
        "summary": ", ".join(f"{p['label']}: {p['value'] or '—'}" for p in points),
    }


def _ab_required(requirements, field, classes=("A", "B")):
    """The requirement of A and B together for a chart's line: theirs when they share it, the
    stricter one otherwise; None when neither has one."""
    values = [getattr(requirements[k], field) for k in classes if k in requirements]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _trend_charts(*, territories, period, requirements, call_rate_target):
    """The six months to `period`: coverage and frequency compliance of A + B and the call rate,
    months without data as gaps."""
    months = _months_to(period)
    series = selectors.trends(territories=territories, months=months)
    labels = [m.key[2:] for m in months]
    frequency_target = 1 if _ab_required(requirements, "calls_per_month") else None
    return [
        (
            _("Coverage of A + B"),
            _chart(
                series["coverage"],
                labels,
                percent=True,
                target=_ab_required(requirements, "monthly_coverage"),
            ),
        ),
        (
            _("Frequency compliance of A + B"),
            _chart(series["frequency"], labels, percent=True, target=frequency_target),
        ),
        (
            _("Call rate"),
            _chart(series["call_rate"], labels, percent=False, target=call_rate_target),
        ),
    ]


def _progress_charts(*, territory, period, requirements):
    """This month so far, week by week: coverage and frequency compliance of A + B."""
    progress = selectors.month_progress(
        territory=territory, month=period, requirements=requirements
    )
    weeks = progress["weeks"]
    labels = [(week["through"] or week["end"]).strftime("%m-%d") for week in weeks]
    targets, frequency_targets = progress["targets"], progress["frequency_targets"]
    head = _("Week to")
    coverage = _chart(
        [w["coverage"] for w in weeks],
        labels,
        percent=True,
        target=_ab_required(requirements, "monthly_coverage"),
        details=[f"{w['covered']}/{targets}" for w in weeks],
        label_head=head,
        empty=_("No A or B targets this month."),
    )
    frequency = _chart(
        [w["frequency"] for w in weeks],
        labels,
        percent=True,
        target=1 if frequency_targets else None,
        details=[f"{w['compliant']}/{frequency_targets}" for w in weeks],
        label_head=head,
        empty=_("No A or B targets this month."),
    )
    return [
        (_("Coverage of A + B so far"), coverage),
        (_("Frequency compliance of A + B so far"), frequency),
    ]


def _scope(request):
    """What a report page shows: ("territory" | "district" | "region", the object or None). A
    rep's territory, a DM's district, a regional manager's or admin's region;
    `?territory=`, `?district=`, `?region=` drill down within one's scope (else 404; a rep
    drills to their territories only). See selectors.report_scope."""
    query = request.GET
    drills_up = query.get("district") or query.get("region")
    if request.user.is_rep and not query.get("territory") and drills_up:
        raise Http404
    scope = selectors.report_scope(request.user, query)
    return scope.kind, scope.object


@login_required
def dashboard(request):
    """One address for everybody (see _scope)."""
    period = _period(request)
    kind, scope = _scope(request)
    page = {"territory": _territory_page, "district": _district_page, "region": _region_page}
    return page[kind](request, scope, period)


def _territory_page(request, territory, period):
    user = request.user
    context = {"period": period, "switch": _switch(request, period), "territory": territory}
    if territory is not None:
        context["scope_query"] = f"territory={territory.pk}"
    if territory is None:
        return render(request, "reports/rep.html", context)
    # No write here: a missing or stale snapshot is asked of the workers, the page shows the
    # snapshot there is, with its time.
    requested = services.territory_figures_refresh(territory=territory, period=period)
    team = territory.team
    requirements = selectors.requirement_table(team)
    territories = Territory.objects.filter(pk=territory.pk)
    report = selectors.compliance_report(territories=territories, period=period, team=team)
    scope_query = f"territory={territory.pk}"
    rows = []
    for row in report["rows"]:
        cell = _cell(row, requirements.get(row["klass"]), period)
        _with_links(cell, row["klass"], scope_query, period)
        cell["badge"] = "N" if row["klass"].startswith("N") else row["klass"]
        rows.append(cell)
    call_rate = report["call_rate"]
    pims_week = figures.pims_this_week(territory=territory)
    links = _activity_links(scope_query, period, report)
    links["week_pims_href"] = (
        f"{reverse('reports:activity')}?{scope_query}&period={period.key}&show=pims&week=current"
    )
    pims_required = _pims_required(team.pims_per_week, report["field_days"])
    context.update(
        {
            "territories": list(
                Territory.objects.for_user(user).filter(rep=territory.rep).order_by("code")
            )
            if user.is_rep
            else [],
            "report": report,
            "rows": rows,
            "freshness": _freshness(territories, period, requested=requested),
            "call_rate_state": figures.state(call_rate, team.call_rate_target),
            "pims_week": pims_week,
            "pims_state": figures.state(pims_week, team.pims_per_week),
            "links": links,
            "pims_required": pims_required,
            "pims_period_state": figures.state(
                report["pim_count"] if pims_required is not None else None, pims_required
            ),
            "missing": selectors.missing_visits(
                territory=territory, period=period, requirements=requirements
            ),
            "can_drill_up": not user.is_rep,
            "can_log": can_log_calls(user),
            "progress": _progress_charts(
                territory=territory, period=period, requirements=requirements
            )
            if period.is_month
            else [],
            "charts": _trend_charts(
                territories=territories,
                period=period,
                requirements=requirements,
                call_rate_target=team.call_rate_target,
            ),
        }
    )
    return render(request, "reports/rep.html", context)


def _months_to(period: Period, count=TREND_MONTHS):
    month = period.months[-1]
    months = [month]
    for _i in range(count - 1):
        months.insert(0, months[0].previous())
    return months


def _district_page(request, district, period):
    user = request.user
    context = {"period": period, "switch": _switch(request, period), "district": district}
    if district is not None:
        context["scope_query"] = f"district={district.pk}"
    if district is None:
        return render(request, "reports/district.html", context)
    territories = (
        Territory.objects.for_user(user)
        .filter(district=district)
        .select_related("rep", "team")
        .order_by("code")
    )
    territory_list = list(territories)
    tables = selectors.requirement_tables({t.team_id for t in territory_list})
    cells = selectors.class_cells(territories=territories, period=period)
    activity = selectors.activity_cells(territories=territories, period=period)
    lines = []
    for territory in territory_list:
        requirements = tables[territory.team_id]
        act = activity.get(territory.pk) or {}
        rate = figures.call_rate(act.get("completed_calls"), act.get("field_days"))
        query = f"territory={territory.pk}"
        pims_required = _pims_required(territory.team.pims_per_week, act.get("field_days"))
        lines.append(
            {
                "territory": territory,
                "cells": [
                    _with_links(
                        _cell(cells.get((territory.pk, k)), requirements.get(k), period),
                        k,
                        query,
                        period,
                    )
                    for k in CLASSES
                ],
                "activity": act,
                "links": _activity_links(query, period, act),
                "call_rate": rate,
                "call_rate_state": figures.state(rate, territory.team.call_rate_target),
                "pims_state": figures.state(
                    act.get("pim_count") if pims_required is not None else None, pims_required
                ),
                "pims_required": pims_required,
            }
        )
    teams = {t.team_id: t.team for t in territory_list}
    team = next(iter(teams.values())) if len(teams) == 1 else None
    report = selectors.compliance_report(territories=territories, period=period, team=team)
    requirements = tables[team.pk] if team else tables[None]
    query = f"district={district.pk}"
    totals = [
        _with_links(_cell(row, requirements.get(row["klass"]), period), row["klass"], query, period)
        for row in report["rows"]
    ]
    # The team's targets, weighted by field days where the district's reps belong to several
    # teams: the calls and PIMs the team owes over the days it worked.
    days = {t.pk: (activity.get(t.pk) or {}).get("field_days") or 0 for t in territory_list}
    all_days = sum(days.values())
    target = team.call_rate_target if team else None
    pims_required = None
    if all_days:
        if target is None:
            target = round(
                sum(Decimal(t.team.call_rate_target) * days[t.pk] for t in territory_list)
                / all_days,
                2,
            )
        owed = [_pims_required(t.team.pims_per_week, days[t.pk]) for t in territory_list]
        if any(value is not None for value in owed):
            pims_required = sum(value or 0 for value in owed)
    context.update(
        {
            "heads": HEADS,
            "lines": lines,
            "report": report,
            "totals": totals,
            "total_rate_state": figures.state(report["call_rate"], target),
            "total_rate_target": target,
            "total_links": _activity_links(query, period, report),
            "total_pims_required": pims_required,
            "total_pims_state": figures.state(
                report["pim_count"] if pims_required is not None else None, pims_required
            ),
            "freshness": _freshness(territories, period),
            "charts": _trend_charts(
                territories=territories,
                period=period,
                requirements=requirements,
                call_rate_target=target,
            ),
            "districts": list(District.objects.for_user(user).order_by("code"))
            if user.role != Role.DM or District.objects.for_user(user).count() > 1
            else [],
        }
    )
    return render(request, "reports/district.html", context)


def _region_page(request, region, period):
    """The regional roll-up at a desk: districts, teams (each against its own requirements) and
    products, six-month trends, and every rep of the region ranked worst first. Snapshots only
    (no recompute here); query count flat in the number of districts and reps."""
    user = request.user
    context = {"period": period, "switch": _switch(request, period), "region": region}
    if region is not None:
        context["scope_query"] = f"region={region.pk}"
    if region is None:
        return render(request, "reports/region.html", context)
    territories = Territory.objects.for_user(user).filter(district__region=region)
    territory_list = list(
        territories.select_related("rep", "team", "district").order_by("district__code", "code")
    )
    districts = list(
        District.objects.for_user(user).filter(region=region).select_related("dm").order_by("code")
    )
    teams = {t.team_id: t.team for t in territory_list}
    tables = selectors.requirement_tables(set(teams))
    requirements = tables[None]
    cells = selectors.class_cells(
        territories=territories, period=period, group_by="territory__district"
    )
    activity = selectors.activity_cells(
        territories=territories, period=period, group_by="territory__district"
    )
    district_teams = {}
    for territory in territory_list:
        district_teams.setdefault(territory.district_id, set()).add(territory.team_id)
    lines = []
    for district in districts:
        act = activity.get(district.pk) or {}
        own = district_teams.get(district.pk, set())
        team = teams[next(iter(own))] if len(own) == 1 else None
        table = tables[team.pk] if team else requirements
        rate = figures.call_rate(act.get("completed_calls"), act.get("field_days"))
        lines.append(
            {
                "district": district,
                "cells": [
                    _cell(cells.get((district.pk, k)), table.get(k), period) for k in CLASSES
                ],
                "activity": act,
                "call_rate": rate,
                "call_rate_state": figures.state(rate, team.call_rate_target if team else None),
            }
        )
    team = next(iter(teams.values())) if len(teams) == 1 else None
    target = team.call_rate_target if team else None
    report = selectors.compliance_report(territories=territories, period=period)
    context.update(
        {
            "heads": HEADS,
            "lines": lines,
            "report": report,
            "totals": [
                _cell(row, requirements.get(row["klass"]), period) for row in report["rows"]
            ],
            "total_rate_state": figures.state(report["call_rate"], target),
            "freshness": _freshness(territories, period),
            "regions": list(Region.objects.for_user(user).order_by("code")),
            "charts": _trend_charts(
                territories=territories,
                period=period,
                requirements=tables[team.pk] if team else requirements,
                call_rate_target=target,
            ),
            "team_lines": _region_teams(
                territories=territories, teams=teams, tables=tables, period=period
            ),
            "products": _region_products(
                territories=territories, territory_list=territory_list, period=period
            ),
            **_region_reps(
                request,
                territories=territories,
                territory_list=territory_list,
                tables=tables,
                period=period,
            ),
        }
    )
    return render(request, "reports/region.html", context)


AB = ("A", "B")


def _ab_figures(counts, table, period):
    """The A and B cells of a row: {"A": class_figures, "B": class_figures}."""
    return {k: {**_cell(counts.get(k), table.get(k), period), "klass": k} for k in AB}


def _region_teams(*, territories, teams, tables, period):
    """One line per team of the region (ONC, CV…): its A/B figures against the team's own
    requirements, call rate against the team's target, PIMs. Two queries."""
    cells = selectors.class_cells(
        territories=territories, period=period, group_by="territory__team"
    )
    activity = selectors.activity_cells(
        territories=territories, period=period, group_by="territory__team"
    )
    lines = []
    for team in sorted(teams.values(), key=lambda t: t.code):
        act = activity.get(team.pk) or {}
        rate = figures.call_rate(act.get("completed_calls"), act.get("field_days"))
        counts = {k: cells.get((team.pk, k)) for k in AB}
        lines.append(
            {
                "team": team,
                "ab": _ab_figures(counts, tables[team.pk], period),
                "activity": act,
                "call_rate": rate,
                "call_rate_target": team.call_rate_target,
                "call_rate_state": figures.state(rate, team.call_rate_target),
            }
        )
    return lines


def _region_products(*, territories, territory_list, period):
    """Per product the region's teams promote: the teams, the A/B coverage of the territories
    promoting it (their snapshots: a territory's class is its highest over its team's products,
    so coverage per product is the coverage of the territories that carry it). Snapshots only:
    three queries."""
    rows = selectors.product_rollup(territories=territories, period=period)
    return [
        {
            **row,
            "coverage": _cell({"targets": row["targets"], "covered": row["covered"]}, None, period),
        }
        for row in rows
    ]


REP_SORTS = {
    "rep": lambda r: (r["rep_name"], r["territory"].code),
    "district": lambda r: (r["territory"].district.code, r["territory"].code),
    "team": lambda r: (r["territory"].team.code, r["territory"].code),
    "call_rate": lambda r: (r["call_rate_gap"] is None, r["call_rate_gap"] or 0),
    "a_cov": lambda r: _share_key(r["ab"]["A"]["coverage"]),
    "a_freq": lambda r: _share_key(r["ab"]["A"]["frequency"]),
    "b_cov": lambda r: _share_key(r["ab"]["B"]["coverage"]),
    "b_freq": lambda r: _share_key(r["ab"]["B"]["frequency"]),
    "pims": lambda r: r["activity"].get("pim_count") or 0,
}


def _person(user):
    return (localized(user.name, user.name_en) or str(user)) if user else ""


def _share_key(value):
    return (value is None, float(value or 0))


def _worst_key(row):
    """Worst first: the most figures below their requirement, then the furthest below its call
    rate target, then by name."""
    return (
        -row["unmet"],
        row["call_rate_gap"] if row["call_rate_gap"] is not None else 9,
        row["rep_name"],
    )


def _region_reps(request, *, territories, territory_list, tables, period):
    """Every rep (territory) of the region, ranked worst first by default; `?sort=` one of
    REP_SORTS (a leading "-" reverses), `?team=` one team only. Two queries."""
    cells = selectors.class_cells(territories=territories, period=period)
    activity = selectors.activity_cells(territories=territories, period=period)
    team_filter = request.GET.get("team")
    rows = []
    for territory in territory_list:
        if team_filter and str(territory.team_id) != team_filter:
            continue
        table = tables[territory.team_id]
        act = activity.get(territory.pk) or {}
        rate = figures.call_rate(act.get("completed_calls"), act.get("field_days"))
        target = territory.team.call_rate_target
        ab = _ab_figures({k: cells.get((territory.pk, k)) for k in AB}, table, period)
        states = [ab[k]["coverage_state"] for k in AB] + [ab[k]["frequency_state"] for k in AB]
        states.append(figures.state(rate, target))
        rows.append(
            {
                "territory": territory,
                "rep_name": _person(territory.rep),
                "ab": ab,
                "activity": act,
                "call_rate": rate,
                "call_rate_target": target,
                "call_rate_state": figures.state(rate, target),
                "call_rate_gap": float(rate / target) if rate is not None and target else None,
                "unmet": states.count("unmet"),
            }
        )
    sort = request.GET.get("sort", "")
    key = REP_SORTS.get(sort.lstrip("-"))
    rows.sort(key=key or _worst_key, reverse=bool(key) and sort.startswith("-"))
    query = request.GET.copy()
    query.pop("sort", None)
    base = query.urlencode()
    sorts = {
        name: f"?{base}&sort={'-' if sort == name else ''}{name}#reps" for name in [*REP_SORTS, ""]
    }
    return {"rep_rows": rows, "rep_sort": sort, "rep_sorts": sorts, "team_filter": team_filter}


DRILL_TITLES = {
    "all": _lazy("Targets"),
    "uncovered": _lazy("Not yet covered"),
    "below": _lazy("Below their calls per month"),
    "covered": _lazy("Covered"),
    "compliant": _lazy("At their calls per month"),
}


def _drill_scope(request):
    """The scope of a drill list: named in the URL (`territory=`, `district=` or `region=`,
    within the user's scope, else 404); a rep may leave it out (their own territory)."""
    named = any(request.GET.get(kind) for kind in selectors.SCOPE_KINDS)
    if not named and not request.user.is_rep:
        raise Http404
    kind, scope = _scope(request)
    if scope is None:
        raise Http404
    return kind, scope, selectors.scope_territories(request.user, **{kind: scope})


def _scope_label(kind, scope):
    if kind == "territory":
        return f"{scope.rep or _('Vacant')} · {scope.name}"
    return str(scope)


def _back(request, kind, scope, period):
    """The dashboard the drill came from."""
    if request.user.is_rep:
        return f"period={period.key}&territory={scope.pk}"
    return f"{kind}={scope.pk}&period={period.key}"


def _export_query(request):
    """The list's query without its format and page (an export holds every page)."""
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("page", None)
    return query.urlencode()


def _customer_columns(kind):
    columns = [
        ("name", _("Customer")),
        ("institution", _("Institution")),
        ("department", _("Department")),
        ("klass", _("Class")),
        ("call_count", _("Completed calls")),
        ("required", _("Calls per month required")),
    ]
    if kind != "territory":
        columns += [("territory", _("Territory")), ("rep", _("Rep"))]
    return columns


def _customer_rows(customers):
    return [
        {
            "name": localized_str(customer),
            "institution": localized_str(customer.institution),
            "department": localized_str(customer.department),
            "klass": customer.klass,
            "call_count": getattr(customer, "call_count", None),
            "required": getattr(customer, "required", None),
            "stage": getattr(customer, "stage", None),
            "territory": customer.territory.code if getattr(customer, "territory", None) else None,
            "rep": localized_str(customer.territory.rep)
            if getattr(customer, "territory", None)
            else None,
        }
        for customer in customers
    ]


def localized_str(obj):
    """An object's name in the active language ("" for none)."""
    if obj is None:
        return ""
    if hasattr(obj, "display_name"):
        return str(obj.display_name)
    if hasattr(obj, "name_en"):
        return localized(obj.name, obj.name_en)
    return str(obj)


# A drill list shows this many rows a page (the count and the export hold every row).
DRILL_PAGE_SIZE = 200


@login_required
def targets(request):
    """The customers behind one class figure of a territory's, district's or region's dashboard,
    exactly (a district's figure lists the targets of each of its territories): the targets of a
    class for the period (`show=all`), those covered or not yet (`covered`, `uncovered`), those
    at or below their calls per month (`compliant`, `below`). `?territory=|district=|region=`
    within the user's scope (a rep: their own territory, which they may leave out; else 404),
    `klass=` one of A–D, N1–N3 (else 404); `format=csv|xlsx` downloads the rows."""
    period = _period(request)
    klass, show = request.GET.get("klass"), request.GET.get("show", "all")
    if klass not in CLASSES or show not in selectors.SCOPE_DRILLS:
        raise Http404
    kind, scope, territories = _drill_scope(request)
    tables = selectors.requirement_tables({t.team_id for t in territories.only("team_id")})
    customers = selectors.scope_target_drill(
        territories=territories, period=period, klass=klass, show=show, tables=tables
    )
    if request.GET.get("format") in FORMATS:
        code = slugify(getattr(scope, "code", "") or "") or str(scope.pk)
        return export_response(
            _customer_rows(customers),
            _customer_columns(kind),
            f"targets-{code}-{period.key}-{klass}-{show}",
            request.GET["format"],
        )
    team = scope.team if kind == "territory" else None
    requirement = selectors.requirement_table(team).get(klass) if team else None
    requirement = requirement or tables[None].get(klass)
    query = request.GET.copy()
    query.pop("show", None)
    query.pop("page", None)
    return render(
        request,
        "reports/targets.html",
        {
            "period": period,
            "kind": kind,
            "scope": scope,
            "territory": scope if kind == "territory" else None,
            "scope_label": _scope_label(kind, scope),
            "back": _back(request, kind, scope, period),
            "klass": klass,
            "badge": "N" if klass.startswith("N") else klass,
            "show": show,
            "title": DRILL_TITLES[show],
            "customers": customers,
            # A region's class is thousands of targets: a page at a time (the count above the
            # list and the export hold them all).
            "page": Paginator(customers, DRILL_PAGE_SIZE).get_page(request.GET.get("page")),
            "requirement": requirement,
            "shows": [(key, DRILL_TITLES[key]) for key in selectors.SCOPE_DRILLS],
            "query": query.urlencode(),
            "export_query": _export_query(request),
            "can_drill_up": not request.user.is_rep,
            "can_log": can_log_calls(request.user),
        },
    )


ACTIVITY_TITLES = {
    "calls": _lazy("Completed calls"),
    "pims": _lazy("Product information meetings"),
    "one_to_one": _lazy("One-to-one calls"),
    "invitations": _lazy("Meeting invitations"),
}


@login_required
def activity(request):
    """The calls behind an activity figure, exactly: `show=calls` the attendances at completed
    calls (the call rate's completed calls), `pims` the completed meetings, `one_to_one` and
    `invitations` (with `klass=` A–D, N1–N3 or `none`) the attendances the opportunity analysis
    counts per class. For the period, or `week=current` (this Monday–Sunday: PIMs this week).
    Scoped like the targets drill; `format=csv|xlsx` downloads the rows."""
    period = _period(request)
    show, klass = request.GET.get("show", "calls"), request.GET.get("klass")
    if show not in selectors.ACTIVITY_DRILLS:
        raise Http404
    if show in ("one_to_one", "invitations") and klass not in (*CLASSES, "none"):
        raise Http404
    kind, scope, territories = _drill_scope(request)
    start, end = period.start, period.end
    week = request.GET.get("week") == "current"
    if week:
        today = timezone.localdate()
        start = today - timedelta(days=today.weekday())
        end = start + timedelta(days=6)
    rows = selectors.activity_drill(
        territories=territories, start=start, end=end, show=show, klass=klass
    )
    if request.GET.get("format") in FORMATS:
        code = slugify(getattr(scope, "code", "") or "") or str(scope.pk)
        columns = [
            ("date", _("Date")),
            ("territory", _("Territory")),
            ("rep", _("Rep")),
            ("customer", _("Customer")),
            ("institution", _("Institution")),
        ]
        if show == "pims":
            columns[3] = ("attendees", _("Attendees"))
        export = [
            {
                "date": row["date"].isoformat(),
                "territory": row["territory"].code,
                "rep": localized_str(row["rep"]),
                "customer": localized_str(row["customer"]) if row["customer"] else None,
                "institution": localized_str(row["institution"]),
                "attendees": row["attendees"],
            }
            for row in rows
        ]
        name = f"{show}-{code}-{'week' if week else period.key}"
        return export_response(export, columns, name, request.GET["format"])
    return render(
        request,
        "reports/activity.html",
        {
            "period": period,
            "week": (start, end) if week else None,
            "kind": kind,
            "scope": scope,
            "scope_label": _scope_label(kind, scope),
            "back": _back(request, kind, scope, period),
            "show": show,
            "klass": klass,
            "title": ACTIVITY_TITLES[show],
            "rows": rows,
            # A region's month is tens of thousands of attendances: the page shows them a page
            # at a time (the count and the export hold them all).
            "page": Paginator(rows, DRILL_PAGE_SIZE).get_page(request.GET.get("page")),
            "query": _export_query(request),
            "can_drill_up": not request.user.is_rep,
        },
    )


@login_required
def adoption(request):
    """The customers behind one segment of the opportunity analysis's adoption bars, exactly:
    the A or B customers (`klass=`) of a product (`product=` its code) whose latest stage is
    `stage=` (a stage, `none` for not recorded, `before_trial` for all those not yet trying,
    `all` for every one). Scoped like the targets drill; `format=csv|xlsx` downloads the rows."""
    from .opportunity import BEFORE_TRIAL, STAGES

    period = _period(request)
    klass, stage = request.GET.get("klass"), request.GET.get("stage", "all")
    product = Product.objects.filter(code=request.GET.get("product") or "").first()
    if klass not in ("A", "B") or product is None:
        raise Http404
    labels = {"none": _("Not recorded"), **{k: str(v) for k, v in AdoptionStage.choices}}
    if stage == "all":
        stages, title = STAGES, _("A and B customers")
    elif stage == selectors.ADOPTION_BEFORE_TRIAL:
        stages, title = BEFORE_TRIAL, _("Not yet trying")
    elif stage in labels:
        stages, title = ["" if stage == "none" else stage], labels[stage]
    else:
        raise Http404
    kind, scope, territories = _drill_scope(request)
    customers = selectors.adoption_drill(
        territories=territories, period=period, product=product, klass=klass, stages=stages
    )
    if request.GET.get("format") in FORMATS:
        code = slugify(getattr(scope, "code", "") or "") or str(scope.pk)
        rows = [
            {**row, "stage": labels.get(c.stage or "none")}
            for row, c in zip(_customer_rows(customers), customers, strict=True)
        ]
        columns = [*_customer_columns("territory")[:4], ("stage", _("Adoption stage"))]
        name = f"adoption-{code}-{period.key}-{slugify(product.code)}-{klass}-{stage}"
        return export_response(rows, columns, name, request.GET["format"])
    for customer in customers:
        customer.stage_label = labels.get(customer.stage or "none")
    return render(
        request,
        "reports/adoption.html",
        {
            "period": period,
            "kind": kind,
            "scope": scope,
            "scope_label": _scope_label(kind, scope),
            "back": f"{kind}={scope.pk}&period={period.key}",
            "product": product,
            "klass": klass,
            "title": title,
            "customers": customers,
            "export_query": _export_query(request),
        },
    )
