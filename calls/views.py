"""Pages of call logging: the call form, list and week, detail with its audit trail, amendments,
coaching, recent feedback and a customer's call history. Thin: the rules are in calls.services,
the reads in calls.selectors. (Today, which also reads the compliance rules, is
reports.views.today.)"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.concurrency import Conflict, Stale
from core.dates import week_start
from core.exports import requested_format, table_export
from core.history import record_changes
from core.ids import uuid_or_404
from core.tables import configure
from core.text import clean_search, forbidden_message
from customers import selectors as customer_selectors
from customers.models import SEARCH_MAX_LENGTH
from customers.selectors import SEARCH_LIMIT
from customers.services import can_edit_customers

from . import selectors, services
from .filters import CallFilter, DeskCallFilter
from .forms import CallForm, CommentForm, CustomerSearchForm, DecisionForm, DeleteForm
from .models import Amendment, AmendmentStatus, Call, CallSettings, CallStatus, desk_order
from .tables import CallTable


def _page(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


DESK_DAYS = 30  # the managers' calls table opens on the last 30 days up to today


def _desk_params(request):
    """The table's GET parameters; without any date bound, the recent past (last DESK_DAYS
    days up to today), not the future. A bound given empty stays empty (all dates)."""
    data = request.GET.copy()
    if "date_from" not in data and "date_to" not in data:
        today = timezone.localdate()
        data["date_from"] = (today - dt.timedelta(days=DESK_DAYS)).isoformat()
        data["date_to"] = today.isoformat()
    return data


def _call_desk(request):
    """Managers: the calls table — columns, sort and filters in the URL, CSV/XLSX export of
    what is shown (all pages). Completed calls first, then the most recent, until sorted."""
    call_filter = DeskCallFilter(
        _desk_params(request), queryset=selectors.call_desk(request.user), request=request
    )
    rows = call_filter.qs
    if not request.GET.get("sort"):
        rows = rows.order_by(*desk_order())
    table = CallTable(rows, request=request)
    if requested_format(request):
        return table_export(request, table, "calls", form=call_filter.form)
    configure(request, table)
    return render(
        request,
        "calls/call_desk.html",
        {"filter": call_filter, "table": table, "can_log": services.can_log_calls(request.user)},
    )


@login_required
def call_list(request):
    """A rep: the phone list of their calls. A manager: the desk table (_call_desk)."""
    if not request.user.is_rep:
        return _call_desk(request)
    call_filter = CallFilter(
        request.GET, queryset=selectors.call_list(request.user), request=request
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "calls/call_list.html",
        {
            "filter": call_filter,
            "page": _page(request, call_filter.qs),
            "query": query.urlencode(),
            "can_log": services.can_log_calls(request.user),
            "not_rep": not request.user.is_rep,
        },
    )


@login_required
def call_week(request):
    """The week's calls day by day (Monday to Sunday); filters as on the list."""
    day = week_start(request)
    monday = day - dt.timedelta(days=day.weekday())
    call_filter = CallFilter(
        request.GET, queryset=selectors.call_list(request.user), request=request
    )
    call_filter.is_valid()
    days = selectors.week(request.user, monday, filters=lambda qs: call_filter.filter_queryset(qs))
    query = request.GET.copy()
    query.pop("start", None)
    return render(
        request,
        "calls/call_week.html",
        {
            "days": days,
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "today": timezone.localdate(),
            "filter": call_filter,
            "query": query.urlencode(),
        },
    )


def _form_for(request, *, territory, institution, mode, call=None, customer=None):
    return CallForm(
        request.POST or None,
        attendees=selectors.attendee_choices(territory, institution),
        products=selectors.team_products(territory) if mode != "plan" else [],
        materials=selectors.team_materials(territory) if mode != "plan" else [],
        co_visitors=selectors.co_visitor_choices(territory),
        mode=mode,
        call=call,
        customer=customer,
        call_settings=CallSettings.load(),
    )


def _error_fields(form, field):
    """The form fields a service error of `field` belongs next to: itself, or for `materials`
    the material fields filled in (samples first, for the sample allowance)."""
    if field in form.fields:
        return [field]
    if field == "materials":
        filled = [
            (row["material"].is_sample, row["field"].name)
            for row in form.material_rows()
            if form.cleaned_data.get(row["field"].name)
        ]
        samples = [name for is_sample, name in filled if is_sample]
        return samples[:1] or [name for _sample, name in filled][:1] or [None]
    return [None]


def _run(form, action):
    """Run a service with the form's data; its errors go back onto the form, next to their
    fields."""
    try:
        return action(form.service_kwargs())
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            for name in _error_fields(form, field):
                form.add_error(name, errors)
    return None


def _found(request):
    """What the customer search shows for ?q= (customer_search_results.html's context)."""
    q = clean_search(request.GET.get("q")).strip()[:SEARCH_MAX_LENGTH]
    found = customer_selectors.customer_search(request.user, q, limit=SEARCH_LIMIT + 1)
    return {
        "q": q,
        "found": found[:SEARCH_LIMIT],
        "more": len(found) > SEARCH_LIMIT,
        "can_log": services.can_log_calls(request.user),
        "can_create": can_edit_customers(request.user),
    }


@login_required
def customer_search(request):
    """Type-ahead: the user's customers matching ?q= (hanzi, English, pinyin, initials) as an
    HTML fragment, at most SEARCH_LIMIT, each with its class and the Log and Plan buttons."""
    return render(request, "includes/customer_search_results.html", _found(request))


@login_required
def call_new(request):
    """Log (or with ?plan=1 plan) a call with ?customer=<id>; without one, find the customer."""
    if not services.can_log_calls(request.user):
        raise PermissionDenied
    customer_id = request.GET.get("customer")
    search = CustomerSearchForm(request.GET or None)
    if not customer_id:
        return render(request, "calls/customer_pick.html", {"search": search, **_found(request)})
    customer = customer_selectors.customer_get(request.user, uuid_or_404(customer_id))
    territory = selectors.logging_territory(request.user, customer)
    if territory is None:  # not a customer of one of the user's territories
        raise Http404
    mode = "plan" if request.GET.get("plan") else "log"
    form = _form_for(
        request, territory=territory, institution=customer.institution, mode=mode, customer=customer
    )
    if request.method == "POST" and form.is_valid():

        def create(kwargs):
            if mode == "plan":
                kwargs["status"] = CallStatus.PLANNED
            return services.call_create(by=request.user, territory=territory, **kwargs)

        call = _run(form, create)
        if call is not None:
            messages.success(request, _("Call planned.") if mode == "plan" else _("Call logged."))
            if mode == "log" and request.user.is_rep:
                return redirect("calls:today")
            return redirect("calls:detail", pk=call.pk)
    return render(
        request,
        "calls/call_form.html",
        {
            "form": form,
            "customer": customer,
            "institution": customer.institution,
            "territory": territory,
            "mode": mode,
            "group": bool(request.GET.get("group")),
        },
    )


@login_required
def call_history(request, pk):
    """Who changed the call, when, through what, from which value to which (404 out of scope,
    as the call's page)."""
    call = selectors.call_get(request.user, pk)
    return render(
        request,
        "history_page.html",
        {
            "record": f"{_('Call')} {call.date:%Y-%m-%d} · {call.institution}",
            "back": reverse("calls:detail", args=[call.pk]),
            "changes": record_changes(Call, call.pk),
        },
    )


@login_required
def call_detail(request, pk):
    call = selectors.call_get(request.user, pk)
    call_settings = CallSettings.load()
    user = request.user
    pending = next((a for a in call.amendments.all() if a.status == "pending"), None)
    return render(
        request,
        "calls/call_detail.html",
        {
            "call": call,
            "locked": call.is_locked(call_settings),
            "locks_at": call.locks_at(call_settings),
            "can_edit": services.can_log_calls(user) and call.status != CallStatus.CANCELLED,
            "can_coach": services.can_coach(user),
            "can_decide": pending is not None and services.can_decide_amendments(user, call),
            "pending": pending,
            "comment_form": CommentForm(),
            "trail": selectors.audit_trail(call),
        },
    )


STALE_FORM = gettext_lazy(
    "Someone else saved this call while you were editing it; nothing of yours was saved. "
    "Here it is as saved now: make your change again."
)


def _conflict(request, error, call):
    messages.error(request, error.message)
    return redirect("calls:detail", pk=call.pk)


def _edit(request, pk, mode):
    if not services.can_log_calls(request.user):
        raise PermissionDenied
    call = selectors.call_get(request.user, pk)
    if mode == "edit" and call.status == CallStatus.PLANNED:
        mode = "plan"
    if mode in ("edit", "log") and call.is_locked():
        messages.info(request, _("This call is locked. Request an amendment instead."))
        return redirect("calls:amend", pk=call.pk)
    if call.status == CallStatus.CANCELLED or (mode == "log" and call.status != "planned"):
        messages.error(request, _("This call cannot be changed."))
        return redirect("calls:detail", pk=call.pk)
    form = _form_for(
        request,
        territory=call.territory,
        institution=call.institution,
        mode="log" if mode == "edit" else mode,
        call=call,
    )
    if request.method == "POST" and form.is_valid():
        read = form.cleaned_data.get("version")  # the version this form was read at
        actions = {
            "edit": lambda kw: services.call_update(
                by=request.user, call=call, expected_version=read, **kw
            ),
            "plan": lambda kw: services.call_update(
                by=request.user, call=call, expected_version=read, **kw
            ),
            "log": lambda kw: services.call_complete(
                by=request.user, call=call, expected_version=read, **kw
            ),
            "amend": lambda kw: services.amendment_request(
                by=request.user, call=call, reason=form.cleaned_data["reason"], **kw
            ),
        }
        try:
            result = _run(form, actions[mode])
        except Conflict as error:
            return _conflict(request, error, call)
        except Stale:
            messages.error(request, STALE_FORM)
            return redirect(request.path)  # the form again, with the call as saved now
        if result is not None:
            done = {
                "edit": _("Changes saved."),
                "plan": _("Changes saved."),
                "log": _("Call logged."),
                "amend": _("Amendment requested: your DM will approve or reject it."),
            }
            messages.success(request, done[mode])
            if mode == "log":
                return redirect("calls:today")
            return redirect("calls:detail", pk=call.pk)
    return render(
        request,
        "calls/call_form.html",
        {
            "form": form,
            "call": call,
            "institution": call.institution,
            "territory": call.territory,
            "mode": mode,
        },
    )


@login_required
def call_edit(request, pk):
    return _edit(request, pk, "edit")


@login_required
def call_log(request, pk):
    """Log a planned call: the form opens with the plan; saving completes it."""
    return _edit(request, pk, "log")


@login_required
def call_amend(request, pk):
    return _edit(request, pk, "amend")


@login_required
@require_POST
def call_cancel(request, pk):
    call = selectors.call_get(request.user, pk)
    try:
        services.call_cancel(by=request.user, call=call)
    except Conflict as error:
        return _conflict(request, error, call)
    messages.success(request, _("Call cancelled."))
    return redirect("calls:detail", pk=call.pk)


@login_required
def call_delete(request, pk):
    """Delete a planned call the rep will not make: a confirmation page (GET), then the delete
    (POST), checked against the version the page was read at (calls.services.call_delete)."""
    if not services.can_log_calls(request.user):
        raise PermissionDenied
    call = selectors.call_get(request.user, pk)
    form = DeleteForm(request.POST or None, initial={"version": call.version})
    if call.status != CallStatus.PLANNED:
        messages.error(request, _("Only a planned call can be deleted."))
        return redirect("calls:detail", pk=call.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.call_delete(
                by=request.user, call=call, expected_version=form.cleaned_data["version"]
            )
        except Conflict as error:
            return _conflict(request, error, call)
        except Stale:
            messages.error(request, STALE_DELETE)
            return redirect("calls:detail", pk=call.pk)
        messages.success(request, _("Planned call deleted."))
        return redirect("calls:list")
    return render(request, "calls/call_delete.html", {"call": call, "form": form})


STALE_DELETE = gettext_lazy(
    "Someone else changed this call since you opened it; nothing was deleted. "
    "Here it is as saved now."
)


@login_required
@require_POST
def call_comment(request, pk):
    call = selectors.call_get(request.user, pk)
    form = CommentForm(request.POST)
    try:
        if form.is_valid():
            services.coaching_comment_create(
                by=request.user, call=call, text=form.cleaned_data["text"]
            )
            messages.success(request, _("Comment added."))
        elif form.has_error("text", "null_characters_not_allowed"):
            messages.error(request, forbidden_message())
        else:
            messages.error(request, _("Write a comment."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("calls:detail", pk=call.pk)


@login_required
@require_POST
def amendment_decide(request, pk):
    amendment = get_object_or_404(Amendment.objects.for_user(request.user), pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    try:
        if request.POST.get("decision") == "approve":
            services.amendment_approve(by=request.user, amendment=amendment, comment=comment)
            messages.success(request, _("Amendment approved: the call is corrected."))
        else:
            services.amendment_reject(by=request.user, amendment=amendment, comment=comment)
            messages.success(request, _("Amendment rejected."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except Conflict as error:
        messages.error(request, error.message)
    return redirect("calls:detail", pk=amendment.call_id)


def _decision_errors(form, error):
    """A service's ValidationError on the decision form: the comment's next to its field, the
    others (the proposal no longer fits the call's rules) above the form."""
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, texts in errors.items():
        for text in texts:
            form.add_error("comment" if field == "comment" else None, text)


@login_required
def amendment_detail(request, pk):
    """The review of an amendment: the call, the rep's reason, the change field by field
    (before → after, kept after the decision), and approve / reject with a comment for the DM
    or an admin (read-only for the others in scope; 404 out of scope)."""
    amendment = selectors.amendment_get(request.user, pk)
    call = amendment.call
    may_decide = services.can_decide_amendments(request.user, call)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        decision = request.POST.get("decision")
        if decision not in ("approve", "reject"):
            form.add_error(None, _("Choose approve or reject."))
        elif form.is_valid():
            comment = form.cleaned_data.get("comment", "")
            decide = (
                services.amendment_approve if decision == "approve" else services.amendment_reject
            )
            try:
                decide(by=request.user, amendment=amendment, comment=comment)
            except ValidationError as error:
                _decision_errors(form, error)
            except Conflict as error:
                messages.error(request, error.message)
                return redirect("calls:amendment", pk=amendment.pk)
            else:
                done = {
                    "approve": _("Amendment approved: the call is corrected."),
                    "reject": _("Amendment rejected."),
                }
                messages.success(request, done[decision])
                return redirect("calls:amendment", pk=amendment.pk)
    return render(
        request,
        "calls/amendment.html",
        {
            "amendment": amendment,
            "call": call,
            "diff": selectors.amendment_diff(amendment),
            "can_decide": may_decide and amendment.status == AmendmentStatus.PENDING,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def feedback(request):
    """Recent coaching on the rep's calls; amendment requests waiting for a DM."""
    return render(
        request,
        "calls/feedback.html",
        {
            "comments": selectors.recent_feedback(request.user),
            "amendments": list(selectors.amendments_to_decide(request.user)),
        },
    )


@login_required
def customer_history(request, pk):
    """A customer's calls: what was discussed and committed (404 out of scope)."""
    customer = customer_selectors.customer_get(request.user, pk)
    calls = selectors.customer_calls(request.user, customer)
    return render(
        request,
        "calls/customer_history.html",
        {"customer": customer, "page": _page(request, calls)},
    )
