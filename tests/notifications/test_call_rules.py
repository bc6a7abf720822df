"""The rep is told when something happens to their work: an amendment of their call approved or
rejected, a coaching comment on their call — in the app and, per the rule, by e-mail, in their
language, once per event, only after the decision is committed."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls import services as call_services
from calls.models import Amendment, CoachingComment
from calls.signals import amendment_decided, coaching_commented
from notifications import services
from notifications.models import Notification, Rule, RuleSetting
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(world):
    world.rep_x.email = "rep_x@example.com"
    world.rep_x.save()
    world.dm_x.email = "dm_x@example.com"
    world.dm_x.save()
    return make_call(
        world.tx,
        [world.cx],
        date=timezone.localdate() - datetime.timedelta(days=20),
        completed_at=timezone.now() - datetime.timedelta(days=19),
    )


def request(world, call):
    return call_services.amendment_request(by=world.rep_x, call=call, reason="typo", notes="x")


def set_rule(rule, **fields):
    setting = services.rule_settings()[rule]
    for name, value in fields.items():
        setattr(setting, name, value)
    setting.save()


def notes(kind):
    return list(Notification.objects.filter(kind=kind).select_related("user"))


@pytest.mark.parametrize("send_email", [True, False])
def test_an_approved_amendment_tells_the_rep_with_the_comment(
    world, locked, django_capture_on_commit_callbacks, send_email
):
    set_rule(Rule.AMENDMENT_APPROVED, send_email=send_email)
    amendment = request(world, locked)

    with django_capture_on_commit_callbacks(execute=True):
        call_services.amendment_approve(by=world.dm_x, amendment=amendment, comment="Thanks, fixed")

    [note] = notes(Rule.AMENDMENT_APPROVED)
    assert note.user == world.rep_x
    assert "approved your amendment" in note.message and "Thanks, fixed" in note.message
    assert note.url == reverse("calls:amendment", args=[amendment.pk])
    assert [m.to for m in mail.outbox] == ([["rep_x@example.com"]] if send_email else [])


def test_a_rejected_amendment_tells_the_rep_why_by_e_mail(
    world, locked, django_capture_on_commit_callbacks
):
    amendment = request(world, locked)

    with django_capture_on_commit_callbacks(execute=True):
        call_services.amendment_reject(by=world.dm_x, amendment=amendment, comment="Not needed")

    [note] = notes(Rule.AMENDMENT_REJECTED)
    assert note.user == world.rep_x
    assert "rejected your amendment" in note.message and "Not needed" in note.message
    assert note.url == f"/calls/amendments/{amendment.pk}/"
    assert [m.to for m in mail.outbox] == [["rep_x@example.com"]]  # on by default
    assert "Not needed" in mail.outbox[0].body


def test_a_coaching_comment_tells_the_rep_not_its_author(
    world, locked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_services.coaching_comment_create(by=world.dm_x, call=locked, text="Ask about dosing")

    [note] = notes(Rule.COACHING_COMMENT)
    assert note.user == world.rep_x
    assert "commented on your call" in note.message and "Ask about dosing" in note.message
    assert note.url == reverse("calls:detail", args=[locked.pk])
    assert [m.to for m in mail.outbox] == [["rep_x@example.com"]]
    assert not Notification.objects.filter(user=world.dm_x).exists()


def test_a_manager_commenting_on_their_own_call_tells_nobody(
    world, django_capture_on_commit_callbacks
):
    own = make_call(world.tx, [world.cx], rep=world.dm_x)

    with django_capture_on_commit_callbacks(execute=True):
        call_services.coaching_comment_create(by=world.dm_x, call=own, text="Note to self")

    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "rule", [Rule.AMENDMENT_APPROVED, Rule.AMENDMENT_REJECTED, Rule.COACHING_COMMENT]
)
def test_an_inactive_rule_tells_nobody(world, locked, django_capture_on_commit_callbacks, rule):
    set_rule(rule, is_active=False, send_email=True)
    amendment = request(world, locked)

    with django_capture_on_commit_callbacks(execute=True):
        if rule == Rule.AMENDMENT_APPROVED:
            call_services.amendment_approve(by=world.dm_x, amendment=amendment)
        elif rule == Rule.AMENDMENT_REJECTED:
            call_services.amendment_reject(by=world.dm_x, amendment=amendment, comment="No")
        else:
            call_services.coaching_comment_create(by=world.dm_x, call=locked, text="Hi")

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_rolled_back_decision_notifies_nobody(world, locked, django_capture_on_commit_callbacks):
    amendment = request(world, locked)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        call_services.amendment_reject(by=world.dm_x, amendment=amendment, comment="No")
        call_services.coaching_comment_create(by=world.dm_x, call=locked, text="Hi")
        raise RuntimeError("the request failed after the decision")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_event_is_sent_only_after_commit(world, locked, django_capture_on_commit_callbacks):
    amendment = request(world, locked)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_services.amendment_reject(by=world.dm_x, amendment=amendment, comment="No")
        assert not Notification.objects.exists()  # not before the commit

    assert len(callbacks) == 1
    callbacks[0]()
    assert len(notes(Rule.AMENDMENT_REJECTED)) == 1


def test_a_second_delivery_of_the_same_event_creates_nothing(
    world, locked, django_capture_on_commit_callbacks
):
    amendment = request(world, locked)
    with django_capture_on_commit_callbacks(execute=True):
        call_services.amendment_approve(by=world.dm_x, amendment=amendment, comment="ok")
        comment = call_services.coaching_comment_create(by=world.dm_x, call=locked, text="Hi")

    with django_capture_on_commit_callbacks(execute=True):
        amendment_decided.send(
            sender=Amendment, amendment_id=amendment.pk, call_id=locked.pk, status="approved"
        )
        coaching_commented.send(sender=CoachingComment, comment_id=comment.pk, call_id=locked.pk)

    assert Notification.objects.filter(user=world.rep_x).count() == 2
    assert len(mail.outbox) == 1  # the comment's; approvals are not e-mailed by default


def test_the_rep_reads_it_in_chinese(world, locked, django_capture_on_commit_callbacks):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    amendment = request(world, locked)

    with django_capture_on_commit_callbacks(execute=True):
        call_services.amendment_reject(by=world.dm_x, amendment=amendment, comment="无需修改")
        call_services.coaching_comment_create(by=world.dm_x, call=locked, text="多问剂量")

    rejected = notes(Rule.AMENDMENT_REJECTED)[0].message
    coached = notes(Rule.COACHING_COMMENT)[0].message
    assert "驳回了你对拜访" in rejected and "无需修改" in rejected
    assert "点评了你的拜访" in coached and "多问剂量" in coached
    assert "拜访修改申请被驳回" in mail.outbox[0].subject


def test_the_new_rules_are_on_the_reminders_page_with_their_settings(world, login):
    html = login(world.admin).get(reverse("notifications:rules")).content.decode()

    for rule in (Rule.AMENDMENT_APPROVED, Rule.AMENDMENT_REJECTED, Rule.COACHING_COMMENT):
        assert f'id="rule-{rule}"' in html
        assert reverse("notifications:rule_edit", args=[rule]) in html
        assert reverse("notifications:rule_run", args=[rule]) not in html  # sent on events
    assert RuleSetting.objects.get(rule=Rule.AMENDMENT_REJECTED).send_email

    response = login(world.admin).post(
        reverse("notifications:rule_edit", args=[Rule.COACHING_COMMENT]),
        {"is_active": "on"},  # e-mail unticked
    )
    assert response.status_code == 302
    assert not RuleSetting.objects.get(rule=Rule.COACHING_COMMENT).send_email
