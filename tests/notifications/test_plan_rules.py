"""The plan reminders: a plan not submitted N days into the quarter (the rep), plans waiting for
approval more than N days (their DM, once per submission), and a plan returned or approved (the
rep, once per event, in their language, by e-mail for a return)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from notifications import services
from notifications.models import Notification, Rule
from planning import services as plan_services
from planning.models import PlanStatus
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def sent(rule):
    return {n.user.username: n for n in Notification.objects.filter(kind=rule)}


def test_reps_without_a_submitted_plan_are_told_ten_days_into_the_quarter(world):
    make_plan(world.rep_y, world.ty, quarter="2026-Q2", status=PlanStatus.SUBMITTED)
    make_plan(world.rep_x, world.tx, quarter="2026-Q2", status=PlanStatus.RETURNED)

    assert services.rule_run(Rule.PLAN_DUE, now=at(2026, 4, 10, 10)) is None  # 9 days in
    services.rule_run(Rule.PLAN_DUE, now=at(2026, 4, 11, 10))

    notes = sent(Rule.PLAN_DUE)
    assert "rep_x" in notes and "outsider" in notes and "rep_y" not in notes
    assert "2026-Q2 is not submitted yet: the quarter started 10 days ago" in notes["rep_x"].message
    assert services.rule_run(Rule.PLAN_DUE, now=at(2026, 4, 12, 10)).sent == 0  # once a quarter


def test_a_dm_is_told_of_each_plan_waiting_more_than_three_days(world):
    submitted = at(2026, 4, 2, 10)
    old = make_plan(world.rep_x, world.tx, status=PlanStatus.SUBMITTED, submitted_at=submitted)
    make_plan(world.rep_y, world.ty, status=PlanStatus.SUBMITTED, submitted_at=at(2026, 4, 5, 10))

    services.rule_run(Rule.PLANS_WAITING, now=at(2026, 4, 6, 10, 30))

    notes = sent(Rule.PLANS_WAITING)
    assert set(notes) == {"dm_x"}  # rep_y's plan waited 1 day; dm_y's turn is later
    assert "has waited 4 days for your approval" in notes["dm_x"].message
    assert notes["dm_x"].url == f"/plans/{old.pk}/"
    assert services.rule_run(Rule.PLANS_WAITING, now=at(2026, 4, 7, 9, 30)).sent == 0
    # Submitted again after a return: a new period.
    old.submitted_at = at(2026, 4, 8, 10)
    old.save()
    assert services.rule_run(Rule.PLANS_WAITING, now=at(2026, 4, 12, 9, 30)).sent == 2


def test_a_returned_plan_tells_its_rep_with_the_comment_by_e_mail(
    world, django_capture_on_commit_callbacks
):
    world.rep_x.email = "rep_x@example.com"
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    plan = make_plan(world.rep_x, world.tx, status=PlanStatus.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        plan_services.plan_return(by=world.dm_x, plan=plan, comment="请补充A级客户的目标")

    note = sent(Rule.PLAN_RETURNED)["rep_x"]
    assert "退回" in note.message and "请补充A级客户的目标" in note.message
    assert note.url == f"/plans/{plan.pk}/"
    assert [m.to for m in mail.outbox] == [["rep_x@example.com"]]


def test_an_approved_plan_tells_its_rep(world, django_capture_on_commit_callbacks):
    plan = make_plan(world.rep_x, world.tx, status=PlanStatus.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        plan_services.plan_approve(by=world.dm_x, plan=plan)

    assert "approved your plan" in sent(Rule.PLAN_APPROVED)["rep_x"].message
    assert mail.outbox == []  # in the app only by default
