"""Today tells the rep who is next: today's calls in time order (logged ones ticked, cancelled
ones gone), commitments due, the targets still to visit this month by class, this week's PIMs;
only the rep's own territory; Chinese headings; a flat number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import CallStatus
from core.periods import month_of
from customers.models import Alignment, ClassHistory
from tests.calls import conftest as calls_conftest
from tests.calls.factories import make_call
from tests.factories import CustomerFactory, DepartmentFactory, InstitutionFactory

pytestmark = pytest.mark.django_db

cw = calls_conftest.cw  # the calls world

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def classed(customer, product, klass, valid_from=datetime.date(2025, 1, 1), valid_to=None):
    ClassHistory.objects.create(
        customer=customer,
        product=product,
        klass=klass,
        source="computed",
        valid_from=valid_from,
        valid_to=valid_to,
        cause="measures",
    )
    return customer


def today_page(client):
    response = client.get(reverse("calls:today"))
    assert response.status_code == 200
    return response


def rows(response):
    """The day's calls in the order shown."""
    return [
        call
        for _institution, departments in response.context["itinerary"]
        for _department, calls in departments
        for call in calls
    ]


# Today's calls.


def test_todays_calls_come_in_time_order_by_hospital_and_department(cw, login):
    h2 = InstitutionFactory(name="瑞金医院", name_en="Ruijin Hospital")
    d2 = DepartmentFactory(institution=h2, name="心内科", name_en="Cardiology")
    c2 = CustomerFactory(name="赵雷", institution=h2, department=d2, territory=cw.tx)
    planned = CallStatus.PLANNED
    late = make_call(cw.tx, [cw.cx], status=planned, start_time=datetime.time(15, 0))
    untimed = make_call(cw.tx, [cw.cx2], status=planned, start_time=None)
    early = make_call(cw.tx, [c2], status=planned, start_time=datetime.time(8, 30))
    noon = make_call(cw.tx, [cw.cx2], status=planned, start_time=datetime.time(11, 0))

    page = today_page(login(cw.rep_x))

    # Ruijin first (its call is the earliest); at Renji, Hematology (11:00) before Oncology.
    assert [inst for inst, _deps in page.context["itinerary"]] == [h2, cw.hx]
    assert rows(page) == [early, noon, untimed, late]


def test_a_call_logged_today_stays_ticked_without_a_log_button_and_cancelled_ones_go(cw, login):
    done = make_call(cw.tx, [cw.cx], start_time=datetime.time(9, 0), objective="Logged one")
    todo = make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED, start_time=datetime.time(10, 0))
    gone = make_call(cw.tx, [cw.cx], status=CallStatus.CANCELLED, objective="Called off")
    yesterday = make_call(cw.tx, [cw.cx], date=TODAY() - DAY, objective="Yesterday's")

    page = today_page(login(cw.rep_x))
    html = page.content.decode()

    assert rows(page) == [done, todo]
    assert (page.context["done"], page.context["total"]) == (1, 2)
    assert "1 / 2 done" in html
    assert reverse("calls:log", args=[todo.pk]) in html
    assert reverse("calls:log", args=[done.pk]) not in html
    assert reverse("calls:detail", args=[done.pk]) in html
    assert "✓" in html.split(str(done.pk))[0].rsplit("<li", 1)[1]  # the tick on its row
    assert gone not in rows(page) and reverse("calls:detail", args=[gone.pk]) not in html
    assert yesterday not in rows(page)


# Still to visit this month.


@pytest.fixture
def targets(cw):
    """tx's targets this month (product px): cx class A with 4 calls (enough: absent); a1 class
    A with 1 call; b0 class B with none; c0 class C with none; d0 class D (as needed: absent);
    late_a class A aligned after the 1st (not a target yet); was_a class A on the 1st, C since.
    ty: y_a class A with none (another territory)."""
    first = month_of(TODAY()).start
    px = cw.px
    cw.ty.team.products.add(px)
    classed(cw.cx, px, "A")
    for i in range(4):
        make_call(cw.tx, [cw.cx], date=first + datetime.timedelta(days=min(i, TODAY().day - 1)))
    w = cw
    w.a1 = classed(CustomerFactory(name="甲一", institution=w.hx, territory=w.tx), px, "A")
    make_call(w.tx, [w.a1])
    w.b0 = classed(CustomerFactory(name="乙零", institution=w.hx, territory=w.tx), px, "B")
    w.c0 = classed(CustomerFactory(name="丙零", institution=w.hx, territory=w.tx), px, "C")
    w.d0 = classed(CustomerFactory(name="丁零", institution=w.hx, territory=w.tx), px, "D")
    w.late_a = classed(CustomerFactory(name="新来", institution=w.hx), px, "A")
    Alignment.objects.create(customer=w.late_a, territory=w.tx, valid_from=first + DAY)
    w.was_a = CustomerFactory(name="曾甲", institution=w.hx, territory=w.tx)
    classed(w.was_a, px, "A", valid_to=first)
    classed(w.was_a, px, "C", valid_from=first + DAY)
    w.y_a = classed(CustomerFactory(name="外区", institution=w.hy, territory=w.ty), px, "A")
    make_call(w.tx, [w.cx2], status=CallStatus.PLANNED)  # cx2 is unclassified: no target
    return w


def still(page):
    return {g["klass"]: [c.name for c in g["customers"]] for g in page.context["still"]}


def test_still_to_visit_lists_exactly_the_targets_below_frequency_by_class(targets, login):
    page = today_page(login(targets.rep_x))
    html = page.content.decode()

    groups = page.context["still"]
    assert [g["klass"] for g in groups] == ["A", "B", "C"]  # A before B; D is "as needed"
    assert still(page) == {"A": ["曾甲", "甲一"], "B": ["乙零"], "C": ["丙零"]}
    a1 = next(c for c in groups[0]["customers"] if c.pk == targets.a1.pk)
    assert (a1.call_count, a1.required) == (1, 4)
    assert "1 / 4 calls" in html and "0 / 4 calls" in html
    assert f'{reverse("calls:new")}?customer={targets.b0.pk}"' in html  # log
    assert f"{reverse('calls:new')}?customer={targets.b0.pk}&amp;plan=1" in html  # plan
    for absent in (targets.cx, targets.d0, targets.late_a, targets.y_a):
        assert str(absent.pk) not in html


def test_still_to_visit_shows_the_first_five_of_a_class_then_all_on_request(targets, login):
    for i in range(6):
        customer = CustomerFactory(name=f"乙{i}", institution=targets.hx, territory=targets.tx)
        classed(customer, targets.px, "B")
    client = login(targets.rep_x)

    short = today_page(client)
    b = next(g for g in short.context["still"] if g["klass"] == "B")
    assert (len(b["customers"]), b["count"], b["all"]) == (5, 7, False)
    assert 'href="?all=B#still-B"' in short.content.decode()
    assert "Show all 7" in short.content.decode()

    full = client.get(reverse("calls:today") + "?all=B")
    b = next(g for g in full.context["still"] if g["klass"] == "B")
    assert (len(b["customers"]), b["all"]) == (7, True)
    assert client.get(reverse("calls:today") + "?all=<x>").status_code == 200  # ignored


# This week's PIMs.


def test_the_pim_status_is_red_until_the_weeks_requirement_is_met(cw, login):
    client = login(cw.rep_x)
    make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, is_pim=True)  # planned: not counted

    [unmet] = today_page(client).context["pims"]["rows"]
    assert (unmet["done"], unmet["required"], unmet["state"]) == (0, 1, "unmet")
    assert 'class="rp-fig unmet">0 / 1<' in today_page(client).content.decode()

    make_call(cw.tx, [cw.cx, cw.cx2], is_pim=True)
    make_call(cw.ty, [cw.cy], is_pim=True)  # another territory's PIM is not rep_x's

    [met] = today_page(client).context["pims"]["rows"]
    assert (met["done"], met["state"]) == (1, "met")
    assert 'class="rp-fig met">1 / 1<' in today_page(client).content.decode()


# Commitments due.


def promise(territory, customers, *, promised, on, **fields):
    """A completed call `on` days from today promising a next appointment `promised` days from
    today."""
    return make_call(
        territory,
        customers,
        date=TODAY() + datetime.timedelta(days=on),
        next_appointment_date=TODAY() + datetime.timedelta(days=promised),
        commitment_measurable=fields.pop("commitment", "Try it on 3 patients"),
        **fields,
    )


def test_commitments_due_are_the_promises_of_the_next_days_not_yet_kept(cw, login):
    soon = promise(cw.tx, [cw.cx], promised=2, on=-5, commitment="Try Oncovia on 3 patients")
    overdue = promise(cw.tx, [cw.cx2], promised=-3, on=-10)
    c3 = CustomerFactory(name="孙强", institution=cw.hx, territory=cw.tx)
    promise(cw.tx, [c3], promised=3, on=-2)  # too far ahead
    c4 = CustomerFactory(name="周敏", institution=cw.hx, territory=cw.tx)
    promise(cw.tx, [c4], promised=-31, on=-40)  # too old
    c5 = CustomerFactory(name="吴刚", institution=cw.hx, territory=cw.tx)
    promise(cw.tx, [c5], promised=-1, on=-10)
    make_call(cw.tx, [c5], date=TODAY() - 2 * DAY)  # kept: visited since
    c6 = CustomerFactory(name="郑洁", institution=cw.hx, territory=cw.tx)
    planned_only = promise(cw.tx, [c6], promised=0, on=-7)
    make_call(cw.tx, [c6], status=CallStatus.PLANNED, date=TODAY())  # planned is no visit
    promise(cw.tx, [c3], promised=1, on=-1, status=CallStatus.PLANNED)  # a plan promises nothing
    promise(cw.ty, [cw.cy], promised=0, on=-3, commitment="Other territory's promise")

    page = today_page(login(cw.rep_x))
    html = page.content.decode()

    due = page.context["due"]
    assert [(r.customer, r.call) for r in due] == [
        (cw.cx2, overdue),
        (c6, planned_only),
        (cw.cx, soon),
    ]
    assert "Try Oncovia on 3 patients" in html
    assert "overdue" in html and 'class="td-when late"' in html
    assert "Promised for today" in html
    assert f'{reverse("calls:new")}?customer={cw.cx.pk}"' in html
    assert "Other territory's promise" not in html


def test_nothing_of_another_territory_appears_on_today(targets, login):
    make_call(targets.ty, [targets.cy], status=CallStatus.PLANNED, objective="Theirs planned")
    make_call(targets.ty, [targets.cy], objective="Theirs logged")
    promise(targets.ty, [targets.cy], promised=0, on=-3, commitment="Their commitment")

    html = today_page(login(targets.rep_x)).content.decode()

    for text in ("Theirs planned", "Their commitment", targets.cy.name, targets.y_a.name):
        assert text not in html
    assert str(targets.cy.pk) not in html


def test_today_in_chinese_shows_chinese_headings(targets, login):
    targets.rep_x.language = "zh-hans"
    targets.rep_x.save(update_fields=["language"])
    make_call(targets.tx, [targets.cx], status=CallStatus.PLANNED)
    promise(targets.tx, [targets.cx2], promised=0, on=-3)

    html = login(targets.rep_x).get(reverse("home")).content.decode()

    for heading in ("今日拜访", "到期的承诺", "本月待拜访", "本周院内会", "记录", "计划"):
        assert heading in html, heading
    assert "Still to visit" not in html


def test_a_manager_gets_the_desk_and_a_today_without_targets(targets, login):
    client = login(targets.dm_x)
    assert client.get(reverse("home")).templates[0].name == "desk/home.html"
    page = today_page(client)
    assert page.context["still"] == [] and page.context["pims"]["rows"] == []


# Queries.


def grow(w, n):
    """n customers of tx at a new hospital, classed A, each with a planned call today, a
    completed one this month promising a next appointment tomorrow."""
    institution = InstitutionFactory()
    department = DepartmentFactory(institution=institution)
    for _ in range(n):
        customer = CustomerFactory(institution=institution, department=department, territory=w.tx)
        classed(customer, w.px, "A")
        make_call(w.tx, [customer], status=CallStatus.PLANNED)
        promise(w.tx, [customer], promised=1, on=0, is_pim=True)


def test_today_runs_as_many_queries_for_30_customers_as_for_3(targets, login):
    client = login(targets.rep_x)
    grow(targets, 3)
    with CaptureQueriesContext(connection) as small:
        today_page(client)
    grow(targets, 27)
    with CaptureQueriesContext(connection) as large:
        page = today_page(client)

    assert len(page.context["due"]) >= 30
    assert len(large) == len(small)
