"""The DM is told when there is something to decide: a plan submitted (once per submission; a
resubmission after a return is a new event) and an amendment requested — in the app and, per
the rule, by e-mail, in the DM's language, with a link to the page where they act; the rep is
told the outcome. Nobody is told of their own act; an inactive rule tells nobody."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calls import services as call_services
from notifications import services
from notifications.models import DEFAULTS, Notification, Rule
from planning import services as plan_services
from planning.models import PlanEvent
from planning.signals import plan_event
from tests.calls.factories import make_call
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    for user, language in ((world.rep_x, "en"), (world.dm_x, "zh-hans")):
        user.email = f"{user.username}@example.com"
        user.language = language
        user.save()
    return world


def set_rule(rule, **fields):
    setting = services.rule_settings()[rule]
    for name, value in fields.items():
        setattr(setting, name, value)
    setting.save()


def notes(kind):
    return list(Notification.objects.filter(kind=kind).select_related("user"))


def submit(world, plan, capture):
    with capture(execute=True):
        plan_services.plan_submit(by=world.rep_x, plan=plan)


def test_the_new_rules_e_mail_by_default_and_show_on_the_reminders_page(world, login):
    assert DEFAULTS[Rule.PLAN_SUBMITTED]["send_email"] is True
    assert DEFAULTS[Rule.AMENDMENT_REQUESTED]["send_email"] is True

    html = login(world.admin).get(reverse("notifications:rules")).content.decode()

    assert "Plan submitted for approval" in html and "Amendment requested" in html


def test_a_submitted_plan_tells_the_dm_in_their_language_by_e_mail(
    people, django_capture_on_commit_callbacks
):
    world = people
    plan = make_plan(world.rep_x, world.tx, targets=[(world.cx, 2)])

    submit(world, plan, django_capture_on_commit_callbacks)

    [note] = notes(Rule.PLAN_SUBMITTED)
    assert note.user == world.dm_x
    assert "提交了" in note.message and plan.quarter in note.message  # the DM reads Chinese
    assert note.url == reverse("planning:detail", args=[plan.pk])
    assert [m.to for m in mail.outbox] == [["dm_x@example.com"]]
    assert not Notification.objects.filter(user=world.rep_x).exists()


def test_the_link_opens_the_plan_review(people, django_capture_on_commit_callbacks, login):
    world = people
    plan = make_plan(world.rep_x, world.tx, targets=[(world.cx, 2)])
    submit(world, plan, django_capture_on_commit_callbacks)
    [note] = notes(Rule.PLAN_SUBMITTED)

    response = login(world.dm_x).get(reverse("notifications:open", args=[note.pk]), follow=True)

    assert response.redirect_chain[-1][0] == note.url
    assert 'formaction="' + reverse("planning:transition", args=[plan.pk, "approve"]) in (
        response.content.decode()
    )


def test_one_submission_notifies_once_a_resubmission_again(
    people, django_capture_on_commit_callbacks
):
    world = people
    plan = make_plan(world.rep_x, world.tx, targets=[(world.cx, 2)])
    submit(world, plan, django_capture_on_commit_callbacks)
    event = PlanEvent.objects.get(plan=plan, action="submitted")
    # The same event announced again (a retried delivery): nothing more.
    plan_event.send(sender=PlanEvent, event_id=event.pk, plan_id=plan.pk, action="submitted")
    assert len(notes(Rule.PLAN_SUBMITTED)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        plan_services.plan_return(by=world.dm_x, plan=plan, comment="More A customers")
    submit(world, plan, django_capture_on_commit_callbacks)

    assert [n.user for n in notes(Rule.PLAN_SUBMITTED)] == [world.dm_x, world.dm_x]
    assert len(notes(Rule.PLAN_RETURNED)) == 1  # and the rep was told of the return


def test_without_e_mail_the_bell_still_rings(people, django_capture_on_commit_callbacks):
    world = people
    set_rule(Rule.PLAN_SUBMITTED, send_email=False)
    plan = make_plan(world.rep_x, world.tx, targets=[(world.cx, 2)])

    submit(world, plan, django_capture_on_commit_callbacks)

    assert len(notes(Rule.PLAN_SUBMITTED)) == 1 and mail.outbox == []


@pytest.mark.parametrize("rule", [Rule.PLAN_SUBMITTED, Rule.AMENDMENT_REQUESTED])
def test_an_inactive_rule_tells_nobody(people, django_capture_on_commit_callbacks, rule):
    world = people
    set_rule(rule, is_active=False)
    plan = make_plan(world.rep_x, world.tx, targets=[(world.cx, 2)])
    submit(world, plan, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        request(world, locked_call(world))

    other = Rule.AMENDMENT_REQUESTED if rule == Rule.PLAN_SUBMITTED else Rule.PLAN_SUBMITTED
    assert notes(rule) == []
    assert len(notes(other)) == 1 and len(mail.outbox) == 1  # only the active rule's


def test_a_district_without_a_dm_tells_nobody(people, django_capture_on_commit_callbacks):
    world = people
    world.district_x.dm = None
    world.district_x.save()
    plan = make_plan(world.rep_x, world.tx, targets=[(world.cx, 2)])

    submit(world, plan, django_capture_on_commit_callbacks)

    assert notes(Rule.PLAN_SUBMITTED) == []
    assert PlanEvent.objects.filter(plan=plan, action="submitted").exists()


def locked_call(world):
    return make_call(
        world.tx,
        [world.cx],
        date=timezone.localdate() - datetime.timedelta(days=20),
        completed_at=timezone.now() - datetime.timedelta(days=19),
    )


def request(world, call):
    return call_services.amendment_request(
        by=world.rep_x, call=call, reason="Wrong notes", notes="fixed"
    )


def test_an_amendment_request_tells_the_dm_with_a_link_to_the_review(
    people, django_capture_on_commit_callbacks, login
):
    world = people
    call = locked_call(world)

    with django_capture_on_commit_callbacks(execute=True):
        amendment = request(world, call)

    [note] = notes(Rule.AMENDMENT_REQUESTED)
    assert note.user == world.dm_x
    assert "Wrong notes" in note.message and "修改" in note.message
    assert note.url == reverse("calls:amendment", args=[amendment.pk])
    assert [m.to for m in mail.outbox] == [["dm_x@example.com"]]
    assert "Wrong notes" in mail.outbox[0].body
    page = login(world.dm_x).get(reverse("notifications:open", args=[note.pk]), follow=True)
    assert page.redirect_chain[-1][0] == note.url
    assert 'name="decision" value="approve"' in page.content.decode()


def test_an_amendment_request_rolled_back_tells_nobody(people):
    world = people
    call = locked_call(world)

    request(world, call)  # the test's transaction never commits: no announcement

    assert notes(Rule.AMENDMENT_REQUESTED) == []


def test_the_outcome_of_an_amendment_reaches_the_rep_in_their_language(
    people, django_capture_on_commit_callbacks, login
):
    world = people
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    call = locked_call(world)
    with django_capture_on_commit_callbacks(execute=True):
        amendment = request(world, call)
    with django_capture_on_commit_callbacks(execute=True):
        call_services.amendment_approve(by=world.dm_x, amendment=amendment, comment="好的")

    [note] = notes(Rule.AMENDMENT_APPROVED)
    assert note.user == world.rep_x and "批准" in note.message and "好的" in note.message
    assert note.url == reverse("calls:amendment", args=[amendment.pk])
    page = login(world.rep_x).get(note.url).content.decode()
    assert "好的" in page and 'name="decision"' not in page


def test_nobody_is_told_of_their_own_act(people, django_capture_on_commit_callbacks):
    """The DM deciding is not told of the request twice, and the decider is never the one told
    of the decision."""
    world = people
    call = locked_call(world)
    with django_capture_on_commit_callbacks(execute=True):
        amendment = request(world, call)
    with django_capture_on_commit_callbacks(execute=True):
        call_services.amendment_reject(by=world.dm_x, amendment=amendment, comment="No")

    assert {n.user for n in Notification.objects.all()} == {world.dm_x, world.rep_x}
    assert [n.kind for n in Notification.objects.filter(user=world.dm_x)] == [
        Rule.AMENDMENT_REQUESTED
    ]
