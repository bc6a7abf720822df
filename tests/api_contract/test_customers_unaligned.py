"""`POST /api/v1/customers/` by an admin or an integration (a master-data system signs in as an
admin user with a device token) creates master data without an alignment: alignments are their
own resource, so one from any date follows without colliding. A rep's or DM's create is still
aligned to their territory from today."""

import pytest
from django.utils import timezone

from customers.models import Alignment, Customer
from tests.factories import TerritoryFactory
from tests.sync.conftest import sync_all

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def body(world, **overrides):
    return {"name": "张伟", "kind": "prescriber", "institution": str(world.hx.pk)} | overrides


def test_an_integration_creates_a_customer_without_an_alignment_then_aligns_it_from_any_date(
    world, api
):
    mdm = api(world.admin)  # the master-data system's token: an admin user's device

    created = mdm.post(URL, body(world, department=str(world.dx.pk)), format="json")

    assert created.status_code == 201, created.json()
    customer_id = created.json()["id"]
    assert created.json()["klass"] is None
    assert not Alignment.objects.filter(customer_id=customer_id).exists()
    assert api(world.rep_x).get(f"{URL}{customer_id}/").status_code == 404  # aligned nowhere yet
    # an alignment from a date in the past: nothing from today is there to collide with it
    aligned = mdm.post(
        "/api/v1/alignments/",
        {"customer": customer_id, "territory": str(world.tx.pk), "valid_from": "2026-01-01"},
        format="json",
    )
    assert aligned.status_code == 201, aligned.json()
    assert api(world.rep_x).get(f"{URL}{customer_id}/").status_code == 200


def test_an_admin_who_names_a_territory_still_aligns_the_customer_from_today(world, api):
    response = api(world.admin).post(URL, body(world, territory=str(world.ty.pk)), format="json")

    assert response.status_code == 201, response.json()
    alignment = Alignment.objects.get(customer_id=response.json()["id"])
    assert (alignment.territory, alignment.valid_from) == (world.ty, timezone.localdate())


def test_a_rep_who_names_no_territory_is_aligned_to_their_own(world, api):
    response = api(world.rep_x).post(URL, body(world), format="json")

    assert response.status_code == 201, response.json()
    assert Alignment.objects.get(customer_id=response.json()["id"]).territory == world.tx


def test_a_dm_with_several_territories_must_name_one_and_nothing_is_written(world, api):
    TerritoryFactory(district=world.district_x, code="TX2")
    before = Customer.objects.count(), Alignment.objects.count()

    response = api(world.dm_x).post(URL, body(world), format="json")

    assert response.status_code == 400
    assert "territory" in response.json()["errors"]
    assert (Customer.objects.count(), Alignment.objects.count()) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"institution": "00000000-0000-0000-0000-000000000000"}, "institution"),
        ({"territory": "not-a-uuid"}, "territory"),
        ({"kind": "non_prescriber"}, "role_group"),
    ],
)
def test_an_admins_bad_customer_is_a_400_and_nothing_is_written(world, api, overrides, field):
    before = Customer.objects.count(), Alignment.objects.count()

    response = api(world.admin).post(URL, body(world, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert (Customer.objects.count(), Alignment.objects.count()) == before


def test_the_sync_sends_an_unaligned_customer_to_admins_only_until_it_is_aligned(world, api):
    admin, rep = api(world.admin), api(world.rep_x)
    _changes, admin_cursor = sync_all(admin, types="customers")
    _changes, rep_cursor = sync_all(rep, types="customers")

    customer_id = admin.post(URL, body(world), format="json").json()["id"]

    admin_changes, _cursor = sync_all(admin, since=admin_cursor, types="customers")
    rep_changes, rep_cursor = sync_all(rep, since=rep_cursor, types="customers")
    assert [(c["op"], c["data"]["id"]) for c in admin_changes] == [("upsert", customer_id)]
    assert rep_changes == []  # not even hinted at
    admin.post(
        "/api/v1/alignments/",
        {"customer": customer_id, "territory": str(world.tx.pk)},
        format="json",
    )
    rep_changes, _cursor = sync_all(rep, since=rep_cursor, types="customers")
    assert [(c["op"], c["data"]["id"]) for c in rep_changes] == [("upsert", customer_id)]


def test_the_schema_says_who_creates_without_an_alignment(client, world):
    client.force_login(world.admin)

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    create = schema["paths"][URL]["post"]
    assert "without any alignment" in create["description"]
    territory = schema["components"]["schemas"]["CustomerRequest"]["properties"]["territory"]
    assert "admin or an integration" in territory["description"]
