"""API.md's optimistic concurrency on every resource with a `version` (calls and plans have
their own tests): the answer carries `ETag: "<version>"`; `PATCH`/`PUT` with a stale
`If-Match` answer 412 with the current record and change nothing; of several writes sent at
once with the same `If-Match` exactly one succeeds (PostgreSQL: real races), because the version
is compared under the row lock — also checked on any database by a write slipped in between the
request's read and its lock."""

import datetime
from functools import partial

import pytest

from customers.models import Alignment
from org.api import ScopedViewSet
from org.models import Absence, AbsenceReason
from tests.concurrency import WRITERS, postgres_only, send_at_once
from tests.factories import ProductFactory


def _alignment(w):
    return Alignment.objects.get(customer=w.cx)


def _absence(w):
    return Absence.objects.create(
        rep=w.rep_x,
        date_from=datetime.date(2026, 11, 2),
        date_to=datetime.date(2026, 11, 3),
        reason=AbsenceReason.TRAINING,
    )


def _text(i):
    return f"写入 {i}"


def _day(i):
    return f"2099-12-{i + 10:02d}"


# resource: (writer persona, the record, the field a PATCH changes, its value for writer i)
RESOURCES = {
    "customers": ("rep_x", lambda w: w.cx, "title", _text),  # name: a change request (mdm)
    "alignments": ("dm_x", _alignment, "valid_to", _day),
    "institutions": ("admin", lambda w: w.hx, "name", _text),
    "departments": ("admin", lambda w: w.dx, "name", _text),
    "territories": ("admin", lambda w: w.tx, "name", _text),
    "users": ("admin", lambda w: w.rep_x, "name", _text),
    "absences": ("rep_x", _absence, "note", _text),
    "regions": ("admin", lambda w: w.region, "name", _text),
    "districts": ("admin", lambda w: w.district_x, "name", _text),
    "products": ("admin", lambda w: ProductFactory(), "name", _text),
    "teams": ("admin", lambda w: w.tx.team, "name", _text),
}


class Case:
    def __init__(self, world, api, resource):
        persona, make, self.field, self.value = RESOURCES[resource]
        self.record = make(world)
        self.model = type(self.record)
        self.url = f"/api/v1/{resource}/{self.record.pk}/"
        self.writer = partial(api, getattr(world, persona))
        self.client = self.writer()

    def stored(self):
        record = self.model._base_manager.get(pk=self.record.pk)
        return record.version, str(getattr(record, self.field))

    def patch(self, i, if_match=None, client=None):
        headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match}
        return (client or self.client).patch(
            self.url, {self.field: self.value(i)}, format="json", **headers
        )


@pytest.fixture(params=sorted(RESOURCES))
def case(request, world, api):
    return Case(world, api, request.param)


@pytest.mark.django_db
def test_a_record_is_answered_with_its_etag(case):
    version, _value = case.stored()

    response = case.client.get(case.url)

    assert response.status_code == 200
    assert response.json()["version"] == version
    assert response["ETag"] == f'"{version}"'


@pytest.mark.django_db
def test_the_current_if_match_succeeds_and_the_etag_moves_on(case):
    version, _value = case.stored()

    response = case.patch(1, f'"{version}"')

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == version + 1
    assert response["ETag"] == f'"{version + 1}"'
    assert case.stored() == (version + 1, case.value(1))
    assert case.client.get(case.url)["ETag"] == f'"{version + 1}"'


@pytest.mark.django_db
def test_a_stale_if_match_is_a_412_with_the_current_record_and_changes_nothing(case):
    version, _value = case.stored()
    assert case.patch(1).status_code == 200  # another writer, without If-Match

    response = case.patch(2, f'"{version}"')

    assert response.status_code == 412
    body = response.json()
    assert body["detail"] and body["errors"] == {}
    assert body["version"] == version + 1
    assert str(body[case.field]) == case.value(1)
    assert response["ETag"] == f'"{version + 1}"'
    assert case.stored() == (version + 1, case.value(1))


@pytest.mark.django_db
@pytest.mark.parametrize("resource", ["customers", "territories", "users", "alignments"])
def test_a_malformed_if_match_is_a_412_and_star_or_none_is_the_last_writer(world, api, resource):
    case = Case(world, api, resource)
    version, _value = case.stored()

    garbage = [case.patch(1, header).status_code for header in ('"abc"', 'W/"x"', '"-1"')]
    weak = case.patch(2, f'W/"{version}"')
    star = case.patch(3, "*")
    none = case.patch(4)

    assert garbage == [412, 412, 412]
    assert (weak.status_code, star.status_code, none.status_code) == (200, 200, 200)
    assert case.stored() == (version + 3, case.value(4))


@pytest.mark.django_db
def test_a_stale_if_match_is_a_412_also_with_a_bad_body(world, api):
    case = Case(world, api, "territories")
    version, _value = case.stored()
    case.patch(1)

    response = case.client.patch(
        case.url, {"team": "not an id"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )

    assert response.status_code == 412


@pytest.fixture
def someone_writes_after_the_read(monkeypatch):
    """The first `get_object()` of a request returns the record as read; right after it another
    writer changes it (as a concurrent request would, between the read and the row lock)."""
    original = ScopedViewSet.get_object
    done = []

    def get_object(self):
        record = original(self)
        if not done:
            done.append(True)
            type(record)._base_manager.get(pk=record.pk).save()
        return record

    monkeypatch.setattr(ScopedViewSet, "get_object", get_object)


@pytest.mark.django_db
def test_a_change_between_the_read_and_the_lock_is_a_412(case, someone_writes_after_the_read):
    version, before = case.stored()

    response = case.patch(1, f'"{version}"')

    assert response.status_code == 412
    assert response.json()["version"] == version + 1
    assert case.stored() == (version + 1, before)


@postgres_only
@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_concurrent_patches_with_one_if_match_have_one_winner(world, api, resource):
    case = Case(world, api, resource)
    version, _value = case.stored()
    clients = [case.writer() for _ in range(WRITERS)]

    responses = send_at_once(
        [partial(case.patch, i, f'"{version}"', client) for i, client in enumerate(clients)]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [412] * (WRITERS - 1), [r.json() for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert case.stored() == (version + 1, str(winner[case.field]))
    for loser in (r for r in responses if r.status_code == 412):
        assert loser.json()["version"] == version + 1
        assert str(loser.json()[case.field]) == str(winner[case.field])


@postgres_only
def test_concurrent_patches_without_if_match_each_count(world, api):
    """Without If-Match the last writer wins, but no write is counted twice: every change is
    made on the row as stored (read under the lock), so the version counts them all."""
    case = Case(world, api, "territories")
    version, _value = case.stored()
    clients = [case.writer() for _ in range(WRITERS)]

    responses = send_at_once([partial(case.patch, i, None, c) for i, c in enumerate(clients)])

    assert [r.status_code for r in responses] == [200] * WRITERS
    assert case.stored()[0] == version + WRITERS


@pytest.mark.django_db
def test_the_schema_documents_if_match_etag_and_the_412(client, world):
    client.force_login(world.admin)
    schema = client.get("/api/schema/?format=json").json()

    for path in ("/api/v1/customers/{id}/", "/api/v1/territories/{id}/", "/api/v1/calls/{id}/"):
        for method in ("put", "patch"):
            operation = schema["paths"][path][method]
            assert "If-Match" in [p["name"] for p in operation["parameters"]], (path, method)
            stale = operation["responses"]["412"]
            assert "$ref" in str(stale["content"]) and "Error" not in str(stale["content"])
            assert "ETag" in stale["headers"]
        assert "ETag" in schema["paths"][path]["get"]["responses"]["200"]["headers"]
