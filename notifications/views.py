"""The bell's list, opening a notification (read, then to the place to act), e-mail settings,
and the admins' Reminders page (parameters, last run, run now). Thin: rules in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import outbox

from . import selectors, services, tasks
from .forms import EmailSettingsForm, RuleSettingForm
from .models import EmailOptOut, Notification, Rule, RuleRun
from .rules import scheduled


@login_required
def notification_list(request):
    notifications = Notification.objects.for_user(request.user).only(
        "id", "kind", "message", "url", "created_at", "read_at"
    )
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
def notification_open(request, pk):
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    services.notification_read(user=request.user, notification=notification)
    url = notification.url
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = "notifications:list"
    return redirect(url)


@login_required
@require_POST
def read_all(request):
    services.notifications_read_all(user=request.user)
    messages.success(request, _("All notifications marked as read."))
    return redirect("notifications:list")


@login_required
def email_settings(request):
    rules = [rule for rule, setting in services.rule_settings().items() if setting.send_email]
    opted_out = set(EmailOptOut.objects.filter(user=request.user).values_list("rule", flat=True))
    form = EmailSettingsForm(request.POST or None, rules=rules, opted_out=opted_out)
    if request.method == "POST" and form.is_valid():
        services.email_opt_outs_set(user=request.user, rules=form.opted_out())
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )


def _admin(request):
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def rules(request):
    _admin(request)
    settings = services.rule_settings()
    last = RuleRun.objects.filter(rule=OuterRef("rule")).order_by("-started_at")
    runs = {
        row["rule"]: row
        for row in RuleRun.objects.values("rule")
        .distinct()
        .annotate(
            last_at=Subquery(last.values("started_at")[:1]),
            last_sent=Subquery(last.values("sent")[:1]),
        )
    }
    lines = [
        {
            "scheduled": scheduled(rule),
            "setting": settings[rule],
            "form": RuleSettingForm(instance=settings[rule], prefix=rule),
            **runs.get(rule, {}),
        }
        for rule in Rule
    ]
    return render(request, "notifications/rules.html", {"lines": lines})


def _rule(rule):
    if rule not in Rule.values:
        raise Http404
    return services.rule_settings()[rule]


@login_required
@require_POST
def rule_edit(request, rule):
    _admin(request)
    setting = _rule(rule)
    form = RuleSettingForm(request.POST, instance=setting, prefix=rule)
    if form.is_valid():
        form.save()
        messages.success(request, _("“%(rule)s” is saved.") % {"rule": setting})
        return redirect("notifications:rules")
    return render(
        request, "notifications/rules.html", {"lines": [{"setting": setting, "form": form}]}
    )


@login_required
def rule_run_now(request, rule):
    """Run now, in two steps: the page says how many people the rule would notify (its finder,
    nothing sent); only the confirmed form (POST with `confirm`) runs it."""
    _admin(request)
    setting = _rule(rule)
    if not scheduled(rule):
        messages.error(request, _("“%(rule)s” is sent when its event happens.") % {"rule": setting})
        return redirect("notifications:rules")
    if request.method != "POST" or not request.POST.get("confirm"):
        reach = selectors.rule_reach(rule, setting=setting)
        return render(
            request,
            "notifications/rule_run.html",
            {"setting": setting, "reach": reach},
        )
    outbox.send(tasks.run_rule, rule, started_by=request.user.pk)
    messages.success(
        request, _("“%(rule)s” is running; its count appears here when done.") % {"rule": setting}
    )
    return redirect("notifications:rules")
