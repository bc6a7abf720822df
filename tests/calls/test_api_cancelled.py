"""A call created `cancelled` through the API (API.md): a client recording a visit that did not
happen — planned and cancelled offline before it synced. Allowed with its attendees and what was
planned; refused with feedback or materials (nothing was discussed or handed over)."""

import datetime
import uuid

import pytest
from django.utils import timezone

from calls.models import Call, CallStatus
from tests.calls.test_api import URL

pytestmark = pytest.mark.django_db


def cancelled(cw, **overrides):
    return {
        "customers": [str(cw.cx.pk)],
        "date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "status": "cancelled",
        "objective": "Present the PFS data",
        "notes": "The doctor was called into surgery",
        **overrides,
    }


def test_a_client_records_a_cancelled_call_without_products_or_feedback(cw, api):
    response = api(cw.rep_x).post(URL, cancelled(cw), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["products"], body["materials"]) == ("cancelled", [], [])
    assert body["completed_at"] is None
    assert body["start_time"] is None  # a completed call's default, not a cancelled one's
    call = Call.objects.get()
    assert call.status == CallStatus.CANCELLED
    assert list(call.customers.all()) == [cw.cx]


def test_a_cancelled_call_may_name_the_products_it_would_have_presented(cw, api):
    data = cancelled(cw, products=[{"product": str(cw.px.pk), "key_messages": [str(cw.km1.pk)]}])

    response = api(cw.rep_x).post(URL, data, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["products"][0]["product"] == str(cw.px.pk)


def test_a_cancelled_call_is_not_dated_by_the_backdating_limit_of_a_completed_one(cw, api):
    long_ago = timezone.localdate() - datetime.timedelta(days=60)

    response = api(cw.rep_x).post(URL, cancelled(cw, date=long_ago.isoformat()), format="json")

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (lambda cw: {"products": [{"product": str(cw.px.pk), "feedback": "Keen"}]}, "products"),
        (
            lambda cw: {"products": [{"product": str(cw.px.pk), "adoption_stage": "trial"}]},
            "products",
        ),
        (lambda cw: {"materials": [{"material": str(cw.sample.pk), "quantity": 1}]}, "materials"),
        (lambda cw: {"customers": [str(cw.cy.pk)]}, "customers"),
        (lambda cw: {"customers": []}, "customers"),
        (lambda cw: {"status": "abandoned"}, "status"),
    ],
    ids=["feedback", "adoption-stage", "samples", "other-territory", "nobody", "unknown-status"],
)
def test_a_cancelled_call_with_what_only_a_visit_has_is_a_400_and_nothing_is_written(
    cw, api, overrides, field
):
    response = api(cw.rep_x).post(URL, cancelled(cw, **overrides(cw)), format="json")

    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert field in errors, errors
    if field in ("products", "materials"):  # the rule of a cancelled call, not another one
        assert "cancelled call" in str(errors[field])
    assert not Call.objects.exists()


def test_a_cancelled_create_is_idempotent_and_cannot_be_changed_afterwards(cw, api):
    client = api(cw.rep_x)
    data = cancelled(cw, id=str(uuid.uuid4()))

    first = client.post(URL, data, format="json")
    again = client.post(URL, data, format="json")
    changed = client.patch(f"{URL}{data['id']}/", {"status": "completed"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert changed.status_code == 409
    assert Call.objects.get().status == CallStatus.CANCELLED
