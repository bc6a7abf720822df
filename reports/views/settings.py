"""The admin Requirements page: the requirement table of the company default and of each team
(percent on the page, shares 0–1 in the database), its history, and "recompute now" with
progress. Thin: reads in reports.selectors, writes in reports.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.history import record_changes
from core.periods import current_periods, parse
from org.models import Team

from .. import selectors, services
from ..forms import RequirementTableForm
from ..models import RecomputeJob, Requirement, TargetClass

DEFAULT = "default"  # the form prefix and `team` value of the company default


def _admin_only(request):
    if not request.user.is_admin:
        raise PermissionDenied


def _periods():
    """The periods offered to recompute: this and last month, this and last quarter."""
    month, last_month, quarter, last_quarter = current_periods()
    return [
        (month.key, _("This month (%(period)s)") % {"period": month.key}),
        (last_month.key, _("Last month (%(period)s)") % {"period": last_month.key}),
        (quarter.key, _("This quarter (%(period)s)") % {"period": quarter.key}),
        (last_quarter.key, _("Last quarter (%(period)s)") % {"period": last_quarter.key}),
    ]


def _team(value):
    """None for the company default, else the team (404 when unknown)."""
    if value == DEFAULT:
        return None
    try:
        return get_object_or_404(Team, pk=value)
    except ValidationError as error:  # not a UUID
        raise Http404 from error


@login_required
def requirement_history(request, pk):
    """The history of one requirement row (admins, as the requirements page)."""
    _admin_only(request)
    requirement = selectors.requirement_get(pk)
    team = requirement.team.display_name if requirement.team else _("Company default")
    return render(
        request,
        "history_page.html",
        {
            "record": f"{team} · {requirement.klass}",
            "back": reverse("reports:requirements"),
            "changes": record_changes(Requirement, requirement.pk),
        },
    )


@login_required
def requirements(request):
    """GET: the tables and their history. POST `team` (a team id or "default") with `action`:
    save (the whole table, all or nothing), customise (copy the default) or reset (use the
    default again)."""
    _admin_only(request)
    bound = None  # (prefix, form) of a table posted with errors
    if request.method == "POST":
        team = _team(request.POST.get("team", ""))
        action = request.POST.get("action")
        name = str(team) if team is not None else _("Company default")
        if action == "customise" and team is not None:
            services.requirement_team_customise(by=request.user, team=team)
            messages.success(request, _("%(team)s now has its own requirements.") % {"team": name})
            return redirect(f"{request.path}#team-{team.pk}")
        if action == "reset" and team is not None:
            services.requirement_team_reset(by=request.user, team=team)
            messages.success(
                request, _("%(team)s follows the company default again.") % {"team": name}
            )
            return redirect(f"{request.path}#team-{team.pk}")
        prefix = str(team.pk) if team is not None else DEFAULT
        form = RequirementTableForm(request.POST, prefix=prefix)
        if action == "save" and form.is_valid():
            try:
                services.requirement_table_save(by=request.user, team=team, table=form.table())
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Requirements of %(team)s saved.") % {"team": name})
                return redirect(f"{request.path}#team-{prefix}")
        elif action != "save":
            return redirect(request.path)
        bound = (prefix, form)
    teams = list(Team.objects.for_user(request.user).order_by("code"))
    settings = selectors.requirement_settings(teams)

    def table_form(prefix, table):
        if bound and bound[0] == prefix:
            form = bound[1]
        else:
            form = RequirementTableForm(
                prefix=prefix, initial=RequirementTableForm.initial_from(table)
            )
        form.requirements = table
        return form

    default_form = table_form(DEFAULT, settings["defaults"])
    tables = []
    for team, own in settings["teams"]:
        tables.append(
            {
                "team": team,
                "own": own is not None,
                "form": table_form(str(team.pk), own) if own is not None else None,
            }
        )
    default_rows = [
        {
            "klass": klass,
            "badge": "N" if klass.startswith("N") else klass,
            "requirement": settings["defaults"].get(klass),
        }
        for klass in TargetClass.values
    ]
    return render(
        request,
        "reports/requirements.html",
        {
            "default_form": default_form,
            "default_rows": default_rows,
            "tables": tables,
            "changes": selectors.requirement_changes(),
            "periods": _periods(),
            "jobs": list(RecomputeJob.objects.select_related("created_by")[:5]),
        },
        status=400 if bound else 200,
    )


@login_required
@require_POST
def recompute(request):
    """Start recomputing a period (default this month) and show its progress."""
    _admin_only(request)
    key = request.POST.get("period") or current_periods()[0].key
    try:
        period = parse(key)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:requirements")
    job = services.recompute_job_start(by=request.user, period=period)
    return redirect("reports:recompute_job", pk=job.pk)


def _job(request, pk):
    _admin_only(request)
    return get_object_or_404(RecomputeJob.objects.select_related("created_by"), pk=pk)


@login_required
def recompute_job(request, pk):
    """A recompute job's progress (templates/includes/job_progress.html)."""
    return render(request, "reports/recompute_job.html", {"job": _job(request, pk)})


@login_required
def recompute_job_status(request, pk):
    """{"status", "status_display", "progress" (0..1), "rows"} of a job, for its poller."""
    return JsonResponse(_job(request, pk).status_payload())
