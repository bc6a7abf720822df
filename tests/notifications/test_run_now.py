"""The "Run now" of the Reminders page is a second step, not the primary button: the confirmation
says how many people the rule would notify (counted by its finder, nothing sent) and only the
confirmed form runs it. Every rule's form has its own element ids, so each label names its own
input."""

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from notifications.models import Notification, Rule, RuleRun, RuleSetting

pytestmark = pytest.mark.django_db

URL = reverse("notifications:rule_run", args=[Rule.NO_PIM])


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.fors, self.inputs = [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
            if tag in ("input", "select", "textarea"):
                self.inputs.add(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.fors.append(attrs["for"])


def test_every_id_is_unique_and_every_label_names_its_own_input(world, login):
    html = login(world.admin).get(reverse("notifications:rules")).content.decode()
    parser = Ids()
    parser.feed(html)

    assert [i for i, n in Counter(parser.ids).items() if n > 1] == []
    assert parser.fors and set(parser.fors) <= parser.inputs
    assert len(parser.fors) == len(set(parser.fors))
    assert "id_month_end-days" in parser.fors and "id_plans_waiting-days" in parser.fors


def test_run_now_is_a_plain_link_to_a_confirmation(world, login):
    html = login(world.admin).get(reverse("notifications:rules")).content.decode()

    link = re.search(rf'<a class="([^"]*)" href="{URL}">', html)
    assert link and "primary" not in link.group(1)
    assert f'action="{URL}"' not in html  # no one-click run from the list


def test_the_confirmation_counts_the_people_and_sends_nothing(world, login):
    client = login(world.admin)

    page = client.get(URL)

    assert page.status_code == 200
    reach = page.context["reach"]
    assert reach == 3  # rep_x, rep_y and outsider have no PIM this week
    assert "This will notify 3 people." in page.content.decode()
    assert not RuleRun.objects.exists() and not Notification.objects.exists()

    client.post(URL, {"confirm": "1"})

    assert RuleRun.objects.get(rule=Rule.NO_PIM).sent == reach
    again = client.get(URL).content.decode()
    assert "Nobody would be notified now" in again  # once per week: already told


def test_the_confirmation_speaks_chinese(world, login):
    world.admin.language = "zh-hans"
    world.admin.save()

    html = login(world.admin).get(URL).content.decode()

    assert "将通知 3 人。" in html


def test_a_post_without_the_confirmation_runs_nothing(world, login):
    response = login(world.admin).post(URL)

    assert response.status_code == 200 and "This will notify" in response.content.decode()
    assert not RuleRun.objects.exists()


def test_only_admins_run_rules(world, login):
    for user in (world.dm_x, world.rep_x):
        client = login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"confirm": "1"}).status_code == 403
    assert not RuleRun.objects.exists()


def test_an_event_rule_has_no_run_now(world, login):
    url = reverse("notifications:rule_run", args=[Rule.PLAN_SUBMITTED])

    response = login(world.admin).post(url, {"confirm": "1"}, follow=True)

    assert "is sent when its event happens" in response.content.decode()
    assert not RuleRun.objects.exists()


def test_a_rules_form_saves_its_own_prefixed_fields(world, login):
    client = login(world.admin)
    url = reverse("notifications:rule_edit", args=[Rule.PLANS_WAITING])

    client.post(
        url,
        {"plans_waiting-is_active": "on", "plans_waiting-days": "5", "plans_waiting-time": "09:30"},
    )

    assert RuleSetting.objects.get(rule=Rule.PLANS_WAITING).days == 5
    assert RuleSetting.objects.get(rule=Rule.MONTH_END).days == 5  # untouched default
