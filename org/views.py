from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.concurrency import Stale
from core.history import changes, record_changes
from core.ids import int_or_404, uuid_or_404
from core.net import safe_next
from core.text import localized

from . import services
from .forms import ComplianceSettingsForm, TeamTargetsForm
from .models import ApiToken, ComplianceSettings, Language, Team, User


@require_POST
def language_set(request):
    """Switch the language; a logged-in user's choice is remembered on their profile."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request, "/"))
    if language not in Language.values:
        return response
    if request.user.is_authenticated:
        try:
            services.user_set_language(user=request.user, language=language)
        except ValidationError:
            return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@login_required
def devices(request):
    """One's devices signed in to the API (tokens); revoke a lost one."""
    tokens = ApiToken.objects.filter(user=request.user)
    if request.method == "POST":
        token = get_object_or_404(tokens, pk=int_or_404(request.POST.get("token")))
        services.api_token_revoke(token=token)
        messages.success(
            request,
            _("The device “%(device)s” is signed out.")
            % {"device": token.device or _("unnamed device")},
        )
        return HttpResponseRedirect(reverse("devices"))
    return render(request, "org/devices.html", {"tokens": tokens})


# The admin's settings: the hub linking every settings page, and the teams' targets.


def _admin_only(request):
    if not request.user.is_admin:
        raise PermissionDenied


# (url name, title, description) of every settings page, in the order of the hub.
SETTINGS_PAGES = [
    (
        "calls:catalogue",
        gettext_lazy("Catalogue"),
        gettext_lazy(
            "Key messages, materials and samples per product, and the teams they are for."
        ),
    ),
    (
        "team_targets",
        gettext_lazy("Team targets"),
        gettext_lazy("Call-rate target and PIMs per week of each team."),
    ),
    (
        "calls:settings",
        gettext_lazy("Call settings"),
        gettext_lazy(
            "Grace period, backdating limit and the sample limit per customer and quarter."
        ),
    ),
    (
        "compliance_settings",
        gettext_lazy("Compliance"),
        gettext_lazy(
            "Rep registration (备案), no 统方 (measures hidden from reps), institutions' "
            "visiting days and customers' consent."
        ),
    ),
    (
        "planning:settings",
        gettext_lazy("Planning"),
        gettext_lazy("The capacity floor: below it, a plan's utilisation is flagged at approval."),
    ),
    (
        "reports:requirements",
        gettext_lazy("Requirements"),
        gettext_lazy(
            "Coverage and call frequency required per class, per team; recompute the figures."
        ),
    ),
    (
        "customers:steward",
        gettext_lazy("Data steward"),
        gettext_lazy("Customers reps created and changes they asked for: verify, merge, reject."),
    ),
    (
        "customers:segmentation",
        gettext_lazy("Segmentation"),
        gettext_lazy("Thresholds of the classes per product, reclassification jobs."),
    ),
    (
        "customers:imports",
        gettext_lazy("Import data"),
        gettext_lazy(
            "Institutions, departments, customers and alignments from spreadsheets, checked "
            "row by row before anything is written."
        ),
    ),
    (
        "customers:measure_import",
        gettext_lazy("Import measures"),
        gettext_lazy("Potential and support of the prescribers from a spreadsheet."),
    ),
    (
        "notifications:rules",
        gettext_lazy("Reminders"),
        gettext_lazy("Reminder rules and the notifications they send."),
    ),
    (
        "admin:index",
        gettext_lazy("Django admin"),
        gettext_lazy("Users, organisation, territories and every other record."),
    ),
]


@login_required
def settings_hub(request):
    """Every settings page an admin has, one click away."""
    _admin_only(request)
    pages = []
    for url_name, title, description in SETTINGS_PAGES:
        try:
            pages.append({"url": reverse(url_name), "title": title, "description": description})
        except NoReverseMatch:  # an app not installed
            continue
    return render(request, "org/settings_hub.html", {"pages": pages})


@login_required
def team_targets(request):
    """Each team's call-rate target and PIMs per week, a row each, with the history."""
    _admin_only(request)
    teams = list(Team.objects.order_by("code"))
    bound = None
    if request.method == "POST":
        team = get_object_or_404(Team, pk=uuid_or_404(request.POST.get("team")))
        form = TeamTargetsForm(request.POST, team=team)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.team_targets_save(
                    by=request.user,
                    team=team,
                    call_rate_target=data["call_rate_target"],
                    pims_per_week=data["pims_per_week"],
                    expected_version=data["version"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except Stale as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Targets of %(team)s saved.") % {"team": team.display_name}
                )
                return HttpResponseRedirect(f"{reverse('team_targets')}#team-row-{team.pk}")
        bound = (team.pk, form)
    rows = []
    for team in teams:
        if bound and bound[0] == team.pk:
            form = bound[1]
        else:
            form = TeamTargetsForm(
                team=team,
                initial={
                    "call_rate_target": team.call_rate_target,
                    "pims_per_week": team.pims_per_week,
                    "version": team.version,
                },
            )
        rows.append({"team": team, "form": form})
    history = changes(
        Team.history.all(),
        fields=["call_rate_target", "pims_per_week"],
        label=lambda version: localized(version.name, version.name_en),
    )
    return render(
        request,
        "org/team_targets.html",
        {"rows": rows, "changes": history},
        status=400 if bound else 200,
    )


@login_required
def user_history(request, pk):
    """Who changed a user's name, role, language, registration or activity, when and through
    what (admins only; linked from the user's admin page)."""
    if not request.user.is_admin:
        raise PermissionDenied
    person = get_object_or_404(User, pk=int_or_404(pk))
    return render(
        request,
        "history_page.html",
        {
            "record": person.display_name,
            "back": reverse("admin:org_user_change", args=[person.pk]),
            "changes": record_changes(User, person.pk),
        },
    )


@login_required
def compliance_settings(request):
    """China's rules for reps and consent, each on or off; the history shows every write. The
    form names the version it was read at: a change saved meanwhile is refused, not lost."""
    _admin_only(request)
    current = ComplianceSettings.load()
    form = ComplianceSettingsForm(
        request.POST or None,
        initial={
            **{name: getattr(current, name) for name in services.COMPLIANCE_FIELDS},
            "version": current.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.compliance_settings_save(
                by=request.user, expected_version=data.pop("version"), **data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except Stale as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Compliance settings saved."))
            return HttpResponseRedirect(reverse("compliance_settings"))
    return render(
        request,
        "settings_form.html",
        {
            "title": _("Compliance"),
            "heading": _("China's rules for reps and consent"),
            "form": form,
            "changes": changes(ComplianceSettings.history.all()),
        },
        status=400 if request.method == "POST" else 200,
    )
