"""The admin Segmentation pages: per product a scatter of potential × support with the threshold
lines, a what-if preview, apply (a reclassification job with progress) and the versions.

Server-rendered; the scatter is inline SVG built here (no chart library), sampled when large.
static/js/segmentation.js only adds dragging the lines (job_progress.js follows the job)."""

import math

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.history import record_changes
from core.models import JobStatus
from org.models import Product

from .. import selectors, services
from ..forms import ApplyForm, ThresholdForm
from ..models import PRESCRIBER_CLASSES, Klass, Reclassification, Threshold

SCATTER_LIMIT = 3000  # points drawn at most; beyond, an evenly spaced deterministic sample
MOVERS_SHOWN = 50  # customers listed under the preview

# Geometry of the scatter, in SVG user units (the SVG scales to its box).
WIDTH, HEIGHT = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 16, 52
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _admin_only(request):
    if not services.can_edit_segmentation(request.user):
        raise PermissionDenied


@login_required
def segmentation(request):
    """The products with their thresholds in force and counts per class today."""
    _admin_only(request)
    today = timezone.localdate()
    products = selectors.segmentation_products(today)
    for product in products:
        product.klasses = [(k, product.counts.get(k, 0)) for k in PRESCRIBER_CLASSES]
        product.classified = sum(n for _k, n in product.klasses)
    return render(
        request,
        "customers/segmentation.html",
        {"products": products, "today": today},
    )


@login_required
def segmentation_product(request, pk):
    """The scatter, the thresholds form with its preview (GET), and apply (POST)."""
    _admin_only(request)
    product = get_object_or_404(Product.objects.for_user(request.user), pk=pk)
    today = timezone.localdate()
    apply_form = None
    if request.method == "POST":
        apply_form = ApplyForm(request.POST)
        form = ThresholdForm(request.POST)
        if apply_form.is_valid():
            data = apply_form.cleaned_data
            try:
                threshold = services.threshold_save(
                    by=request.user,
                    product=product,
                    potential_min=data["potential_min"],
                    support_min=data["support_min"],
                    valid_from=data["valid_from"],
                    reason=data["reason"].strip(),
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    apply_form.add_error(field if field in apply_form.fields else None, messages_)
            else:
                return redirect("customers:segmentation_job", pk=threshold.job.pk)
        previewing = form.is_valid()
    elif {"potential_min", "support_min"} & set(request.GET):
        form = ThresholdForm(request.GET)
        previewing = form.is_valid()
    else:
        form = None
        previewing = False
    day = today
    if form is not None:
        form.is_valid()
        day = form.cleaned_data.get("valid_from") or today
    current = selectors.threshold_on(product=product, day=day)
    if form is None:
        form = ThresholdForm(
            initial={
                "potential_min": _plain(current.potential_min) if current else None,
                "support_min": _plain(current.support_min) if current else None,
                "valid_from": today,
            }
        )
    counts = selectors.segmentation_class_counts(day=day, product=product).get(product.pk, {})
    proposed = _proposed(form, current)
    context = {
        "product": product,
        "form": form,
        "day": day,
        "today": today,
        "current": current,
        "counts": [(k, Klass(k).label, counts.get(k, 0)) for k in PRESCRIBER_CLASSES],
        "overridden": counts.get("override", 0),
        "versions": _versions(product, today),
        "jobs": Reclassification.objects.filter(product=product).select_related(
            "created_by", "threshold"
        )[:5],
        "scatter": _scatter(product, day, current, proposed),
        "preview": None,
        "apply_form": apply_form,
    }
    if previewing:
        data = form.cleaned_data
        context["preview"] = _preview(product, data)
        if apply_form is None:
            apply_form = ApplyForm(initial=data)
        context["apply_form"] = apply_form
    return render(request, "customers/segmentation_product.html", context)


def _plain(amount):
    """A decimal without trailing zeros, as a person types it: 100.00 → "100", 7.50 → "7.5"."""
    return format(amount.normalize(), "f")


def _proposed(form, current):
    """The proposed (potential, support) of a bound form, else those in force (or None)."""
    values = []
    for name in ("potential_min", "support_min"):
        value = None
        if form.is_bound:
            value = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
        elif current is not None:
            value = getattr(current, name)
        values.append(value)
    return values


def _preview(product, data):
    preview = selectors.threshold_preview(
        product=product,
        potential_min=data["potential_min"],
        support_min=data["support_min"],
        on=data["valid_from"],
        movers=MOVERS_SHOWN,
    )
    matrix = preview["matrix"]
    moves = sorted(
        ((old, new, n) for (old, new), n in matrix.items() if old != new and n),
        key=lambda move: (-move[2], move[0] or "", move[1]),
    )
    sentences = []
    for old, new, n in moves:
        if old is None:
            sentences.append(
                ngettext(
                    "%(count)s unclassified gets class %(new)s",
                    "%(count)s unclassified get class %(new)s",
                    n,
                )
                % {"count": n, "new": new}
            )
        else:
            sentences.append(
                ngettext(
                    "%(count)s moves %(old)s → %(new)s",
                    "%(count)s move %(old)s → %(new)s",
                    n,
                )
                % {"count": n, "old": old, "new": new}
            )
    olds = list(PRESCRIBER_CLASSES)
    if any(old is None for old, _new in matrix):
        olds.append(None)
    rows = [
        {
            "old": old,
            "cells": [
                {"new": new, "n": matrix.get((old, new), 0), "stays": old == new}
                for new in PRESCRIBER_CLASSES
            ],
            "total": sum(matrix.get((old, new), 0) for new in PRESCRIBER_CLASSES),
        }
        for old in olds
    ]
    totals = [sum(matrix.get((old, new), 0) for old in olds) for new in PRESCRIBER_CLASSES]
    return {
        **preview,
        "sentences": sentences,
        "rows": rows,
        "totals": totals,
        "classes": PRESCRIBER_CLASSES,
    }


def _nice_axis(top):
    """(axis maximum, ticks) with 1-2-2.5-5 steps, about five ticks."""
    top = float(top or 0) or 1.0
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    n = max(1, math.ceil(top / step - 1e-9))
    return step * n, [step * i for i in range(n + 1)]


def _label(value):
    """A tick or threshold value: thousands grouped, no trailing zeros."""
    value = float(value)
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _scatter(product, day, current, proposed):
    """Everything the template needs to draw the plot (coordinates in SVG units)."""
    data = selectors.scatter_points(product=product, on=day, limit=SCATTER_LIMIT)
    values_x = [data["max_potential"] or 0]
    values_y = [data["max_support"] or 0]
    for value, axis in ((proposed[0], values_x), (proposed[1], values_y)):
        if value is not None:
            axis.append(value)
    if current is not None:
        values_x.append(current.potential_min)
        values_y.append(current.support_min)
    xmax, xticks = _nice_axis(max(float(v) for v in values_x) * 1.05)
    ymax, yticks = _nice_axis(max(float(v) for v in values_y) * 1.05)

    def x(value):
        return round(LEFT + float(value) / xmax * PLOT_W, 1)

    def y(value):
        return round(TOP + PLOT_H - float(value) / ymax * PLOT_H, 1)

    labels = {k: Klass(k).label for k in Klass}
    unclassified = _("no class yet")
    overridden = _("override")

    def title(point):
        klass = labels.get(point["klass"], unclassified)
        if point["source"] == "override":
            klass = f"{klass} ({overridden})"
        return (
            f"{point['name']} · {_label(point['potential'])} × {_label(point['support'])} · {klass}"
        )

    points = format_html_join(
        "",
        '<use href="#seg-m{}" x="{}" y="{}" class="pt k-{}{}"><title>{}</title></use>',
        (
            (
                point["klass"] or "none",
                x(point["potential"]),
                y(point["support"]),
                point["klass"] or "none",
                " ov" if point["source"] == "override" else "",
                title(point),
            )
            for point in data["points"]
        ),
    )

    def line(values, kind):
        if values[0] is None or values[1] is None:
            return None
        return {
            "kind": kind,
            "x": x(values[0]),
            "y": y(values[1]),
            "potential": _label(values[0]),
            "support": _label(values[1]),
        }

    current_values = (current.potential_min, current.support_min) if current else (None, None)
    current_line = line(current_values, "current")  # solid, under the dashed proposed ones
    proposed_line = line(proposed, "proposed")
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "right": LEFT + PLOT_W,
        "bottom": TOP + PLOT_H,
        "plot_w": PLOT_W,
        "plot_h": PLOT_H,
        "xmax": xmax,
        "ymax": ymax,
        "xticks": [{"at": x(t), "label": _label(t)} for t in xticks],
        "yticks": [{"at": y(t), "label": _label(t)} for t in yticks],
        "points": points,
        "shown": len(data["points"]),
        "total": data["total"],
        "sampled": len(data["points"]) < data["total"],
        "current": current_line,
        "proposed": proposed_line,
        "mid_x": LEFT + PLOT_W / 2,
        "mid_y": TOP + PLOT_H / 2,
    }


def _job(request, pk):
    _admin_only(request)
    return get_object_or_404(
        Reclassification.objects.select_related("product", "threshold", "created_by"), pk=pk
    )


@login_required
def segmentation_job(request, pk):
    """A reclassification job: its progress (templates/includes/job_progress.html)."""
    job = _job(request, pk)
    customers = reverse("customers:list")
    return render(
        request,
        "customers/segmentation_job.html",
        {
            "job": job,
            # Recorded when the job finished; jobs finished before it was recorded count now.
            "moved": job.moved
            if job.moved is not None
            else (
                selectors.threshold_moved_count(job.threshold)
                if job.status == JobStatus.DONE and job.threshold
                else None
            ),
            "by_class": [
                (k, Klass(k).label, f"{customers}?{urlencode({'klass': k})}")
                for k in PRESCRIBER_CLASSES
            ],
        },
    )


@login_required
def segmentation_job_status(request, pk):
    """{"status", "status_display", "progress" (0..1), "changed"} of a job, for its poller."""
    return JsonResponse(_job(request, pk).status_payload())


def _versions(product, today):
    """The thresholds of the product, newest first: which is in force today, which are
    scheduled, and for the others a link previewing their values again from today."""
    versions = list(selectors.threshold_versions(product))
    in_force = next((v for v in versions if v.valid_from <= today), None)
    url = reverse("customers:segmentation_product", args=[product.pk])
    for version in versions:
        version.in_force = version is in_force
        version.scheduled = version.valid_from > today
        query = urlencode(
            {
                "potential_min": _plain(version.potential_min),
                "support_min": _plain(version.support_min),
                "valid_from": today.isoformat(),
            }
        )
        version.reapply_url = f"{url}?{query}#thresholds"
    return versions


@login_required
def threshold_history(request, pk):
    """The history of one threshold (admins, as the segmentation pages)."""
    _admin_only(request)
    threshold = selectors.threshold_get(request.user, pk)
    return render(
        request,
        "history_page.html",
        {
            "record": f"{threshold.product.display_name} · {threshold.valid_from:%Y-%m-%d}",
            "back": reverse("customers:segmentation_product", args=[threshold.product_id]),
            "changes": record_changes(Threshold, threshold.pk),
        },
    )
