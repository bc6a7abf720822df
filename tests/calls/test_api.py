"""Contract of /api/v1/calls/: fields, scope, bad input, idempotent create, If-Match / ETag,
the lock (409) and the error shape."""

import datetime
import uuid

import pytest
from django.utils import timezone

from calls.models import Call, CallStatus
from tests.calls.factories import make_call
from tests.conftest import VISIBLE

pytestmark = pytest.mark.django_db

URL = "/api/v1/calls/"


def payload(cw, **overrides):
    data = {
        "customers": [str(cw.cx.pk)],
        "date": timezone.localdate().isoformat(),
        "start_time": "09:30",
        "duration_minutes": 20,
        "channel": "face_to_face",
        "status": "completed",
        "objective": "Introduce the PFS data",
        "products": [
            {"product": str(cw.px.pk), "key_messages": [str(cw.km1.pk)], "feedback": "Keen"}
        ],
        "commitments": {"measurable": "Try on 3 patients", "next_appointment": "Thursday"},
        "next_objective": "Collect experience",
        "materials": [{"material": str(cw.leaflet.pk), "quantity": 2}],
        "co_visitor": cw.dm_x.pk,
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_rep_creates_a_call_with_the_fields_of_the_contract(cw, api):
    response = api(cw.rep_x).post(URL, payload(cw), format="json")

    assert response.status_code == 201, response.json()
    row = response.json()
    for field in (
        "id",
        "territory",
        "rep",
        "customers",
        "date",
        "start_time",
        "duration_minutes",
        "channel",
        "status",
        "objective",
        "products",
        "commitments",
        "next_objective",
        "materials",
        "co_visitor",
        "notes",
        "version",
        "updated_at",
    ):
        assert field in row, field
    assert row["territory"] == str(cw.tx.pk)
    assert row["rep"] == cw.rep_x.pk
    assert row["customers"] == [str(cw.cx.pk)]
    assert row["products"][0]["key_messages"] == [str(cw.km1.pk)]
    assert row["commitments"]["measurable"] == "Try on 3 patients"
    assert row["materials"] == [{"material": str(cw.leaflet.pk), "quantity": 2}]
    assert row["version"] == 1
    assert response["ETag"] == '"1"'


@pytest.mark.parametrize("persona", VISIBLE)
def test_lists_and_details_are_scoped(cw, api, persona):
    calls = {"cx": make_call(cw.tx, [cw.cx]), "cy": make_call(cw.ty, [cw.cy])}
    client = api(getattr(cw, persona))

    listed = {row["id"] for row in client.get(URL).json()["results"]}

    assert listed == {str(calls[c].pk) for c in VISIBLE[persona]}
    for name, call in calls.items():
        expected = 200 if name in VISIBLE[persona] else 404
        assert client.get(f"{URL}{call.pk}/").status_code == expected


def test_filters_narrow_the_scoped_list(cw, api):
    a = make_call(cw.tx, [cw.cx], products=[(cw.px, [], "")])
    b = make_call(
        cw.tx, [cw.cx2], status=CallStatus.PLANNED, date=timezone.localdate().replace(day=1)
    )
    client = api(cw.rep_x)

    def ids(**params):
        return {row["id"] for row in client.get(URL, params).json()["results"]}

    assert ids(customer=cw.cx2.pk) == {str(b.pk)}
    assert ids(product=cw.px.pk) == {str(a.pk)}
    assert ids(status="planned") == {str(b.pk)}
    assert ids(institution=cw.hx.pk) == {str(a.pk), str(b.pk)}
    assert ids(date_from=timezone.localdate().isoformat()) >= {str(a.pk)}
    assert client.get(URL, {"institution": cw.hy.pk}).status_code == 400  # not in scope


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (lambda cw: {"customers": [str(cw.cy.pk)]}, "customers"),
        (lambda cw: {"products": [{"product": str(cw.p_off.pk)}]}, "products"),
        (lambda cw: {"products": [{"product": str(cw.py.pk)}]}, "products"),
        (
            lambda cw: {"materials": [{"material": str(cw.old_leaflet.pk), "quantity": 1}]},
            "materials",
        ),
        (lambda cw: {"materials": [{"material": str(cw.leaflet.pk), "quantity": -1}]}, "materials"),
        (lambda cw: {"date": "2099-01-01"}, "date"),
        (lambda cw: {"date": "2020-01-01"}, "date"),
        (lambda cw: {"co_visitor": cw.dm_y.pk}, "co_visitor"),
        (lambda cw: {"channel": "carrier_pigeon"}, "channel"),
        (lambda cw: {"territory": str(cw.ty.pk)}, "territory"),
        (lambda cw: {"gift": "a watch", "customers": []}, "customers"),
    ],
    ids=[
        "other-territory-customer",
        "inactive-product",
        "other-team-product",
        "inactive-material",
        "negative-quantity",
        "future",
        "beyond-backdating",
        "not-a-manager",
        "channel",
        "other-territory",
        "no-customer",
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(cw, api, overrides, field):
    response = api(cw.rep_x).post(URL, payload(cw, **overrides(cw)), format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["detail"]
    assert field in body["errors"], body
    assert not Call.objects.exists()


def test_managers_read_but_do_not_write_calls(cw, api):
    for persona in (cw.dm_x, cw.regional):
        response = api(persona).post(URL, payload(cw, territory=str(cw.tx.pk)), format="json")
        assert response.status_code == 403
        assert set(response.json()) == {"detail", "errors"}
    assert not Call.objects.exists()


# --- idempotent create ----------------------------------------------------------------------


def test_the_same_create_twice_answers_the_existing_call(cw, api):
    client = api(cw.rep_x)
    data = payload(cw, id=str(uuid.uuid4()))

    first = client.post(URL, data, format="json")
    again = client.post(URL, data, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == data["id"] == first.json()["id"]
    assert again.json()["version"] == 1
    assert Call.objects.count() == 1


def test_the_same_id_with_other_content_is_a_409(cw, api):
    client = api(cw.rep_x)
    data = payload(cw, id=str(uuid.uuid4()))
    client.post(URL, data, format="json")

    response = client.post(URL, {**data, "notes": "something else"}, format="json")

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}
    assert Call.objects.get().notes == ""


def test_an_id_taken_outside_ones_scope_is_a_409_without_revealing_it(cw, api):
    theirs = make_call(cw.ty, [cw.cy])

    response = api(cw.rep_x).post(URL, payload(cw, id=str(theirs.pk)), format="json")

    assert response.status_code == 409
    assert "李明" not in response.content.decode()


# --- If-Match / ETag ------------------------------------------------------------------------


def test_a_patch_with_the_current_version_succeeds_and_bumps_it(cw, api):
    client = api(cw.rep_x)
    created = client.post(URL, payload(cw), format="json").json()

    response = client.patch(
        f"{URL}{created['id']}/", {"notes": "Add a note"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert response.json()["notes"] == "Add a note"
    assert response["ETag"] == '"2"'
    assert client.get(f"{URL}{created['id']}/")["ETag"] == '"2"'


def test_a_stale_if_match_is_a_412_with_the_current_call(cw, api):
    client = api(cw.rep_x)
    created = client.post(URL, payload(cw), format="json").json()
    client.patch(f"{URL}{created['id']}/", {"notes": "first"}, format="json")

    response = client.patch(
        f"{URL}{created['id']}/", {"notes": "second"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 412
    body = response.json()
    assert body["detail"] and body["errors"] == {}
    assert body["version"] == 2
    assert body["notes"] == "first"
    assert response["ETag"] == '"2"'
    assert Call.objects.get().notes == "first"


def test_a_put_replaces_products_and_materials(cw, api):
    client = api(cw.rep_x)
    created = client.post(URL, payload(cw), format="json").json()

    response = client.put(
        f"{URL}{created['id']}/",
        payload(cw, products=[], materials=[{"material": str(cw.sample.pk), "quantity": 1}]),
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.json()
    assert response.json()["products"] == []
    assert response.json()["materials"] == [{"material": str(cw.sample.pk), "quantity": 1}]


def test_a_locked_call_is_a_409_and_unchanged(cw, api):
    call = make_call(cw.tx, [cw.cx], completed_at=timezone.now() - datetime.timedelta(days=8))

    response = api(cw.rep_x).patch(f"{URL}{call.pk}/", {"notes": "late"}, format="json")

    assert response.status_code == 409
    assert "locked" in response.json()["detail"]
    assert response.json()["errors"] == {}
    call.refresh_from_db()
    assert call.notes == ""
    assert api(cw.rep_x).get(f"{URL}{call.pk}/").json()["locked"] is True


def test_an_illegal_status_change_is_a_409(cw, api):
    call = make_call(cw.tx, [cw.cx])

    response = api(cw.rep_x).patch(f"{URL}{call.pk}/", {"status": "planned"}, format="json")

    assert response.status_code == 409


def test_a_planned_call_is_completed_by_a_patch(cw, api):
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)

    response = api(cw.rep_x).patch(f"{URL}{call.pk}/", {"status": "completed"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "completed"
    assert response.json()["locked"] is False


def test_a_rep_cannot_change_another_territorys_call(cw, api):
    theirs = make_call(cw.ty, [cw.cy])

    response = api(cw.rep_x).patch(f"{URL}{theirs.pk}/", {"notes": "x"}, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.notes == ""


def test_the_schema_documents_calls(client, world):
    client.force_login(world.rep_x)  # the schema is for signed-in users
    schema = client.get("/api/schema/")

    assert b"/api/v1/calls/" in schema.content
    assert b"If-Match" in schema.content
