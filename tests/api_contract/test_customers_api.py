"""Contract of customers/, institutions/, departments/ and alignments/: shape, scope, bad input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Alignment, Customer
from tests.conftest import VISIBLE as PERSONAS
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def ids(response):
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_details_and_search_are_scoped(world, api, persona):
    client = api(getattr(world, persona))
    expected = {str(getattr(world, c).pk) for c in PERSONAS[persona]}

    assert ids(client.get("/api/v1/customers/")) == expected
    assert ids(client.get("/api/v1/customers/", {"q": "Li Ming"})) == expected & {str(world.cy.pk)}
    for name in ("cx", "cy"):
        customer = getattr(world, name)
        status = 200 if name in PERSONAS[persona] else 404
        assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == status
        assert client.get(f"/api/v1/institutions/{customer.institution_id}/").status_code == status
        assert client.get(f"/api/v1/departments/{customer.department_id}/").status_code == status
    assert len(ids(client.get("/api/v1/alignments/"))) == len(expected)


def test_a_customer_has_the_fields_of_the_contract(world, api):
    row = api(world.rep_x).get(f"/api/v1/customers/{world.cx.pk}/").json()

    assert row["id"] == str(world.cx.pk)
    assert row["version"] == 1
    for field in (
        "name",
        "kind",
        "role_group",
        "is_kol",
        "institution",
        "department",
        "title",
        "specialty",
        "updated_at",
    ):
        assert field in row
    assert row["kind"] == "prescriber"
    assert row["institution"] == str(world.hx.pk)


def test_filters_narrow_the_scoped_list(world, api):
    CustomerFactory(
        name="KOL", is_kol=True, institution=world.hx, department=world.dx, territory=world.tx
    )
    client = api(world.rep_x)

    assert len(ids(client.get("/api/v1/customers/", {"is_kol": "true"}))) == 1
    assert len(ids(client.get("/api/v1/customers/", {"institution": world.hx.pk}))) == 2
    assert ids(client.get("/api/v1/customers/", {"institution": world.hy.pk})) == set()
    assert client.get("/api/v1/customers/", {"institution": "not-a-uuid"}).status_code == 400
    assert client.get("/api/v1/customers/", {"kind": "doctor"}).status_code == 400


def test_lists_are_cursor_paged(world, api):
    for _ in range(4):
        CustomerFactory(institution=world.hx, department=world.dx, territory=world.tx)
    client = api(world.rep_x)

    first = client.get("/api/v1/customers/", {"page_size": 3}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 3
    assert len(second["results"]) == 2
    assert second["next"] is None
    assert client.get("/api/v1/customers/", {"cursor": "garbage"}).status_code == 404


def test_a_rep_creates_a_customer_in_their_only_territory(world, api):
    response = api(world.rep_x).post(
        "/api/v1/customers/",
        {
            "name": "张伟",
            "kind": "prescriber",
            "institution": str(world.hx.pk),
            "department": str(world.dx.pk),
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    alignment = Alignment.objects.get(customer_id=response.json()["id"])
    assert alignment.territory == world.tx
    assert alignment.valid_from == timezone.localdate()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"kind": "non_prescriber"}, "role_group"),
        ({"role_group": "N1"}, "role_group"),
        ({"patients_per_day": -1}, "patients_per_day"),
        ({"patients_per_day": "many"}, "patients_per_day"),
        ({"is_kol": "perhaps"}, "is_kol"),
        ("other-institution", "institution"),
        ("other-territory", "territory"),
        ({"institution": "not-a-uuid"}, "institution"),
    ],
)
def test_bad_customers_are_refused_and_nothing_is_written(world, api, payload, field):
    if payload == "other-institution":
        payload = {"institution": str(world.hy.pk), "department": None}
    elif payload == "other-territory":
        payload = {"territory": str(world.ty.pk)}
    before = Customer.objects.count(), Alignment.objects.count()
    body = {"name": "张伟", "kind": "prescriber", "institution": str(world.hx.pk)} | payload

    response = api(world.rep_x).post("/api/v1/customers/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert (Customer.objects.count(), Alignment.objects.count()) == before


def test_a_rep_changes_their_customer_but_not_another_territorys(world, api):
    client = api(world.rep_x)

    mine = client.patch(f"/api/v1/customers/{world.cx.pk}/", {"title": "副主任医师"}, format="json")
    theirs = client.patch(f"/api/v1/customers/{world.cy.pk}/", {"title": "x"}, format="json")

    assert mine.status_code == 200
    assert mine.json()["version"] == 2
    assert theirs.status_code == 404
    world.cy.refresh_from_db()
    assert world.cy.title != "x"


def test_a_regional_manager_reads_but_cannot_write(world, api):
    response = api(world.regional).patch(
        f"/api/v1/customers/{world.cx.pk}/", {"title": "x"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"]


def test_customers_cannot_be_deleted_through_the_api(world, api):
    assert api(world.admin).delete(f"/api/v1/customers/{world.cx.pk}/").status_code == 405


def test_a_dm_aligns_a_customer_within_the_district_only(world, api):
    from tests.factories import TerritoryFactory

    other = TerritoryFactory(district=world.district_x, holder=world.rep_x2)
    client = api(world.dm_x)

    ok = client.post(
        "/api/v1/alignments/",
        {"customer": str(world.cx.pk), "territory": str(other.pk)},
        format="json",
    )
    again = client.post(
        "/api/v1/alignments/",
        {"customer": str(world.cx.pk), "territory": str(other.pk)},
        format="json",
    )
    foreign = client.post(
        "/api/v1/alignments/",
        {"customer": str(world.cx.pk), "territory": str(world.ty.pk)},
        format="json",
    )
    backwards = client.patch(
        f"/api/v1/alignments/{ok.json()['id']}/", {"valid_to": "2020-01-01"}, format="json"
    )

    assert ok.status_code == 201
    assert ok.json()["valid_from"] == timezone.localdate().isoformat()
    assert again.status_code == 400
    assert "valid_from" in again.json()["errors"]
    assert foreign.status_code == 400
    assert "territory" in foreign.json()["errors"]
    assert backwards.status_code == 400
    assert Alignment.objects.filter(territory=other).count() == 1


def test_a_rep_cannot_write_alignments(world, api):
    response = api(world.rep_x).post(
        "/api/v1/alignments/",
        {"customer": str(world.cx.pk), "territory": str(world.tx.pk)},
        format="json",
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    "url",
    ["/api/v1/customers/", "/api/v1/institutions/", "/api/v1/departments/", "/api/v1/alignments/"],
)
def test_list_queries_do_not_grow_with_the_data(world, api, url):
    client = api(world.dm_x)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        CustomerFactory(territory=world.tx)
    small = count()
    for _ in range(20):
        CustomerFactory(territory=world.tx)

    assert count() == small
