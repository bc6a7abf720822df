"""The landing page (`/`): a rep's Today, a DM's or regional manager's desk (an inbox and the
team's pulse), an admin's overview of the territories (an admin decides no plan of their own and
watches the company through the dashboards: a company-wide inbox would be the whole company's
queue). Thin: reads are in desk.selectors."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from core.text import clean_search
from customers.models import SEARCH_MAX_LENGTH
from org.models import Role
from reports.views import today as reports_today

from . import selectors


def is_manager(user):
    """Who gets the desk: district and regional managers (not admins)."""
    return user.role in (Role.DM, Role.REGIONAL) and not user.is_admin


@login_required
def home(request):
    user = request.user
    if user.is_rep:
        return reports_today.today(request)
    if not is_manager(user):
        return reports_today.overview(request)
    now = timezone.now()
    context = {"inbox": selectors.inbox(user, now=now), "today": timezone.localdate(now)}
    if user.role == Role.DM:
        context["pulse"] = selectors.district_pulse(user, today=context["today"])
        context["regional"] = False
    else:
        context["pulse"] = selectors.region_pulse(user, today=context["today"])
        context["regional"] = True
    return render(request, "desk/home.html", context)


@login_required
def coaching(request):
    """Every call of the coaching to do (the inbox lists the first few), newest first."""
    user = request.user
    if not is_manager(user):
        raise Http404
    page = Paginator(selectors.coaching_to_do(user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "desk/coaching.html",
        {
            "page": page,
            "days": selectors.COACHING_DAYS,
            "regional": user.role == Role.REGIONAL,
        },
    )


@login_required
def filter_choices(request, kind):
    """The desk tables' type-ahead filters (core.widgets.TypeaheadSelect): `{"results": [{"id",
    "label"}]}`, the territories, institutions or reps in the user's scope matching ?q=."""
    if kind not in selectors.CHOICE_KINDS:
        raise Http404
    q = clean_search(request.GET.get("q", ""))[:SEARCH_MAX_LENGTH].strip()
    results = selectors.filter_choices(request.user, kind, q) if q else []
    return JsonResponse({"results": results})
