"""The opportunity analysis (识别生意机会, step 2 of the sales model): does the effort match the
classes? For a territory, district or region (scoped like the dashboards) and a period: the share
of one-to-one calls and of meeting invitations going to each class against the class's share of
targets, and the adoption stage of the A and B customers per product. Tables, bar charts and
CSV/XLSX exports of both tables. Reads in reports.selectors."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.text import localized
from customers.models import AdoptionStage

from .. import figures, selectors
from ..exports import FORMATS, PERCENT, export_response
from .dashboards import _period, _scope, _switch

# Stages from the furthest from use to the closest; "" first: nothing recorded yet.
STAGES = ["", *AdoptionStage.values]
BEFORE_TRIAL = {"", AdoptionStage.UNAWARE, AdoptionStage.AWARE, AdoptionStage.INTERESTED}


def _width(share):
    """A bar's width in percent of the track (at least a hairline when the share is not 0)."""
    if not share:
        return 0
    return max(round(float(share) * 100, 1), 0.5)


def _effort_rows(rows):
    for row in rows:
        row["badge"] = (row["klass"] or "")[:1] if row["klass"] else None
        for key in ("target_share", "call_share", "invitation_share"):
            row[f"{key}_pct"] = figures.percent(row[key]) if row[key] is not None else None
            row[f"{key}_width"] = _width(row[key])
        target = row["target_share"]
        row["call_index"] = (
            round(float(row["call_share"]) / float(target), 2)
            if target and row["call_share"] is not None
            else None
        )
    return rows


def _adoption_table(rows):
    """[{product, klass, total, before_trial_pct, stages: [{stage, label, n, width}]}] from the
    selector's counts, one line per product and class."""
    labels = {"": _("Not recorded"), **dict(AdoptionStage.choices)}
    lines = {}
    for row in rows:
        key = (row["product__code"], row["klass"])
        line = lines.setdefault(
            key,
            {
                "product": localized(row["product__name"], row["product__name_en"]),
                "code": row["product__code"],
                "klass": row["klass"],
                "counts": dict.fromkeys(STAGES, 0),
            },
        )
        line["counts"][row["stage"]] += row["customers"]
    table = []
    for line in lines.values():
        total = sum(line["counts"].values())
        before = sum(n for stage, n in line["counts"].items() if stage in BEFORE_TRIAL)
        line.update(
            {
                "total": total,
                "before_trial": before,
                "before_trial_pct": figures.percent(before / total) if total else None,
                "stages": [
                    {
                        "stage": stage or "none",
                        "label": labels[stage],
                        "n": line["counts"][stage],
                        "width": _width(line["counts"][stage] / total) if total else 0,
                    }
                    for stage in STAGES
                ],
            }
        )
        table.append(line)
    return table


def _export(request, kind, scope, period, effort, adoption):
    table = request.GET.get("table", "effort")
    code = slugify(getattr(scope, "code", "") or "") or str(scope.pk)
    if table == "adoption":
        columns = [
            ("code", _("Product code")),
            ("product", _("Product")),
            ("klass", _("Class")),
            ("total", _("Customers")),
            *[
                (f"stage_{s['stage']}", s["label"])
                for s in (adoption[0]["stages"] if adoption else [])
            ],
            ("before_trial", _("Not yet trying")),
        ]
        rows = [
            {**line, **{f"stage_{s['stage']}": s["n"] for s in line["stages"]}} for line in adoption
        ]
        return export_response(
            rows, columns, f"adoption-{code}-{period.key}", request.GET["format"]
        )
    columns = [
        ("klass", _("Class")),
        ("targets", _("Targets")),
        ("target_share", _("Share of targets (%)"), PERCENT),
        ("calls", _("One-to-one calls")),
        ("call_share", _("Share of calls (%)"), PERCENT),
        ("invitations", _("Meeting invitations")),
        ("invitation_share", _("Share of invitations (%)"), PERCENT),
    ]
    rows = [{**row, "klass": row["klass"] or _("Not a target")} for row in effort]
    return export_response(rows, columns, f"effort-{code}-{period.key}", request.GET["format"])


@login_required
def opportunity(request):
    """GET ?territory=|district=|region=&period=[&format=csv|xlsx&table=effort|adoption]."""
    period = _period(request)
    kind, scope = _scope(request)
    context = {"period": period, "switch": _switch(request, period), "kind": kind, "scope": scope}
    if scope is None:
        return render(request, "reports/opportunity.html", context)
    territories = selectors.scope_territories(request.user, **{kind: scope})
    effort = _effort_rows(selectors.effort_by_class(territories=territories, period=period))
    adoption = _adoption_table(
        selectors.adoption_by_product(territories=territories, period=period)
    )
    if request.GET.get("format") in FORMATS:
        return _export(request, kind, scope, period, effort, adoption)
    context.update(
        {
            "effort": effort,
            "under_served": [row for row in effort if row["under_served"]],
            "adoption": adoption,
            "legend": adoption[0]["stages"] if adoption else [],
            "scope_query": f"{kind}={scope.pk}",
        }
    )
    return render(request, "reports/opportunity.html", context)
