"""The pages that import data: measures (upload, check, then import the checked file), and the
imports of master data as jobs (upload → preview per row → apply; progress; rejected rows)."""

import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from .. import services
from ..forms import ImportForm, MeasureImportForm
from ..models import Import, ImportKind
from ..services import bulk_import
from ..services.import_files import MAX_ROWS
from ..services.imports import measures_import

SESSION_KEY = "measure_import"
STALE_SECONDS = 24 * 3600  # checked files nobody imported are removed after a day


def _imports_dir():
    folder = settings.VAR_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _checked_path(token):
    """Where a checked upload waits; the token comes from the session, never from the form."""
    return _imports_dir() / f"{token}.upload"


def _keep_upload(request, upload):
    """Store the checked file until it is imported; forget the user's previous one and any
    stale files."""
    _forget_upload(request)
    for old in _imports_dir().glob("*.upload"):
        if old.stat().st_mtime < time.time() - STALE_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    with _checked_path(token).open("wb") as kept:
        for chunk in upload.chunks():
            kept.write(chunk)
    request.session[SESSION_KEY] = {"token": token, "name": upload.name}
    return token


def _forget_upload(request):
    kept = request.session.pop(SESSION_KEY, None)
    if kept:
        _checked_path(kept["token"]).unlink(missing_ok=True)


def _success(request, report):
    messages.success(
        request,
        _(
            "Imported %(rows)s rows: %(created)s new measures, %(replaced)s replaced, "
            "%(unchanged)s unchanged; %(moved)s customers changed class."
        )
        % {
            "rows": report.rows,
            "created": report.created,
            "replaced": report.replaced,
            "unchanged": report.unchanged,
            "moved": report.moved,
        },
    )


@login_required
def measure_import(request):
    if not services.can_edit_segmentation(request.user):
        raise PermissionDenied
    form = MeasureImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload, dry_run = form.cleaned_data["file"], form.cleaned_data["mode"] == "check"
        try:
            report = measures_import(by=request.user, file=upload, dry_run=dry_run)
        except ValidationError as error:
            _forget_upload(request)
            return render(
                request,
                "customers/measure_import_result.html",
                {"name": upload.name, "errors": error.message_dict["file"], "report": None},
            )
        if not dry_run:
            _success(request, report)
            return redirect("customers:measure_import")
        token = _keep_upload(request, upload) if report.written else None
        return render(
            request,
            "customers/measure_import_result.html",
            {"name": upload.name, "errors": [], "report": report, "token": token},
        )
    return render(
        request, "customers/measure_import.html", {"form": form, "max_rows": f"{MAX_ROWS:,}"}
    )


@login_required
def measure_import_apply(request):
    """Import the file checked in the dry run (POST with the token the result page shows)."""
    if not services.can_edit_segmentation(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return redirect("customers:measure_import")
    kept = request.session.get(SESSION_KEY)
    path = _checked_path(kept["token"]) if kept else None
    if not kept or request.POST.get("token") != kept["token"] or not path.exists():
        messages.error(request, _("The checked file is no longer here: upload it again."))
        return redirect("customers:measure_import")
    try:
        with path.open("rb") as file:
            report = measures_import(by=request.user, file=file, dry_run=False)
    except ValidationError as error:  # the data changed since the check
        _forget_upload(request)
        return render(
            request,
            "customers/measure_import_result.html",
            {"name": kept["name"], "errors": error.message_dict["file"], "report": None},
        )
    _forget_upload(request)
    _success(request, report)
    return redirect("customers:measure_import")


# Imports of master data (customers/services/bulk_import.py).

RECENT_IMPORTS = 20


def _import_kinds(user):
    return [(k, label) for k, label in ImportKind.choices if bulk_import.can_import(user, k)]


def _own_import(request, pk, *, with_data=False):
    """The import of `pk` if the user may see it (admins: all; others: their own), else 404."""
    if not bulk_import.can_import(request.user):
        raise PermissionDenied
    imports = Import.objects.for_user(request.user).select_related("created_by", "checked")
    if not with_data:
        imports = imports.defer("data")
    return get_object_or_404(imports, pk=pk)


@login_required
def import_list(request):
    """Upload a file (check or import), and the recent imports to find one again."""
    if not bulk_import.can_import(request.user):
        raise PermissionDenied
    form = ImportForm(
        request.POST or None, request.FILES or None, kinds=_import_kinds(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = bulk_import.import_start(
                by=request.user,
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                dry_run=form.cleaned_data["mode"] == "check",
                name=form.cleaned_data["file"].name,
            )
        except ValidationError as error:
            for message in error.message_dict.get("file", error.messages):
                form.add_error("file", message)
        else:
            return redirect("customers:import_detail", job.pk)
    recent = (
        Import.objects.for_user(request.user)
        .select_related("created_by")
        .defer("data", "errors", "outcomes")[:RECENT_IMPORTS]
    )
    return render(request, "customers/import_list.html", {"form": form, "imports": recent})


@login_required
def import_detail(request, pk):
    """An import: its progress while it runs; then its counts, its errors and the outcome of
    each row (the preview of a check), with Apply after a clean check."""
    job = _own_import(request, pk)
    outcome_labels = {
        "created": pgettext("import outcome", "created"),
        "changed": pgettext("import outcome", "changed"),
        "unchanged": pgettext("import outcome", "unchanged"),
    }
    outcomes = [
        {**o, "label": outcome_labels.get(o["outcome"], o["outcome"])} for o in job.outcomes
    ]
    return render(
        request,
        "customers/import_detail.html",
        {
            "job": job,
            "outcomes": outcomes,
            "workbook": job.kind == ImportKind.WORKBOOK,
            "can_apply": job.dry_run and job.status == "done" and not job.error_count and job.rows,
            "applied": job.applications.order_by("-created_at").first() if job.dry_run else None,
        },
    )


@login_required
def import_status(request, pk):
    """{"status", "status_display", "progress", counts} of an import, for its poller."""
    return JsonResponse(_own_import(request, pk).status_payload())


@login_required
@require_POST
def import_apply(request, pk):
    """Import the file a clean check read (a new job)."""
    job = _own_import(request, pk, with_data=True)
    try:
        applied = bulk_import.import_apply(by=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("customers:import_detail", job.pk)
    return redirect("customers:import_detail", applied.pk)


@login_required
def import_rejected(request, pk, fmt):
    """The rows of the file that have errors, with an "error" column (CSV or XLSX)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    job = _own_import(request, pk, with_data=True)
    if not job.error_count:
        raise Http404
    content, content_type, name = bulk_import.rejected_rows(job, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
