"""Each reminder rule with a frozen clock (`now` is given): it fires when it should and not when it
should not, once per person and period across runs (also concurrent ones), in the recipient's
language, by e-mail unless opted out, never with another territory's customers, and with a query
count that does not grow with the people notified."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import Call
from core.periods import parse
from notifications import services
from notifications.models import EmailOptOut, Notification, Rule, RuleSetting
from reports import engine
from tests.concurrency import at_once
from tests.factories import CustomerFactory, ProductFactory, TerritoryFactory, UserFactory, classify
from tests.reports.test_pages import call

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


# March 2026: the 25th (Wednesday) starts the last 5 working days (25, 26, 27, 30, 31).
MONTH_END = at(2026, 3, 25, 9, 30)


@pytest.fixture
def people(world):
    """tx (rep_x): cx class A with 1 call in March (short of 4), c_ok class C with its 1 call.
    ty (rep_y): cy class A with 4 calls (enough). Everybody has an e-mail address."""
    w = world
    px = ProductFactory()
    w.tx.team.products.add(px)
    w.ty.team.products.add(px)
    classify(w.cx, px, "A")
    classify(w.cy, px, "A")
    w.c_ok = classify(CustomerFactory(name="够了", institution=w.hx, territory=w.tx), px, "C")
    call(w.tx, [w.cx], day=2)
    call(w.tx, [w.c_ok], day=3)
    for day in (2, 9, 16, 23):
        call(w.ty, [w.cy], day=day)
    for user in (w.rep_x, w.rep_y, w.dm_x, w.dm_y, w.outsider_rep):
        user.email = f"{user.username}@example.com"
        user.save()
    w.px = px
    return w


def sent(rule):
    return {n.user.username: n for n in Notification.objects.filter(kind=rule)}


# 1. Month end near


def test_month_end_tells_each_rep_their_targets_below_frequency(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.rule_run(Rule.MONTH_END, now=MONTH_END)

    notes = sent(Rule.MONTH_END)
    assert set(notes) == {"rep_x"}  # rep_y's targets all reached their frequency
    message = notes["rep_x"].message
    assert "1 target is below its call frequency with 5 working days left" in message
    assert "A (1): 王建国 1/4" in message
    assert "李明" not in message  # another territory's customer
    assert notes["rep_x"].period == "2026-03" and run.sent == 1
    assert [m.to for m in mail.outbox] == [["rep_x@example.com"]]
    assert "王建国" in mail.outbox[0].body and mail.outbox[0].alternatives


@pytest.mark.parametrize(
    "now",
    [at(2026, 3, 24, 10), at(2026, 3, 25, 8, 59)],  # 6 working days left; before 09:00
)
def test_month_end_is_not_due_too_early(people, now):
    assert services.rule_run(Rule.MONTH_END, now=now) is None
    assert not Notification.objects.exists()


def test_month_end_follows_the_admins_days(people):
    RuleSetting.objects.filter(rule=Rule.MONTH_END).update(days=6)
    services.rule_settings()
    setting = RuleSetting.objects.get(rule=Rule.MONTH_END)
    setting.days = 6
    setting.save()

    assert services.rule_run(Rule.MONTH_END, now=at(2026, 3, 24, 10)) is not None


def test_a_rule_speaks_once_per_person_and_period(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.rule_run(Rule.MONTH_END, now=MONTH_END)
        second = services.rule_run(Rule.MONTH_END, now=at(2026, 3, 26, 10))

    assert second.sent == 0
    assert Notification.objects.filter(kind=Rule.MONTH_END).count() == 1
    assert len(mail.outbox) == 1
    # The next month is another period (and in April nobody has called yet).
    assert services.rule_run(Rule.MONTH_END, now=at(2026, 4, 24, 10)).sent == 2


def test_the_message_is_in_the_recipients_language(people):
    people.rep_x.language = "zh-hans"
    people.rep_x.save()

    services.rule_run(Rule.MONTH_END, now=MONTH_END)

    assert "本月还剩 5 个工作日" in sent(Rule.MONTH_END)["rep_x"].message


def test_an_opted_out_rep_gets_the_notification_but_no_e_mail(
    people, django_capture_on_commit_callbacks
):
    EmailOptOut.objects.create(user=people.rep_x, rule=Rule.MONTH_END)

    with django_capture_on_commit_callbacks(execute=True):
        services.rule_run(Rule.MONTH_END, now=MONTH_END)

    assert "rep_x" in sent(Rule.MONTH_END)
    assert mail.outbox == []


def test_an_inactive_rule_does_not_run_on_schedule(people):
    services.rule_settings()
    RuleSetting.objects.filter(rule=Rule.MONTH_END).update(is_active=False)

    assert services.rule_run(Rule.MONTH_END, now=MONTH_END) is None


# 2. A week without a PIM


FRIDAY = at(2026, 3, 27, 14, 30)


def test_a_rep_without_a_pim_this_week_is_told_on_friday_afternoon(people):
    call(people.ty, [people.cy], day=24, is_pim=True, channel="meeting")  # rep_y held one

    services.rule_run(Rule.NO_PIM, now=FRIDAY)

    notes = sent(Rule.NO_PIM)
    assert "rep_x" in notes and "rep_y" not in notes
    assert notes["rep_x"].period == "2026-W13"
    assert services.rule_run(Rule.NO_PIM, now=at(2026, 3, 28, 10)).sent == 0  # Saturday: same week


@pytest.mark.parametrize("now", [at(2026, 3, 26, 15), at(2026, 3, 27, 13, 59)])
def test_no_pim_is_not_due_before_friday_14_00(people, now):
    assert services.rule_run(Rule.NO_PIM, now=now) is None


def test_a_team_without_a_pim_target_is_not_reminded(people):
    people.tx.team.pims_per_week = 0
    people.tx.team.save()

    services.rule_run(Rule.NO_PIM, now=FRIDAY)

    assert "rep_x" not in sent(Rule.NO_PIM)


# 5. Yesterday's planned calls not recorded


def test_yesterdays_planned_calls_not_recorded_are_counted_for_their_rep(people):
    call(people.tx, [people.cx], day=25, status="planned")
    call(people.tx, [people.c_ok], day=25, status="planned")
    call(people.ty, [people.cy], day=24, status="planned")  # the day before yesterday

    services.rule_run(Rule.PLANNED_NOT_RECORDED, now=at(2026, 3, 26, 8, 5))

    notes = sent(Rule.PLANNED_NOT_RECORDED)
    assert set(notes) == {"rep_x"}
    assert "2 calls planned for 2026-03-25 are not recorded" in notes["rep_x"].message
    assert "status=planned" in notes["rep_x"].url


def test_planned_not_recorded_waits_for_the_morning_time(people):
    call(people.tx, [people.cx], day=25, status="planned")
    assert services.rule_run(Rule.PLANNED_NOT_RECORDED, now=at(2026, 3, 26, 7, 59)) is None


# 6. Weekly team digest


def test_each_dm_gets_the_digest_of_their_own_district(people):
    engine.recompute(period=parse("2026-03"))

    services.rule_run(Rule.TEAM_DIGEST, now=at(2026, 3, 30, 8, 30))

    notes = sent(Rule.TEAM_DIGEST)
    assert set(notes) >= {"dm_x", "dm_y"}
    assert "TX" in notes["dm_x"].message and "TY" not in notes["dm_x"].message
    assert "A 100 % / 0 %" in notes["dm_x"].message  # cx covered, short of frequency
    assert notes["dm_x"].url.endswith(f"?district={people.district_x.pk}")


def test_the_digest_is_not_due_before_monday_08_00(people):
    assert services.rule_run(Rule.TEAM_DIGEST, now=at(2026, 3, 30, 7, 59)) is None


# Scale: the queries of a rule do not grow with the people notified


def more_reps(people, n):
    for i in range(n):
        rep = UserFactory(email=f"more{i}@example.com")
        territory = TerritoryFactory(district=people.district_x, team=people.tx.team, holder=rep)
        customer = classify(
            CustomerFactory(institution=people.hx, territory=territory), people.px, "A"
        )
        Call.objects.create(
            territory=territory,
            rep=rep,
            date=datetime.date(2026, 3, 25),
            status="planned",
            institution=customer.institution,
        )


def queries(rule, now):
    Notification.objects.all().delete()
    services.rule_settings()
    with CaptureQueriesContext(connection) as ctx:
        services.rule_run(rule, now=now, force=True)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("rule", "now"),
    [
        (Rule.MONTH_END, MONTH_END),
        (Rule.NO_PIM, FRIDAY),
        (Rule.PLANNED_NOT_RECORDED, at(2026, 3, 26, 8, 30)),
        (Rule.TEAM_DIGEST, at(2026, 3, 30, 8, 30)),
    ],
)
def test_query_counts_do_not_grow_with_the_people_notified(people, rule, now):
    more_reps(people, 2)
    engine.recompute(period=parse("2026-03"))
    few = queries(rule, now)
    more_reps(people, 6)
    engine.recompute(period=parse("2026-03"))
    many = queries(rule, now)
    assert Notification.objects.filter(kind=rule).count() >= 2
    assert many == few


# E-mails: retried without duplicates


def test_a_failed_e_mail_is_retried_without_sending_the_others_twice(people):
    call(people.ty, [people.cy], day=25, status="planned")
    call(people.tx, [people.cx], day=25, status="planned")
    services.rule_settings()
    RuleSetting.objects.filter(rule=Rule.PLANNED_NOT_RECORDED).update(send_email=True)
    run = services.rule_run(Rule.PLANNED_NOT_RECORDED, now=at(2026, 3, 26, 8, 30))
    from django.core.mail import EmailMultiAlternatives

    real_send = EmailMultiAlternatives.send
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(self.to)
        if len(calls) == 2:
            raise OSError("SMTP down")
        return real_send(self, *args, **kwargs)

    with mock.patch.object(EmailMultiAlternatives, "send", flaky), pytest.raises(OSError):
        services.emails_send(run.pk)
    assert len(mail.outbox) == 1

    services.emails_send(run.pk)  # the retry
    services.emails_send(run.pk)  # and a duplicate retry

    assert sorted(m.to[0] for m in mail.outbox) == ["rep_x@example.com", "rep_y@example.com"]
    assert not Notification.objects.filter(run=run, emailed_at__isnull=True).exists()


# Concurrency: two runs at once


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_notify_each_person_once(people):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer)")
    call(people.tx, [people.cx], day=25, status="planned")
    call(people.ty, [people.cy], day=25, status="planned")

    def run():
        services.rule_run(Rule.PLANNED_NOT_RECORDED, now=at(2026, 3, 26, 8, 30))

    errors = at_once(run, run)

    assert errors == []
    assert sorted(
        Notification.objects.filter(kind=Rule.PLANNED_NOT_RECORDED).values_list(
            "user__username", flat=True
        )
    ) == ["rep_x", "rep_y"]


def test_the_schedule_runs_a_due_rule_once_a_day(people):
    first = services.rules_run_due(now=MONTH_END)
    later = services.rules_run_due(now=MONTH_END + datetime.timedelta(minutes=15))
    next_day = services.rules_run_due(now=at(2026, 3, 26, 9, 30))

    assert Rule.MONTH_END in {run.rule for run in first}
    assert later == []
    assert Rule.MONTH_END in {run.rule for run in next_day}
    assert Notification.objects.filter(kind=Rule.MONTH_END).count() == 1
