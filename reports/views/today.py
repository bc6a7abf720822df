"""A rep's Today: who is next. Today's calls (calls), the commitments falling due (calls), the
targets still to visit this month and this week's PIMs against the requirements (reports).

It reads both calls and the compliance rules of reports, so it lives here, above calls; the
URLconf (config/urls.py) keeps its address `calls:today` and makes it a rep's home."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from calls import selectors as call_selectors
from calls.forms import CustomerSearchForm
from calls.services import can_log_calls
from core.periods import month_of
from customers.selectors import territory_customer_counts

from .. import figures, selectors
from ..models import TargetClass

# Targets shown per class before "show all".
FIRST_TARGETS = 5


def overview(request):
    """An admin's home (desk.views.home): the territories at a glance and a search to find a
    customer."""
    return render(
        request, "org/home.html", {"territories": territory_customer_counts(request.user)}
    )


def _state(done, required):
    if not required:
        return "plain"
    return "met" if done >= required else "unmet"


def _still_to_visit(territories, day, show):
    """[{klass, badge, customers (the first few, or all for `show`), count, all}] in class
    order (A, B, C, D, N1, N2, N3): the targets of `territories` short of their class's calls per
    month this month. One query, and one per territory."""
    period = month_of(day)
    tables = selectors.requirement_tables(t.team_id for t in territories)
    by_class = {}
    for territory in territories:
        rows = selectors.missing_visits(
            territory=territory,
            period=period,
            requirements=tables[territory.team_id],
            below_frequency=True,
        )
        for customer in rows:
            by_class.setdefault(customer.klass, {}).setdefault(customer.pk, customer)
    groups = []
    for klass in TargetClass.values:
        customers = list(by_class.get(klass, {}).values())
        if not customers:
            continue
        customers.sort(key=lambda c: (c.call_count, c.name, str(c.pk)))
        everything = klass == show
        groups.append(
            {
                "klass": klass,
                "badge": "N" if klass.startswith("N") else klass,
                "customers": customers if everything else customers[:FIRST_TARGETS],
                "count": len(customers),
                "all": everything or len(customers) <= FIRST_TARGETS,
            }
        )
    return groups


def _pims(territories, day):
    """This week's completed PIMs of each territory against its team's PIMs per week."""
    monday = day - timedelta(days=day.weekday())
    rows = []
    for territory in territories:
        done = figures.pims_this_week(territory=territory, today=day)
        required = territory.team.pims_per_week
        rows.append(
            {
                "territory": territory,
                "done": done,
                "required": required,
                "state": _state(done, required),
            }
        )
    return {"rows": rows, "monday": monday, "sunday": monday + timedelta(days=6)}


@login_required
def today(request):
    """Phone first, in the order a rep needs it: search, today's calls (logged ones ticked),
    commitments due, still to visit this month by class, this week's PIMs; then the last calls
    logged and the territory."""
    user = request.user
    day = timezone.localdate()
    territories = list(territory_customer_counts(user))
    held = [t for t in territories if t.rep_id == user.pk]  # a manager's Today judges no one
    show = request.GET.get("all")
    show = show if show in TargetClass.values else None
    calls = call_selectors.today_calls(user, day)
    return render(
        request,
        "calls/today.html",
        {
            "itinerary": calls["places"],
            "done": calls["done"],
            "total": calls["total"],
            "due": call_selectors.commitments_due(user, day),
            "still": _still_to_visit(held, day, show),
            "pims": _pims(held, day),
            "holds": bool(held),
            "day": day,
            "recent": call_selectors.recent_calls(user, limit=5),
            "search": CustomerSearchForm(),
            "territories": territories,
            "can_log": can_log_calls(user),
        },
    )
