"""`DELETE /api/v1/calls/{id}/` (API.md): a planned call of the caller's scope is deleted (204);
a completed or cancelled one is a 409, another territory's a 404, a stale `If-Match` a 412 with
the current call; the delete reaches every client that synced the call as a sync `delete`; two
writers at once (two DELETEs, a DELETE and a PATCH) leave exactly one winner and no 5xx."""

from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls import services
from calls.models import Call, CallAttendee, CallProduct, CallStatus
from core.concurrency import Conflict
from tests.calls.factories import make_call
from tests.calls.test_api import URL
from tests.concurrency import postgres_only, send_at_once
from tests.factories import CustomerFactory
from tests.sync.conftest import apply, sync_all

pytestmark = pytest.mark.django_db


def planned(cw, attendees=None, **fields):
    return make_call(
        cw.tx,
        attendees or [cw.cx],
        status=CallStatus.PLANNED,
        products=[(cw.px, [cw.km1], "")],
        **fields,
    )


def test_a_rep_deletes_a_planned_call_and_the_history_names_them(cw, api):
    call = planned(cw, [cw.cx, cw.cx2])

    response = api(cw.rep_x).delete(f"{URL}{call.pk}/")

    assert response.status_code == 204, response.content
    assert not Call.objects.filter(pk=call.pk).exists()
    assert not CallAttendee.objects.filter(call_id=call.pk).exists()
    assert not CallProduct.objects.filter(call_id=call.pk).exists()
    assert api(cw.rep_x).get(f"{URL}{call.pk}/").status_code == 404
    last = Call.history.filter(id=call.pk).latest("history_date")
    assert (last.history_type, last.history_user) == ("-", cw.rep_x)


@pytest.mark.parametrize("status", [CallStatus.COMPLETED, CallStatus.CANCELLED])
def test_a_completed_or_cancelled_call_is_a_409_and_kept(cw, api, status):
    call = make_call(cw.tx, [cw.cx], status=status)

    response = api(cw.rep_x).delete(f"{URL}{call.pk}/")

    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert "cannot be deleted" in body["detail"]
    assert Call.objects.filter(pk=call.pk, status=status).exists()


def test_another_territorys_call_is_a_404_and_kept(cw, api):
    theirs = make_call(cw.ty, [cw.cy], status=CallStatus.PLANNED)

    response = api(cw.rep_x).delete(f"{URL}{theirs.pk}/")

    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}
    assert Call.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("persona", ["dm_x", "regional"])
def test_managers_cannot_delete_calls(cw, api, persona):
    call = planned(cw)

    response = api(getattr(cw, persona)).delete(f"{URL}{call.pk}/")

    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert Call.objects.filter(pk=call.pk).exists()


@pytest.mark.parametrize("path", ["not-a-uuid/", "00000000-0000-0000-0000-000000000000/"])
def test_a_malformed_or_unknown_id_is_a_404(cw, api, path):
    response = api(cw.rep_x).delete(f"{URL}{path}")

    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_a_stale_if_match_is_a_412_with_the_current_call_and_nothing_deleted(cw, api):
    call = planned(cw)
    services.call_update(by=cw.rep_x, call=call, notes="changed on the phone")

    stale = api(cw.rep_x).delete(f"{URL}{call.pk}/", HTTP_IF_MATCH='"1"')
    current = api(cw.rep_x).delete(f"{URL}{call.pk}/", HTTP_IF_MATCH='"2"')

    assert stale.status_code == 412
    body = stale.json()
    assert body["detail"] and body["errors"] == {}
    assert (body["version"], body["notes"]) == (2, "changed on the phone")
    assert stale["ETag"] == '"2"'
    assert current.status_code == 204


def test_deleting_twice_is_a_404_the_second_time(cw, api):
    call = planned(cw)
    client = api(cw.rep_x)

    assert client.delete(f"{URL}{call.pk}/").status_code == 204
    assert client.delete(f"{URL}{call.pk}/").status_code == 404


def test_the_history_names_who_deleted_outside_a_request_too(cw):
    call = planned(cw, [cw.cx, cw.cx2])

    services.call_delete(by=cw.rep_x, call=call)

    removed = [
        *Call.history.filter(id=call.pk, history_type="-"),
        *CallAttendee.history.filter(call_id=call.pk, history_type="-"),
        *CallProduct.history.filter(call_id=call.pk, history_type="-"),
    ]
    assert len(removed) == 4
    assert {row.history_user for row in removed} == {cw.rep_x}


def test_the_service_refuses_a_completed_call_whoever_calls_it(cw):
    call = make_call(cw.tx, [cw.cx])

    with pytest.raises(Conflict):
        services.call_delete(by=cw.admin, call=call)
    assert Call.objects.filter(pk=call.pk).exists()


def test_a_delete_costs_the_same_queries_whatever_the_call_holds_but_its_history_rows(cw, api):
    """One history row per attendee and product removed (the audit); nothing else grows."""
    client = api(cw.rep_x)
    small = planned(cw)
    others = [CustomerFactory(institution=cw.hx, territory=cw.tx) for _ in range(3)]
    large = planned(cw, [cw.cx, cw.cx2, *others])

    def queries(call):
        with CaptureQueriesContext(connection) as captured:
            assert client.delete(f"{URL}{call.pk}/").status_code == 204
        return len(captured)

    assert queries(large) - queries(small) == len(others) + 1  # the 4 more attendees' history


def test_the_schema_documents_the_delete_with_if_match_and_its_answers(client, cw):
    client.force_login(cw.rep_x)

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    delete = schema["paths"]["/api/v1/calls/{id}/"]["delete"]
    assert {"204", "404", "409", "412"} <= set(delete["responses"])
    assert "If-Match" in {p["name"] for p in delete.get("parameters", [])}


# --- the sync: every client that had the call hears of the delete ------------------------------


def test_the_delete_reaches_every_client_that_synced_the_call(cw, api):
    call = planned(cw)
    tablet, phone = api(cw.rep_x), api(cw.rep_x)  # two devices of the rep
    manager, stranger = api(cw.dm_x), api(cw.rep_y)
    stores, cursors = {}, {}
    for name, client in {"tablet": tablet, "phone": phone, "manager": manager}.items():
        changes, cursors[name] = sync_all(client, types="calls")
        stores[name] = apply({}, changes)
        assert ("calls", str(call.pk)) in stores[name]
    _changes, stranger_cursor = sync_all(stranger, types="calls")

    assert tablet.delete(f"{URL}{call.pk}/").status_code == 204

    for name, client in {"tablet": tablet, "phone": phone, "manager": manager}.items():
        changes, _cursor = sync_all(client, since=cursors[name], types="calls")
        assert changes == [{"type": "calls", "op": "delete", "id": str(call.pk)}], name
        assert ("calls", str(call.pk)) not in apply(stores[name], changes)
    assert sync_all(stranger, since=stranger_cursor, types="calls")[0] == []  # never had it


# --- two writers at once (PostgreSQL) ---------------------------------------------------------


@postgres_only
def test_two_deletes_at_once_have_one_winner(cw, api):
    call = planned(cw)
    url = f"{URL}{call.pk}/"
    clients = [api(cw.rep_x), api(cw.rep_x)]

    responses = send_at_once([partial(c.delete, url) for c in clients])

    assert sorted(r.status_code for r in responses) == [204, 404]
    assert not Call.objects.filter(pk=call.pk).exists()
    assert Call.history.filter(id=call.pk, history_type="-").count() == 1


@postgres_only
@pytest.mark.parametrize("repeat", range(2))
def test_a_delete_and_a_patch_with_one_if_match_have_one_winner(cw, api, repeat):
    call = planned(cw)
    url = f"{URL}{call.pk}/"
    deleter, editor = api(cw.rep_x), api(cw.rep_x)

    deleted, patched = send_at_once(
        [
            partial(deleter.delete, url, HTTP_IF_MATCH='"1"'),
            partial(editor.patch, url, {"notes": "x"}, format="json", HTTP_IF_MATCH='"1"'),
        ]
    )

    outcome = (deleted.status_code, patched.status_code)
    assert outcome in {(204, 404), (412, 200)}, outcome
    stored = Call.objects.filter(pk=call.pk).first()
    if deleted.status_code == 204:
        assert stored is None
    else:
        assert (stored.version, stored.notes) == (2, "x")


@postgres_only
def test_a_delete_racing_the_log_of_the_call_leaves_one_outcome(cw, api):
    call = planned(cw)
    url = f"{URL}{call.pk}/"
    deleter, logger = api(cw.rep_x), api(cw.rep_x)

    deleted, logged = send_at_once(
        [
            partial(deleter.delete, url),
            partial(logger.patch, url, {"status": "completed"}, format="json"),
        ]
    )

    outcome = (deleted.status_code, logged.status_code)
    assert outcome in {(204, 404), (409, 200)}, outcome
    stored = Call.objects.filter(pk=call.pk).first()
    assert (stored is None) == (deleted.status_code == 204)
    if stored is not None:
        assert stored.status == CallStatus.COMPLETED
