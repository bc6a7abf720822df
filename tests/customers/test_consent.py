"""A customer's consent (to visits and per channel, with its day and source): shown and edited
on the customer's page, in the customers/ API; bad input, a stale form and scope. And an
institution's rep visiting days in the institutions/ API and on its page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Customer, Institution, RepVisits

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def consent_data(customer, **overrides):
    data = {
        "consent_visits": "true",
        "consent_face_to_face": "true",
        "consent_phone": "false",
        "consent_video": "",
        "consent_meeting": "",
        "consent_date": TODAY().isoformat(),
        "consent_source": "written",
        "version": str(customer.version),
    }
    data.update(overrides)
    return {f"consent-{k}": v for k, v in data.items()}


def consent_url(customer):
    return reverse("customers:consent", args=[customer.pk])


def test_a_rep_records_consent_on_the_customers_page(world, login):
    client = login(world.rep_x)
    page = client.get(reverse("customers:detail", args=[world.cx.pk])).content.decode()
    assert 'id="consent-h"' in page and consent_url(world.cx) in page

    response = client.post(consent_url(world.cx), consent_data(world.cx))

    assert response.status_code == 302
    cx = Customer.objects.get(pk=world.cx.pk)
    assert (cx.consent_visits, cx.consent_face_to_face, cx.consent_phone, cx.consent_video) == (
        True,
        True,
        False,
        None,
    )
    assert (cx.consent_date, cx.consent_source) == (TODAY(), "written")
    assert cx.consents_to("face_to_face") and not cx.consents_to("phone")
    assert cx.history.first().history_user == world.rep_x  # audited


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent_date": ""}, "consent_date", "Give the day the consent was given."),
        ({"consent_source": ""}, "consent_source", "Say how the consent was given."),
        (
            {"consent_date": (TODAY() + datetime.timedelta(days=1)).isoformat()},
            "consent_date",
            "The consent cannot be dated in the future.",
        ),
        ({"consent_phone": "maybe"}, "consent_phone", "Select a valid choice."),
    ],
    ids=["no-date", "no-source", "future", "bad-answer"],
)
def test_bad_consent_is_a_400_on_the_page_and_nothing_is_written(
    world, login, overrides, field, message
):
    response = login(world.rep_x).post(consent_url(world.cx), consent_data(world.cx, **overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Customer.objects.get(pk=world.cx.pk).consent_visits is None


def test_a_stale_consent_form_is_refused(world, login):
    stale = consent_data(world.cx)
    world.cx.title = "主任"
    world.cx.save()

    response = login(world.rep_x).post(consent_url(world.cx), stale)

    assert response.status_code == 400
    assert "changed" in response.content.decode()
    assert Customer.objects.get(pk=world.cx.pk).consent_visits is None


def test_another_territorys_customer_is_a_404_and_a_regional_manager_only_reads(world, login):
    assert login(world.rep_y).post(consent_url(world.cx), consent_data(world.cx)).status_code == 404
    client = login(world.regional)
    assert client.post(consent_url(world.cx), consent_data(world.cx)).status_code == 403
    page = client.get(reverse("customers:detail", args=[world.cx.pk])).content.decode()
    assert 'id="consent-h"' in page and "not asked" in page


def test_the_consent_card_in_chinese(world, login):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    with translation.override("zh-hans"):
        page = login(world.rep_x).get(reverse("customers:detail", args=[world.cx.pk]))

    html = page.content.decode()
    assert "同意" in html and "同意代表拜访" in html and "未询问" in html


def test_the_api_reads_and_writes_consent(world, api):
    client = api(world.rep_x)
    url = f"/api/v1/customers/{world.cx.pk}/"

    body = {
        "consent_visits": True,
        "consent_video": True,
        "consent_date": TODAY().isoformat(),
        "consent_source": "electronic",
    }
    response = client.patch(url, body, format="json")
    more = client.patch(url, {"consent_meeting": False}, format="json")  # the date is set
    missing = api(world.rep_y).patch(
        f"/api/v1/customers/{world.cy.pk}/", {"consent_visits": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["consent_visits"], data["consent_video"], data["consent_phone"]) == (
        True,
        True,
        None,
    )
    assert data["consent_source"] == "electronic"
    assert more.status_code == 200
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"consent_date", "consent_source"}
    assert Customer.objects.get(pk=world.cy.pk).consent_visits is None


# The institution's visiting days


def test_an_admin_sets_an_institutions_visiting_days_through_the_api(world, api):
    url = f"/api/v1/institutions/{world.hx.pk}/"
    client = api(world.admin)

    response = client.patch(url, {"rep_visits": "set_days", "rep_visit_days": [5, 2]}, "json")
    empty = client.patch(url, {"rep_visit_days": []}, format="json")
    bad = client.patch(url, {"rep_visit_days": [8]}, format="json")
    twice = client.patch(url, {"rep_visit_days": [2, 2]}, format="json")
    by_rep = api(world.rep_x).patch(url, {"rep_visits": "refused"}, format="json")

    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["rep_visits"], answer["rep_visit_days"]) == ("set_days", [2, 5])
    assert Institution.objects.get(pk=world.hx.pk).rep_visit_days == "25"
    for answer in (empty, bad, twice):
        assert answer.status_code == 400
        assert "rep_visit_days" in answer.json()["errors"]
    assert by_rep.status_code == 403
    assert Institution.objects.get(pk=world.hx.pk).rep_visits == RepVisits.SET_DAYS


def test_the_institution_page_says_when_reps_are_admitted(world, login):
    world.hx.rep_visits, world.hx.rep_visit_days = RepVisits.SET_DAYS, "25"
    world.hx.save()

    page = login(world.rep_x).get(reverse("customers:institution_detail", args=[world.hx.pk]))

    assert "Only on set weekdays: Tuesday, Friday" in page.content.decode()
