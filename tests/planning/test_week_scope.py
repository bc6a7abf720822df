"""The week planner looks customers up in the rep's scope: a customer of another territory is
answered exactly like an id that names no customer, and never named."""

import uuid

import pytest
from django.utils import timezone

from calls.models import Call

pytestmark = pytest.mark.django_db

ENGLISH = "A chosen customer is not one of yours, or no longer exists."
CHINESE = "所选客户不属于您，或已不存在。"


def _messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_customer_out_of_scope_is_answered_like_no_customer(pw, login, language):
    if language == "zh-hans":
        pw.rep_x.language = "zh-hans"
        pw.rep_x.save()
    client = login(pw.rep_x)
    day = timezone.localdate().isoformat()
    outside = [pw.cy, pw.cfar, pw.ccv]  # another district, same team elsewhere, another team
    answers = set()
    for value in [*(str(c.pk) for c in outside), str(uuid.uuid4()), "abc"]:
        response = client.post(
            "/plans/week/", {"day": day, "customers": [str(pw.cx.pk), value]}, follow=True
        )
        assert response.status_code == 200
        page = response.content.decode()
        for customer in outside:
            assert customer.name not in page and customer.name_en not in page
        answers.add(tuple(_messages(response)))
    assert answers == {(ENGLISH if language == "en" else CHINESE,)}
    assert not Call.objects.exists()


def test_the_rep_s_own_customers_are_planned(pw, login):
    client = login(pw.rep_x)
    day = timezone.localdate().isoformat()
    client.post("/plans/week/", {"day": day, "customers": [str(pw.cx.pk), str(pw.cx2.pk)]})
    assert {c.pk for call in Call.objects.all() for c in call.customers.all()} == {
        pw.cx.pk,
        pw.cx2.pk,
    }


@pytest.mark.parametrize("persona", ["dm_y", "admin"])
def test_managers_and_admins_do_not_plan_a_rep_s_week(pw, login, persona):
    response = login(getattr(pw, persona)).post(
        "/plans/week/", {"day": timezone.localdate().isoformat(), "customers": [str(pw.cx.pk)]}
    )
    assert response.status_code == 403
    assert not Call.objects.exists()
