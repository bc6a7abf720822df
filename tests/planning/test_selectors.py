"""Adherence maths, the DM's view of a plan and its query counts."""

import datetime

import pytest
from django.utils import timezone

from calls.models import CallStatus
from core.periods import parse
from planning import selectors
from planning.models import Plan, PlanStatus
from tests.calls.factories import make_call
from tests.planning.conftest import QUARTER
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db

PERIOD = parse(QUARTER, "quarter")
SECOND_MONTH = PERIOD.months[1].start + datetime.timedelta(days=9)


def test_months_started():
    assert selectors.months_started(PERIOD, PERIOD.start - datetime.timedelta(days=1)) == 0
    assert selectors.months_started(PERIOD, PERIOD.start) == 1
    assert selectors.months_started(PERIOD, SECOND_MONTH) == 2
    assert selectors.months_started(PERIOD, PERIOD.end + datetime.timedelta(days=40)) == 3


def test_adherence_per_focus_customer_and_per_rep(pw):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4), (pw.cx2, 1)])
    first = PERIOD.start
    for day in (first, first + datetime.timedelta(days=1), SECOND_MONTH):
        make_call(pw.tx, [pw.cx], date=day)
    for _ in range(3):  # more than planned: counts up to the plan only in the rep's figure
        make_call(pw.tx, [pw.cx2], date=first)
    make_call(pw.tx, [pw.cx], date=first, status=CallStatus.PLANNED)  # not completed
    make_call(pw.tx, [pw.cx], date=SECOND_MONTH + datetime.timedelta(days=1))  # after "today"
    make_call(pw.tx, [pw.cx], date=first - datetime.timedelta(days=1))  # last quarter

    rows = {r.customer: r for r in selectors.target_rows(plan, today=SECOND_MONTH)}

    assert (rows[pw.cx].planned, rows[pw.cx].completed) == (8, 3)
    assert rows[pw.cx].adherence == round(3 / 8, 4)
    assert rows[pw.cx].klass == "A" and rows[pw.cx].required == 4
    assert (rows[pw.cx2].planned, rows[pw.cx2].completed, rows[pw.cx2].adherence) == (2, 3, 1)
    assert rows[pw.cx2].klass == "C" and rows[pw.cx2].required == 1
    summary = selectors.summarise(list(rows.values()))
    assert summary == {"targets": 2, "planned": 10, "completed": 6, "adherence": 0.5}


def test_a_group_call_counts_for_every_attendee_and_other_territories_do_not(pw):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 1), (pw.cx2, 1)])
    make_call(pw.tx, [pw.cx, pw.cx2], date=PERIOD.start)
    rows = selectors.target_rows(plan, today=PERIOD.start)
    assert [r.completed for r in rows] == [1, 1]


def test_team_adherence_in_one_query(pw, django_assert_num_queries):
    plan_x = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 2), (pw.cx2, 1)])
    plan_m = make_plan(pw.mate_x, pw.tmate, targets=[(pw.cm, 1)])
    make_plan(pw.cv_x, pw.tcv)  # no targets: nothing planned
    make_call(pw.tx, [pw.cx], date=PERIOD.start)
    make_call(pw.tx, [pw.cx2], date=PERIOD.start)
    make_call(pw.tmate, [pw.cm], date=PERIOD.start)
    make_call(pw.tmate, [pw.cm], date=PERIOD.start)

    plans = selectors.district_plans(pw.dm_x, QUARTER)
    with django_assert_num_queries(1):
        totals = selectors.team_adherence(plans, QUARTER, today=PERIOD.start)

    assert totals[plan_x.pk]["adherence"] == round(2 / 3, 4)
    assert totals[plan_m.pk] | {} == {
        "planned": 1,
        "completed": 2,
        "met": 1,
        "targets": 1,
        "adherence": 1,
    }
    team = selectors.team_total(list(totals.values()))
    assert team == {"planned": 4, "completed": 4, "adherence": 0.75}


def test_target_rows_query_count_does_not_grow(pw, django_assert_max_num_queries):
    from tests.factories import CustomerFactory

    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 2)])
    for _ in range(5):
        customer = CustomerFactory(institution=pw.hx, territory=pw.tx)
        plan.targets.create(customer=customer, calls_per_month=1)
        make_call(pw.tx, [customer], date=PERIOD.start)
    with django_assert_max_num_queries(3):
        rows = selectors.target_rows(plan, today=PERIOD.start)
        [(r.customer.institution.name, r.customer.department) for r in rows]
    assert len(rows) == 6


def test_calls_made_show_from_the_second_month(pw):
    plan = make_plan(pw.rep_x, pw.tx)
    assert not selectors.shows_calls_made(plan, today=PERIOD.start)
    assert selectors.shows_calls_made(plan, today=SECOND_MONTH)


def test_the_inbox_holds_the_dms_submitted_plans(pw):
    mine = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED)
    make_plan(pw.mate_x, pw.tmate, status=PlanStatus.DRAFT)
    theirs = make_plan(pw.rep_y, pw.ty, status=PlanStatus.SUBMITTED)
    assert list(selectors.inbox(pw.dm_x)) == [mine]
    assert list(selectors.inbox(pw.dm_y)) == [theirs]
    assert set(selectors.inbox(pw.admin)) == {mine, theirs}
    assert list(selectors.inbox(pw.rep_x)) == []


def test_colleague_plans_are_approved_ones_of_the_team(pw):
    approved = make_plan(pw.mate_x, pw.tmate, status=PlanStatus.APPROVED)
    make_plan(pw.far_mate, pw.tfar, status=PlanStatus.SUBMITTED)
    make_plan(pw.cv_x, pw.tcv, status=PlanStatus.APPROVED)
    assert list(selectors.colleague_plans(pw.rep_x)) == [approved]
    assert Plan.objects.count() == 3


def test_review_of_last_quarter(pw):
    previous = PERIOD.previous()
    old = make_plan(pw.rep_x, pw.tx, quarter=previous.key, targets=[(pw.cx, 1)])
    make_call(pw.tx, [pw.cx], date=previous.start)
    plan = make_plan(pw.rep_x, pw.tx)
    review = selectors.review(plan)
    assert review["previous"] == old
    assert review["adherence"]["planned"] == 3
    assert review["adherence"]["completed"] == 1


def test_today_is_the_default(pw):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 1)])
    make_call(pw.tx, [pw.cx], date=timezone.localdate())
    assert selectors.target_rows(plan)[0].completed == 1
