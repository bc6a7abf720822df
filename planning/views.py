"""Plan pages: the rep's plans and the DM's inbox, a plan with adherence, diff and versions, its
form, the transitions, the weekly itinerary and joint-call proposals. Thin: rules are in
planning.services, reads in planning.selectors."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from calls.models import Call
from core.concurrency import Conflict, Stale
from core.dates import parse_date, week_start
from core.exports import requested_format, table_export
from core.history import record_changes
from core.net import safe_next
from core.periods import month_of, parse, quarter_of
from core.tables import configure
from customers.models import Alignment, Customer
from customers.selectors import with_territory_klass

from . import selectors, services
from .filters import PlanFilter
from .forms import (
    CommentForm,
    PlanningSettingsForm,
    PlanTextForm,
    month_from_post,
    targets_from_post,
)
from .models import JointCallProposal, Plan, PlanningSettings, PlanStatus
from .tables import PlanTable


def _error_text(error):
    if hasattr(error, "message_dict"):
        return " ".join(m for messages_ in error.message_dict.values() for m in messages_)
    return " ".join(error.messages)


@login_required
def plan_list(request):
    """A rep: this quarter's plan (or start it), earlier plans, colleagues' approved plans.
    A manager: the inbox of plans awaiting approval and the quarter's plans with adherence."""
    user = request.user
    today = timezone.localdate()
    if user.is_rep:
        mine = list(selectors.plan_list(user).filter(rep=user).order_by("-quarter"))
        by_quarter = {p.quarter: p for p in mine}
        return render(
            request,
            "planning/rep_list.html",
            {
                "quarters": [(q, by_quarter.get(q)) for q in selectors.quarter_choices(today)],
                "earlier": [p for p in mine if p.quarter < quarter_of(today).key],
                "colleagues": list(selectors.colleague_plans(user)[:50]),
                "proposals": list(selectors.proposals_for(user)),
            },
        )
    return _plan_desk(request, today)


INBOX_SHOWN = 50


def _plan_desk(request, today):
    """Managers: the inbox of plans awaiting approval and the plans table — sort and filters
    (quarter, default this one; status; rep) in the URL, CSV/XLSX export of what is shown."""
    user = request.user
    data = request.GET.copy()
    if "quarter" not in data:
        data["quarter"] = quarter_of(today).key
    quarters = sorted({*selectors.plan_quarters(user), quarter_of(today).key}, reverse=True)
    plan_filter = PlanFilter(
        data, queryset=selectors.plan_desk(user), request=request, quarters=quarters
    )
    rows = plan_filter.qs
    if not request.GET.get("sort"):
        rows = rows.order_by("territory__district__code", "territory__code", "-quarter")
    quarter = plan_filter.form.cleaned_data.get("quarter") if plan_filter.is_valid() else None
    table = PlanTable(rows, request=request)
    if requested_format(request):
        if quarter:
            table.totals = selectors.team_adherence(rows, quarter, today)
        return table_export(request, table, "plans", form=plan_filter.form)
    configure(request, table)
    if quarter:  # the adherence of the plans shown, not of every plan of the quarter
        shown = [row.record.pk for row in table.paginated_rows]
        table.totals = selectors.team_adherence(shown, quarter, today)
    # The oldest INBOX_SHOWN waiting plans (an admin's inbox is the company's: thousands);
    # the table below lists them all (status "submitted").
    inbox = list(selectors.inbox(user)[: INBOX_SHOWN + 1])
    return render(
        request,
        "planning/manager_list.html",
        {
            "inbox": inbox[:INBOX_SHOWN],
            "inbox_more": len(inbox) > INBOX_SHOWN,
            "filter": plan_filter,
            "table": table,
        },
    )


@login_required
@require_POST
def plan_new(request):
    quarter = request.POST.get("quarter") or quarter_of(timezone.localdate()).key
    try:
        plan = services.plan_create(by=request.user, quarter=quarter)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("planning:list")
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("planning:list")
    messages.success(request, _("Plan started: choose your focus customers and goals."))
    return redirect("planning:edit", pk=plan.pk)


def _detail(request, plan, comment_form=None, status=200):
    """The plan page; for a manager deciding a submitted plan, the review in two columns with
    the decision box (and the plan's capacity) beside it. `comment_form`: the decision posted
    with errors, shown next to its field (status 400)."""
    user = request.user
    rows = selectors.target_rows(plan)
    version, changes = selectors.diff_to_last_approved(plan)
    owner = plan.rep_id == user.pk
    can_decide = plan.status == PlanStatus.SUBMITTED and services.can_decide(user, plan)
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "rows": rows,
            "summary": selectors.summarise(rows),
            "calls_made": owner or selectors.shows_calls_made(plan),
            "review": selectors.review(plan) if owner or not user.is_rep else None,
            "version": version,
            "changes": changes if plan.status != PlanStatus.APPROVED else None,
            "owner": owner,
            "can_decide": can_decide,
            "capacity": selectors.plan_capacity(plan, rows) if can_decide else None,
            "returned": selectors.latest_return(plan)
            if plan.status == PlanStatus.RETURNED
            else None,
            "comment_form": comment_form or CommentForm(),
            "this_month": month_of(timezone.localdate()).key,
        },
        status=status,
    )


@login_required
def plan_detail(request, pk):
    return _detail(request, selectors.plan_get(request.user, pk))


@login_required
def plan_history(request, pk):
    """Who changed the plan, when, through what, from which value to which (404 out of scope,
    as the plan's page)."""
    plan = selectors.plan_get(request.user, pk)
    return render(
        request,
        "history_page.html",
        {
            "record": str(plan),
            "back": reverse("planning:detail", args=[plan.pk]),
            "changes": record_changes(Plan, plan.pk),
        },
    )


@login_required
def plan_version(request, pk, number):
    plan = selectors.plan_get(request.user, pk)
    version = next((v for v in plan.versions.all() if v.number == number), None)
    if version is None:
        raise Http404
    return render(request, "planning/plan_version.html", {"plan": plan, "version": version})


@login_required
def plan_edit(request, pk):
    """The rep's plan form: texts, focus customers (change, remove, add), this month's update."""
    user = request.user
    plan = selectors.plan_get(user, pk)
    if plan.rep_id != user.pk:
        raise PermissionDenied
    if not plan.is_editable:
        messages.error(request, _("An approved or submitted plan is read-only."))
        return redirect("planning:detail", pk=plan.pk)
    today = timezone.localdate()
    period = parse(plan.quarter, "quarter")
    day = max(period.start, min(today, period.end))
    month_key = month_of(day).key
    month = next((m for m in plan.months.all() if m.month == month_key), None)
    initial = {
        "review": plan.review,
        "goals": plan.goals,
        "key_result_areas": plan.key_result_areas,
        "meetings": month.meetings if month else "",
        "version": plan.version,
    }
    form = PlanTextForm(request.POST or None, initial=initial)
    aligned = Alignment.objects.in_force_on(day).filter(territory=plan.territory)
    candidates = list(
        with_territory_klass(
            Customer.objects.filter(pk__in=aligned.values("customer")).select_related(
                "institution", "department"
            ),
            plan.territory,
            period.start,
        ).order_by("klass", "institution__name", "name")
    )
    targets = {t.customer_id for t in plan.targets.all()}
    if request.method == "POST" and form.is_valid():
        by_id = {str(c.pk): c for c in candidates}
        try:
            targets_now = targets_from_post(request.POST, plan, by_id)
            services.plan_update(
                by=user,
                plan=plan,
                targets=targets_now,
                months=[month_from_post(request.POST, by_id, day)],
                review=form.cleaned_data["review"],
                goals=form.cleaned_data["goals"],
                key_result_areas=form.cleaned_data["key_result_areas"],
                expected_version=form.cleaned_data["version"],
            )
        except Stale:
            messages.error(
                request,
                _(
                    "Someone else saved this plan while you were editing it; nothing of yours "
                    "was saved. Here it is as saved now: make your change again."
                ),
            )
            return redirect("planning:edit", pk=plan.pk)
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("planning:detail", pk=plan.pk)
        else:
            if request.POST.get("then") == "submit":
                return plan_transition(request, pk=plan.pk, action="submit")
            messages.success(request, _("Plan saved."))
            return redirect("planning:detail", pk=plan.pk)
    rows = selectors.target_rows(plan)
    focus = {c.pk for c in month.focus.all()} if month else set()
    return render(
        request,
        "planning/plan_form.html",
        {
            "plan": plan,
            "form": form,
            "rows": rows,
            "focus": focus,
            "month": month_key,
            "candidates": [c for c in candidates if c.pk not in targets],
            "returned": selectors.latest_return(plan)
            if plan.status == PlanStatus.RETURNED
            else None,
        },
    )


TRANSITIONS = {
    "submit": (
        services.plan_submit,
        False,
        gettext_lazy("Plan submitted to your district manager."),
    ),
    "approve": (services.plan_approve, True, gettext_lazy("Plan approved. The rep will be told.")),
    "return": (
        services.plan_return,
        True,
        gettext_lazy("Plan returned to the rep with your comment."),
    ),
    "revise": (
        services.plan_revise,
        False,
        gettext_lazy("Revision started: change the plan and submit it."),
    ),
}


@login_required
@require_POST
def plan_transition(request, pk, action):
    if action not in TRANSITIONS:
        raise Http404
    plan = selectors.plan_get(request.user, pk)
    run, with_comment, done = TRANSITIONS[action]
    kwargs = {"by": request.user, "plan": plan}
    form = None
    if with_comment:
        form = CommentForm(request.POST)
        if not form.is_valid():  # e.g. too long: shown next to the field, nothing written
            return _detail(request, plan, comment_form=form, status=400)
        kwargs["comment"] = form.cleaned_data["comment"]
    try:
        run(**kwargs)
    except ValidationError as error:
        errors = getattr(error, "message_dict", {})
        if form is not None and "comment" in errors:
            form.add_error("comment", errors["comment"])
            return _detail(request, plan, comment_form=form, status=400)
        messages.error(request, _error_text(error))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(done))
        if action == "revise":
            return redirect("planning:edit", pk=plan.pk)
        if action in ("approve", "return"):
            return redirect("planning:list")
    return redirect("planning:detail", pk=plan.pk)


# --- the planning settings (admins) ---------------------------------------------------------


@login_required
def planning_settings(request):
    """The capacity floor a plan's approval warns below, and its history (who, when, old →
    new). Admins only (403 for others)."""
    if not request.user.is_admin:
        raise PermissionDenied
    current = PlanningSettings.load()
    form = PlanningSettingsForm(
        request.POST or None,
        initial={"capacity_floor": current.capacity_floor, "version": current.version},
    )
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.planning_settings_save(
                by=request.user,
                capacity_floor=form.cleaned_data["capacity_floor"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except Stale as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Planning settings saved."))
            return redirect("planning:settings")
    return render(
        request,
        "planning/settings.html",
        {"form": form, "changes": selectors.planning_settings_changes()},
        status=status,
    )


# --- the weekly itinerary -------------------------------------------------------------------


def _monday(request):
    day = week_start(request)
    return day - dt.timedelta(days=day.weekday())


@login_required
def week(request):
    """Phone first: the rep's week day by day, adding focus customers to a day in a few taps;
    colleagues' planned visits of the district, with "join" proposals."""
    user = request.user
    if not services.can_plan(user):
        raise PermissionDenied
    monday = _monday(request)
    today = timezone.localdate()
    if request.method == "POST":
        day = parse_date(request.POST.get("day"))
        try:
            if day is None:
                raise ValidationError({"date": _("Choose a day.")})
            customers = services.customers_by_ids(by=user, ids=request.POST.getlist("customers"))
            calls = services.itinerary_add(by=user, day=day, customers=customers)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("%(n)s visit(s) planned for %(day)s.") % {"n": len(calls), "day": day},
            )
        return redirect(f"{request.path}?start={monday.isoformat()}")
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    return render(
        request,
        "planning/week.html",
        {
            "days": selectors.week_itinerary(user, monday),
            "colleagues": [(d, c) for d, c in selectors.colleague_week(user, monday) if c],
            "suggestions": selectors.suggestions(user, max(today, monday)),
            "choices": [
                d for d in days if d >= today and (d.weekday() < 5 or today.weekday() >= 5)
            ],
            "default_day": max(today, monday) if max(today, monday) in days else None,
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "today": today,
            "proposals": list(selectors.proposals_for(user)),
        },
    )


def _to_week(day):
    monday = day - dt.timedelta(days=day.weekday())
    return redirect(f"{reverse('planning:week')}?start={monday.isoformat()}")


@login_required
@require_POST
def week_remove(request, pk):
    call = get_object_or_404(Call.objects.for_user(request.user), pk=pk)
    try:
        services.itinerary_remove(by=request.user, call=call)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Visit taken off the itinerary."))
    return _to_week(call.date)


@login_required
@require_POST
def joint_propose(request, pk):
    call = get_object_or_404(selectors.shared_calls(request.user), pk=pk)
    try:
        services.joint_call_propose(by=request.user, call=call, note=request.POST.get("note", ""))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Joint call proposed to %(name)s.") % {"name": call.rep})
    return _to_week(call.date)


@login_required
@require_POST
def joint_decide(request, pk):
    proposal = get_object_or_404(JointCallProposal, pk=pk, call__rep=request.user)
    accept = request.POST.get("decision") == "accept"
    try:
        services.joint_call_decide(by=request.user, proposal=proposal, accept=accept)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Joint call accepted.") if accept else _("Joint call declined.")
        )
    return redirect(safe_next(request, "planning:week"))
