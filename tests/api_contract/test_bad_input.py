"""Bad input on every kind of endpoint answers 4xx with the error shape, never a 500.

Unknown fields in a request body are ignored (the usual JSON API rule, and what lets an older
server accept a newer client); unknown query parameters too. Everything else that is wrong is a
400 naming the field, or a 404 for an id in the path outside one's scope."""

import pytest

from tests.factories import CustomerFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

OTHER = "00000000-0000-4000-8000-000000000000"


def assert_error(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/calls/", "/api/v1/customers/", "/api/v1/absences/", "/api/v1/alignments/"]
)
@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        "null",
        '"a string"',
        "12",
        '{"customers": "cx", "date": 5}',
        '{"customers": [{"id": 1}], "date": "2026-13-45"}',
        '{"date_from": "yesterday", "date_to": [], "reason": {}}',
        '{"customer": 12, "territory": true, "valid_from": "1.1.2026"}',
        '{"name": null, "institution": "not-a-uuid", "kind": "wizard"}',
    ],
)
def test_malformed_or_mistyped_bodies_answer_400(world, api, path, body):
    response = api(world.rep_x).post(path, body, content_type="application/json")

    assert_error(response, 400, 403)


def test_ids_outside_ones_scope_are_400_in_fields_and_404_in_paths(world, api):
    client = api(world.rep_x)

    call = client.post(
        "/api/v1/calls/", {"customers": [str(world.cy.pk)]}, format="json"
    )  # rep_y's customer
    detail = client.get(f"/api/v1/customers/{world.cy.pk}/")
    unknown = client.get(f"/api/v1/customers/{OTHER}/")
    not_an_id = client.get("/api/v1/customers/not-an-id/")
    dotted = client.get("/api/v1/customers/0.5/classes/")

    assert "customers" in assert_error(call, 400)["errors"]
    for response in (detail, unknown, not_an_id, dotted):
        assert_error(response, 404)


def test_unknown_fields_are_ignored(world, api):
    response = api(world.rep_x).post(
        "/api/v1/absences/",
        {
            "date_from": "2026-11-02",
            "date_to": "2026-11-03",
            "reason": "leave",
            "colour": "blue",
        },
        format="json",
    )

    assert response.status_code == 201
    assert "colour" not in response.json()


@pytest.mark.parametrize(
    "query",
    [
        "page_size=100000000000000000000",
        "page_size=-5",
        "page_size=abc",
        "cursor=garbage",
        "cursor=%00%ff",
        "institution=not-a-uuid",
        "is_kol=maybe",
        "klass=Z",
    ],
)
def test_bad_query_parameters_never_answer_500(world, api, query):
    response = api(world.rep_x).get(f"/api/v1/customers/?{query}")

    if response.status_code != 200:  # page sizes are clamped; bad filters are 400
        assert_error(response, 400, 404)


@pytest.mark.parametrize("on", ["2026-02-30", "tomorrow", "20261101", ""])
def test_dates_in_the_wrong_format_answer_400(world, api, on):
    response = api(world.rep_x).get(f"/api/v1/customers/{world.cx.pk}/classes/?on={on}")

    if on:
        assert "on" in assert_error(response, 400)["errors"]
    else:
        assert response.status_code == 200


def test_a_patch_with_a_stale_or_garbage_if_match_never_fails_hard(world, api):
    CustomerFactory(institution=world.hx, territory=world.tx)
    TerritoryFactory()
    client = api(world.rep_x)
    call = client.post("/api/v1/calls/", {"customers": [str(world.cx.pk)]}, format="json").json()

    garbage = client.patch(
        f"/api/v1/calls/{call['id']}/", {"notes": "x"}, format="json", HTTP_IF_MATCH='W/"?"'
    )
    stale = client.patch(
        f"/api/v1/calls/{call['id']}/", {"notes": "x"}, format="json", HTTP_IF_MATCH='"99"'
    )

    assert garbage.status_code in (200, 412)
    assert stale.status_code == 412
