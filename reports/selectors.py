"""Read paths of the reports: figures of a territory, district or region for a period, summed
from the territories' snapshots (counts are summed, never ratios averaged)."""

from decimal import Decimal

from django.db.models import Max, Sum

from org.models import Territory

from .models import ActivitySnapshot, ClassSnapshot, Requirement, TargetClass
from .periods import Period


def _ratio(part, whole):
    if part is None or not whole:
        return None
    return round(part / whole, 4)


def requirement_table(team):
    """{klass: Requirement} for a team: its own rows, else the company defaults."""
    rows = {r.klass: r for r in Requirement.objects.filter(team__isnull=True)}
    if team is not None:
        rows.update({r.klass: r for r in Requirement.objects.filter(team=team)})
    return rows


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
        required = total.get("calls_per_month") or (
            {requirement.calls_per_month} if requirement and requirement.calls_per_month else set()
        )
        calls_per_month = required.pop() if len(required) == 1 else None
        targets = total.get("targets", 0)
        frequency_compliant = total.get("frequency_compliant") if period.is_month else None
        coverage_required = None
        if requirement is not None:
            coverage_required = (
                requirement.monthly_coverage if period.is_month else requirement.quarterly_coverage
            )
        rows.append(
            {
                "klass": klass,
                "targets": targets,
                "covered": total.get("covered", 0),
                "coverage": _ratio(total.get("covered", 0), targets),
                "coverage_required": coverage_required,
                "calls_per_month": calls_per_month,
                "frequency_compliant": frequency_compliant if targets else None,
                "frequency_compliance": _ratio(frequency_compliant, targets),
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
    call_rate = round(Decimal(completed) / days, 2) if completed is not None and days else None
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
