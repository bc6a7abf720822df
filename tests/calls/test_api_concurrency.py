"""API.md's optimistic concurrency and idempotent create hold when the requests arrive at the
same moment: of several PATCHes or PUTs with the same `If-Match` exactly one succeeds and the
others answer 412 with the winner's call; several copies of one create store one call and all
answer it (201 once, 200 for the others); the same id with other content is a 409.

The races need PostgreSQL (SQLite serialises writers on the whole database); the rule itself —
the version is compared under the row lock, after a write that slipped in between reading and
locking — is checked on any database."""

from functools import partial

import pytest

from calls import services
from calls.api import CallViewSet
from calls.models import Call
from core.concurrency import Stale
from tests.calls.factories import make_call
from tests.calls.test_api import URL, payload
from tests.concurrency import WRITERS, postgres_only, send_at_once
from tests.concurrency import codes as _codes

# --- on PostgreSQL: real races ----------------------------------------------------------------


@postgres_only
@pytest.mark.parametrize("repeat", range(3))
def test_concurrent_patches_with_one_if_match_have_one_winner(cw, api, repeat):
    call = make_call(cw.tx, [cw.cx])
    url = f"{URL}{call.pk}/"
    clients = [api(cw.rep_x) for _ in range(WRITERS)]

    responses = send_at_once(
        [
            partial(c.patch, url, {"notes": f"writer {i}"}, format="json", HTTP_IF_MATCH='"1"')
            for i, c in enumerate(clients)
        ]
    )

    assert _codes(responses) == [200] + [412] * (WRITERS - 1), [r.json() for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    call.refresh_from_db()
    assert call.version == 2
    assert call.notes == winner["notes"]
    for loser in (r for r in responses if r.status_code == 412):
        body = loser.json()
        assert body["detail"] and body["errors"] == {}
        assert (body["version"], body["notes"]) == (2, winner["notes"])
        assert loser["ETag"] == '"2"'
    assert call.history.count() == 2  # created, then one change: no write was lost silently


@postgres_only
def test_concurrent_puts_with_one_if_match_have_one_winner(cw, api):
    created = api(cw.rep_x).post(URL, payload(cw), format="json").json()
    url = f"{URL}{created['id']}/"
    clients = [api(cw.rep_x) for _ in range(WRITERS)]

    responses = send_at_once(
        [
            partial(
                c.put,
                url,
                payload(cw, objective=f"objective {i}"),
                format="json",
                HTTP_IF_MATCH='"1"',
            )
            for i, c in enumerate(clients)
        ]
    )

    assert _codes(responses) == [200] + [412] * (WRITERS - 1)
    winner = next(r.json() for r in responses if r.status_code == 200)
    call = Call.objects.get()
    assert (call.version, call.objective) == (2, winner["objective"])


@postgres_only
def test_concurrent_identical_creates_store_one_call_and_all_answer_it(cw, api):
    data = payload(cw, id="6b0f4a52-8a9e-4c43-a4f7-2f1b0b1c0d01")
    clients = [api(cw.rep_x) for _ in range(WRITERS)]

    responses = send_at_once([partial(c.post, URL, data, format="json") for c in clients])

    assert _codes(responses) == [200] * (WRITERS - 1) + [201], [r.json() for r in responses]
    assert {r.json()["id"] for r in responses} == {data["id"]}
    assert {r.json()["version"] for r in responses} == {1}
    assert Call.objects.count() == 1
    assert Call.objects.get().call_materials.count() == 1


@postgres_only
def test_concurrent_creates_of_one_id_with_other_content_store_one_and_refuse_the_rest(cw, api):
    call_id = "6b0f4a52-8a9e-4c43-a4f7-2f1b0b1c0d02"
    clients = [api(cw.rep_x) for _ in range(WRITERS)]

    responses = send_at_once(
        [
            partial(c.post, URL, payload(cw, id=call_id, notes=f"writer {i}"), format="json")
            for i, c in enumerate(clients)
        ]
    )

    assert _codes(responses) == [201] + [409] * (WRITERS - 1), [r.json() for r in responses]
    stored = Call.objects.get()
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert stored.notes == winner["notes"]
    for refused in (r.json() for r in responses if r.status_code == 409):
        assert set(refused) == {"detail", "errors"}


# --- on any database: the rule ---------------------------------------------------------------


@pytest.fixture
def someone_writes_after_the_read(monkeypatch):
    """The first `get_object()` of a request returns the call as read; right after it another
    writer changes the call (as a concurrent request would, between the read and the lock)."""
    original = CallViewSet.get_object
    done = []

    def get_object(self):
        call = original(self)
        if not done:
            done.append(True)
            services.call_update(by=self.request.user, call=call, notes="the other writer's")
        return call

    monkeypatch.setattr(CallViewSet, "get_object", get_object)


@pytest.mark.django_db
def test_a_change_between_the_read_and_the_lock_is_a_412_and_kept(
    cw, api, someone_writes_after_the_read
):
    call = make_call(cw.tx, [cw.cx])

    response = api(cw.rep_x).patch(
        f"{URL}{call.pk}/", {"notes": "mine"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 412
    assert (response.json()["version"], response.json()["notes"]) == (2, "the other writer's")
    call.refresh_from_db()
    assert (call.version, call.notes) == (2, "the other writer's")


@pytest.mark.django_db
def test_the_service_refuses_a_stale_expected_version_and_saves_nothing(cw):
    call = make_call(cw.tx, [cw.cx])
    services.call_update(by=cw.rep_x, call=call, notes="first", expected_version=1)

    with pytest.raises(Stale) as stale:
        services.call_update(by=cw.rep_x, call=call, notes="second", expected_version=1)

    assert stale.value.version == 2 and "version 2" in stale.value.message
    call.refresh_from_db()
    assert (call.version, call.notes) == (2, "first")
    with pytest.raises(Stale):
        services.call_complete(by=cw.rep_x, call=call, expected_version=1)


@pytest.mark.django_db
def test_a_sequential_stale_if_match_is_still_a_412_also_with_a_bad_body(cw, api):
    call = make_call(cw.tx, [cw.cx])
    client = api(cw.rep_x)
    assert client.patch(f"{URL}{call.pk}/", {"notes": "a"}, format="json").status_code == 200

    stale = client.patch(f"{URL}{call.pk}/", {"notes": "b"}, format="json", HTTP_IF_MATCH='"1"')
    bad_and_stale = client.patch(
        f"{URL}{call.pk}/", {"duration_minutes": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    garbage = client.patch(f"{URL}{call.pk}/", {"notes": "c"}, format="json", HTTP_IF_MATCH='"abc"')
    star = client.patch(f"{URL}{call.pk}/", {"notes": "d"}, format="json", HTTP_IF_MATCH="*")

    assert (stale.status_code, bad_and_stale.status_code, garbage.status_code) == (412,) * 3
    assert star.status_code == 200
    call.refresh_from_db()
    assert (call.version, call.notes) == (3, "d")
