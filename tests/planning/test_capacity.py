"""Capacity at plan approval (Veeva Align; DOMAIN "plan's capacity"): field days of the quarter ×
the team's call-rate target, the plan's planned calls ÷ capacity as utilisation next to the
approve button, warnings above 100 % and below the admin-set floor; the API's `capacity`.

The hand-computed example, quarter 2026-Q4 (1 October – 31 December 2026):
- 66 weekdays (Monday–Friday);
- holidays Thursday 1 and Friday 2 October: −2;
- make-up working day Saturday 10 October: +1;
- rep_x absent Monday 2 – Friday 6 November (training): −5; absent Saturday 7 – Sunday 8
  November: no working day, −0;
- field days = 66 − 2 + 1 − 5 = 60;
- the team's call-rate target: 5 calls per field day → capacity = 60 × 5 = 300 calls;
- focus customers planned at 20 and 30 calls per month → (20 + 30) × 3 months = 150 calls;
- utilisation = 150 ÷ 300 = 50 %: below the default floor of 60 %.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from org.models import Absence, CalendarDay
from planning import selectors, services
from planning.models import PlanEvent, PlanningSettings, PlanStatus
from tests.factories import CustomerFactory
from tests.planning.factories import make_plan
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

D = datetime.date
Q = "2026-Q4"
OVER = "Above capacity"
UNDER = "Below the floor"


@pytest.fixture
def cap(pw):
    CalendarDay.objects.create(date=D(2026, 10, 1), name="National Day")
    CalendarDay.objects.create(date=D(2026, 10, 2), name="National Day")
    CalendarDay.objects.create(date=D(2026, 10, 10), is_working_day=True, name="Make-up day")
    Absence.objects.create(
        rep=pw.rep_x, date_from=D(2026, 11, 2), date_to=D(2026, 11, 6), reason="training"
    )
    Absence.objects.create(
        rep=pw.rep_x, date_from=D(2026, 11, 7), date_to=D(2026, 11, 8), reason="leave"
    )
    Absence.objects.create(  # another rep's absence does not count
        rep=pw.mate_x, date_from=D(2026, 10, 12), date_to=D(2026, 10, 16), reason="leave"
    )
    pw.tx.team.call_rate_target = Decimal(5)
    pw.tx.team.save()
    pw.customers = [CustomerFactory(territory=pw.tx) for _ in range(6)]
    return pw


def plan_of(cap, *per_month, status=PlanStatus.SUBMITTED):
    return make_plan(
        cap.rep_x, cap.tx, quarter=Q, status=status, targets=list(zip(cap.customers, per_month))
    )


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_capacity_of_the_hand_computed_example(cap):
    plan = plan_of(cap, 20, 30)

    figures = selectors.plan_capacity(plan)

    assert figures["field_days"] == 60
    assert figures["call_rate_target"] == Decimal(5)
    assert figures["capacity"] == 300
    assert figures["planned_calls"] == 150
    assert figures["utilisation"] == 0.5
    assert (figures["over"], figures["under"], figures["floor"]) == (False, True, 0.6)


def test_the_dm_sees_the_figures_next_to_the_approve_button(cap, login):
    plan = plan_of(cap, 20, 30)

    page = login(cap.dm_x).get(reverse("planning:detail", args=[plan.pk]))

    html = page.content.decode()
    decision = html[html.index('class="card decide"') : html.index("</form>", html.index("decide"))]
    assert "Approve" in decision
    for figure_id, value in [
        ("cap-field-days", "60"),
        ("cap-target", "5 / day"),
        ("cap-capacity", "300"),
        ("cap-planned", "150"),
        ("cap-utilisation", "50 %"),
    ]:
        shown = re.search(rf'id="{figure_id}">(.*?)</dd>', decision, re.S).group(1)
        assert re.sub(r"<[^>]+>|\s+", " ", shown).split() == value.split(), figure_id
    assert UNDER in text(page) and OVER not in text(page)
    assert 'class="review-grid"' in html  # two columns at a desk


@pytest.mark.parametrize(
    ("per_month", "shown", "warning"),
    [
        ((31, 31, 31, 8), "101 %", OVER),  # 303 of 300
        ((31, 31, 31, 7), "100 %", None),  # 300 of 300
        ((30, 30), "60 %", None),  # 180: at the floor is not below it
        ((30, 29), "59 %", UNDER),  # 177
    ],
)
def test_warnings_above_capacity_and_below_the_floor(cap, login, per_month, shown, warning):
    plan = plan_of(cap, *per_month)

    page = text(login(cap.dm_x).get(reverse("planning:detail", args=[plan.pk])))

    assert f"Utilisation {shown}" in page
    for message in (OVER, UNDER):
        assert (message in page) == (message == warning)


def test_the_floor_is_the_admins(cap, login):
    plan = plan_of(cap, 20, 30)  # 50 %
    services.planning_settings_save(by=cap.admin, capacity_floor=40)

    page = text(login(cap.dm_x).get(reverse("planning:detail", args=[plan.pk])))

    assert UNDER not in page and "Utilisation 50 %" in page


def test_a_rep_sees_no_capacity_on_their_own_plan(cap, login):
    plan = plan_of(cap, 20, 30)
    page = text(login(cap.rep_x).get(reverse("planning:detail", args=[plan.pk])))
    assert "Utilisation" not in page


def test_the_api_answers_the_capacity_of_one_plan(cap, api):
    plan = plan_of(cap, 20, 30)
    client = api(cap.dm_x)

    one = client.get(f"/api/v1/plans/{plan.pk}/")

    assert one.status_code == 200
    assert one.json()["capacity"] == {
        "field_days": 60,
        "call_rate_target": 5.0,
        "capacity": 300.0,
        "planned_calls": 150,
        "utilisation": 0.5,
    }
    listed = client.get("/api/v1/plans/", {"quarter": Q}).json()["results"]
    assert [p["capacity"] for p in listed] == [None]


def test_the_plan_page_queries_are_flat_in_the_number_of_targets(cap, login):
    client = login(cap.dm_x)
    small = plan_of(cap, 1, 2)
    count_queries(client, reverse("planning:detail", args=[small.pk]))  # warm: session, settings
    few = count_queries(client, reverse("planning:detail", args=[small.pk]))
    small.delete()
    large = plan_of(cap, 1, 2, 3, 4, 5, 6)
    assert count_queries(client, reverse("planning:detail", args=[large.pk])) == few


# Returning without a comment: the error next to the field, nothing written.


def test_a_return_without_comment_shows_the_error_next_to_the_field(cap, login):
    plan = plan_of(cap, 20, 30)
    events = PlanEvent.objects.count()

    response = login(cap.dm_x).post(
        reverse("planning:transition", args=[plan.pk, "return"]), {"comment": "  "}
    )

    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('<div class="field invalid">') :]
    field = field[: field.index("</div>")]
    assert 'id="id_comment"' in field and "Say what the rep should change." in field
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED and plan.comment == ""
    assert PlanEvent.objects.count() == events
    assert "Utilisation 50 %" in text(response)  # the decision box is still complete


def test_a_too_long_comment_is_refused_next_to_the_field(cap, login):
    plan = plan_of(cap, 20, 30)
    response = login(cap.dm_x).post(
        reverse("planning:transition", args=[plan.pk, "approve"]), {"comment": "x" * 2001}
    )
    assert response.status_code == 400
    assert '<div class="field invalid">' in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED and not plan.versions.exists()


def test_returning_another_districts_plan_is_404(cap, login):
    plan = plan_of(cap, 20, 30)
    response = login(cap.dm_y).post(
        reverse("planning:transition", args=[plan.pk, "return"]), {"comment": "no"}
    )
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


# The planning settings page.


def test_the_admin_sets_the_floor_and_sees_its_history(cap, login):
    client = login(cap.admin)
    url = reverse("planning:settings")
    assert url == "/plans/settings/"

    response = client.post(url, {"capacity_floor": "75"})

    assert response.status_code == 302
    assert PlanningSettings.load().capacity_floor == 75
    page = text(client.get(url))
    assert "60 % → 75 %" in page and str(cap.admin) in page


@pytest.mark.parametrize("value", ["101", "-1", "abc", "", "12.5"])
def test_a_floor_out_of_range_is_refused_and_nothing_is_written(cap, login, value):
    client = login(cap.admin)
    PlanningSettings.load()
    history = PlanningSettings.history.count()

    response = client.post(reverse("planning:settings"), {"capacity_floor": value})

    assert response.status_code == 400
    html = response.content.decode()
    assert '<div class="field invalid">' in html
    assert PlanningSettings.load().capacity_floor == 60
    assert PlanningSettings.history.count() == history


def test_the_floor_error_and_the_warning_are_translated(cap, login):
    cap.admin.language = "zh-hans"
    cap.admin.save()
    client = login(cap.admin)

    response = client.post(reverse("planning:settings"), {"capacity_floor": "200"})

    assert response.status_code == 400
    assert "容量下限是 0 到 100 之间的百分比。" in response.content.decode()
    plan = plan_of(cap, 20, 30)
    page = text(client.get(reverse("planning:detail", args=[plan.pk])))
    assert "低于下限" in page and "利用率 50 %" in page


@pytest.mark.parametrize("persona", ["dm_x", "rep_x", "regional"])
def test_only_admins_open_the_settings(cap, login, persona):
    client = login(getattr(cap, persona))
    assert client.get(reverse("planning:settings")).status_code == 403
    assert client.post(reverse("planning:settings"), {"capacity_floor": "10"}).status_code == 403
    assert PlanningSettings.load().capacity_floor == 60


def test_the_service_refuses_out_of_range_and_non_admins(cap):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.planning_settings_save(by=cap.admin, capacity_floor=101)
    with pytest.raises(PermissionDenied):
        services.planning_settings_save(by=cap.dm_x, capacity_floor=10)
    assert PlanningSettings.load().capacity_floor == 60


def test_a_floor_saved_from_an_old_page_is_refused_and_nothing_is_lost(cap, login):
    client = login(cap.admin)
    url = reverse("planning:settings")
    read = client.get(url).context["form"].initial["version"]
    services.planning_settings_save(by=cap.admin, capacity_floor=40)  # another admin, meanwhile

    response = client.post(url, {"capacity_floor": "75", "version": read})

    assert response.status_code == 400
    assert "changed the planning settings meanwhile" in text(response)
    assert PlanningSettings.load().capacity_floor == 40
