"""The page that imports measures: upload, check (dry run), then import the checked file."""

import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import services
from ..forms import MeasureImportForm
from ..services.imports import MAX_ROWS, measures_import

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
