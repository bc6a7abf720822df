"""The customer profile answers "what happened with this doctor": this month's calls against the
class requirement, the next planned call, the last calls inline and the plans naming the
customer — in Chinese and English, in scope, in a number of queries that does not grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import AdoptionStage, CallProduct, CallStatus, Channel
from customers.models import ClassHistory
from planning.models import PlanStatus, PlanTarget
from tests.calls.factories import KeyMessageFactory, make_call
from tests.factories import ProductFactory, TeamFactory, TerritoryFactory, UserFactory, classify
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def pf(world):
    """cx is class A for px (tx's team); one completed call this month with a key message,
    feedback, an adoption stage, commitments and a next objective."""
    px = ProductFactory(name="安可维 Oncovia", code="ONC-1")
    world.tx.team.products.add(px)
    classify(world.cx, px, "A")
    km = KeyMessageFactory(product=px, text="Longer progression-free survival")
    today = timezone.localdate()
    call = make_call(
        world.tx,
        [world.cx],
        date=today,
        channel=Channel.FACE_TO_FACE,
        products=[(px, [km], "Wants the subgroup data")],
        commitment_measurable="Try on 3 suitable patients",
        commitment_next_appointment="Thursday after the clinic",
        next_objective="Bring the subgroup analysis",
    )
    CallProduct.objects.filter(call=call).update(adoption_stage=AdoptionStage.TRIAL)
    world.px, world.km, world.call, world.today = px, km, call, today
    return world


def page(client, customer, **headers):
    response = client.get(reverse("customers:detail", args=[customer.pk]), **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_profile_shows_the_last_call_with_what_was_discussed_and_committed(pf, login):
    html = page(login(pf.rep_x), pf.cx)

    assert reverse("calls:detail", args=[pf.call.pk]) in html
    assert pf.today.strftime("%Y-%m-%d") in html
    for text in (
        "Face to face",
        "安可维 Oncovia",
        "Longer progression-free survival",
        "Wants the subgroup data",
        "Trial",
        "Try on 3 suitable patients",
        "Thursday after the clinic",
        "Bring the subgroup analysis",
    ):
        assert text in html, text
    assert reverse("calls:customer_history", args=[pf.cx.pk]) in html
    assert "Full call history" in html


def test_the_profile_shows_only_the_last_five_completed_calls(pf, login):
    for i in range(6):
        make_call(pf.tx, [pf.cx], date=pf.today, objective=f"older objective {i}")
    make_call(pf.tx, [pf.cx], date=pf.today, status=CallStatus.CANCELLED, objective="cancelled")

    html = page(login(pf.rep_x), pf.cx)

    assert html.count('<li class="card">') == 5
    assert "Last 5 calls" in html
    assert "cancelled" not in html


def test_this_months_calls_against_the_class_requirement(pf, login):
    client = login(pf.rep_x)

    html = page(client, pf.cx)
    assert "Calls this month" in html
    assert '<strong class="pf-count pf-short">1 / 4</strong>' in html
    assert "not met" in html

    for _ in range(3):
        make_call(pf.tx, [pf.cx], date=pf.today)
    make_call(pf.tx, [pf.cx], date=pf.today, status=CallStatus.PLANNED)  # never counts
    html = page(client, pf.cx)
    assert '<strong class="pf-count pf-met">4 / 4</strong>' in html
    assert "✓ met" in html


def test_the_class_of_the_month_is_the_class_on_its_first_day(pf, login):
    if pf.today.day == 1:  # today is the first day: no class can change after it yet
        pytest.skip("needs a day of the month after its first")
    # cx became D today: this month is still judged as A (4 calls required).
    ClassHistory.objects.filter(customer=pf.cx).update(valid_to=pf.today - datetime.timedelta(1))
    ClassHistory.objects.create(
        customer=pf.cx, product=pf.px, klass="D", source="computed", valid_from=pf.today,
        cause="measures",
    )  # fmt: skip

    html = page(login(pf.rep_x), pf.cx)

    assert "1 / 4" in html


def test_a_class_without_a_frequency_requirement_shows_a_dash(world, login):
    px = ProductFactory()
    world.tx.team.products.add(px)
    classify(world.cx, px, "D")

    html = page(login(world.rep_x), world.cx)

    assert '<span class="pf-req">/ —</span>' in html
    assert "as needed" in html
    assert "pf-short" not in html and "pf-met" not in html


def test_no_planned_call_offers_to_plan_one_and_to_log_one(pf, login):
    html = page(login(pf.rep_x), pf.cx)

    new = reverse("calls:new")
    assert "None planned." in html
    assert f'href="{new}?customer={pf.cx.pk}&amp;plan=1">Plan a call' in html
    assert f'class="btn primary" href="{new}?customer={pf.cx.pk}">Log a call' in html


def test_the_next_planned_call_shows_its_day_time_and_objective(pf, login):
    tomorrow = pf.today + datetime.timedelta(days=1)
    later = make_call(
        pf.tx, [pf.cx], status=CallStatus.PLANNED, date=tomorrow + datetime.timedelta(3)
    )
    planned = make_call(
        pf.tx, [pf.cx], status=CallStatus.PLANNED, date=tomorrow,
        start_time=datetime.time(14, 30), objective="Discuss the trial patients",
    )  # fmt: skip
    make_call(pf.tx, [pf.cx], status=CallStatus.PLANNED, date=pf.today - datetime.timedelta(3))

    html = page(login(pf.rep_x), pf.cx)

    section = html[html.index("pf-next") : html.index("pf-last")]
    assert reverse("calls:detail", args=[planned.pk]) in section
    assert reverse("calls:detail", args=[later.pk]) not in section
    assert f"{tomorrow:%Y-%m-%d}</strong> 14:30" in section
    assert "Discuss the trial patients" in section
    assert "Plan a call" not in section


def test_managers_read_the_profile_without_the_log_buttons(pf, login):
    html = page(login(pf.dm_x), pf.cx)

    assert "1 / 4" in html and "Wants the subgroup data" in html
    assert "Log a call" not in html and "Plan a call" not in html


def test_the_plans_naming_the_customer_are_those_the_user_may_see(pf, login):
    own = make_plan(pf.rep_x, pf.tx, status=PlanStatus.SUBMITTED)
    PlanTarget.objects.create(
        plan=own, customer=pf.cx, calls_per_month=3, objective="Start 3 patients on Oncovia"
    )
    # A rep of another team in the same district names cx in an approved plan: not shared.
    cv_rep = UserFactory(username="cv_rep")
    other_team = TerritoryFactory(district=pf.district_x, team=TeamFactory(), holder=cv_rep)
    foreign = make_plan(cv_rep, other_team, status=PlanStatus.APPROVED, targets=[(pf.cx, 2)])

    html = page(login(pf.rep_x), pf.cx)
    assert "Plans naming this customer" in html
    assert reverse("planning:detail", args=[own.pk]) in html
    assert own.quarter in html and "Submitted" in html
    assert "3 calls planned per month" in html and "Start 3 patients on Oncovia" in html
    assert reverse("planning:detail", args=[foreign.pk]) not in html

    # Their DM sees both plans of the district.
    html = page(login(pf.dm_x), pf.cx)
    assert reverse("planning:detail", args=[foreign.pk]) in html
    assert "2 calls planned per month" in html


def test_no_plan_names_the_customer(pf, login):
    assert "No plan names this customer." in page(login(pf.rep_x), pf.cx)


@pytest.mark.parametrize("persona", ["rep_x", "dm_x"])
def test_a_customer_of_another_territory_answers_404(pf, client, persona):
    client.force_login(getattr(pf, persona))
    response = client.get(reverse("customers:detail", args=[pf.cy.pk]))
    assert response.status_code == 404


def test_the_profile_reads_in_chinese(pf, login):
    pf.rep_x.language = "zh-hans"
    pf.rep_x.save()
    make_plan(pf.rep_x, pf.tx, targets=[(pf.cx, 4)])

    html = page(login(pf.rep_x), pf.cx)

    for text in (
        "本月拜访",
        "1 / 4",
        "未达标",
        "下次计划拜访",
        "暂无计划拜访。",
        "计划拜访",
        "记录拜访",
        "最近 1 次拜访",
        "全部拜访记录",
        "提及该客户的计划",
        "每月计划拜访 4 次",
        "面对面",
        "Wants the subgroup data",
    ):
        assert text in html, text


def _count(client, customer):
    with CaptureQueriesContext(connection) as queries:
        page(client, customer)
    return len(queries)


def _more(pf, n):
    """n more completed and planned calls with products, and n more plans naming cx."""
    for _ in range(n):
        make_call(pf.tx, [pf.cx], date=pf.today, products=[(pf.px, [pf.km], "ok")])
        make_call(pf.tx, [pf.cx], date=pf.today + datetime.timedelta(2), status=CallStatus.PLANNED)
        rep = UserFactory()
        territory = TerritoryFactory(district=pf.district_x, team=pf.tx.team, holder=rep)
        make_plan(rep, territory, status=PlanStatus.APPROVED, targets=[(pf.cx, 2)])


@pytest.mark.parametrize("persona", ["rep_x", "dm_x"])
def test_the_profile_runs_as_many_queries_with_2_or_20_calls_and_plans(pf, login, persona):
    client = login(getattr(pf, persona))
    _more(pf, 1)  # 2 calls, 1–2 plans
    small = _count(client, pf.cx)

    _more(pf, 19)
    large = _count(client, pf.cx)

    assert large == small


def test_a_doctor_with_nothing_yet(world, login):
    html = page(login(world.rep_x), world.cx)

    assert "Last calls" in html and "No calls yet." in html
    assert "None planned." in html and "Plan a call" in html
    assert "No plan names this customer." in html
    assert '<strong class="pf-count">0</strong> <span class="pf-req">/ —</span>' in html
    assert "Unclassified" in html
