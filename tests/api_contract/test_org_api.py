"""Contract of users/, regions/, districts/, products/, teams/, territories/ and absences/."""

import pytest

from org.models import Absence, TerritoryAssignment
from tests.factories import ProductFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def codes(response, key="code"):
    return {row[key] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("persona", "territories", "districts"),
    [
        ("rep_x", {"TX"}, {"X"}),
        ("dm_y", {"TY"}, {"Y"}),
        ("regional", {"TX", "TY"}, {"X", "Y"}),
        ("outsider_rep", {"TO"}, None),
    ],
)
def test_territories_and_districts_are_scoped(world, api, persona, territories, districts):
    client = api(getattr(world, persona))

    assert codes(client.get("/api/v1/territories/")) == territories
    if districts is not None:
        assert codes(client.get("/api/v1/districts/")) == districts
    assert client.get(f"/api/v1/territories/{world.ty.pk}/").status_code == (
        200 if "TY" in territories else 404
    )


def test_a_territory_has_the_fields_of_the_contract(world, api):
    row = api(world.rep_x).get(f"/api/v1/territories/{world.tx.pk}/").json()

    assert row["rep"] == world.rep_x.pk
    assert row["team"] == str(world.tx.team_id)
    assert row["district"] == str(world.district_x.pk)


def test_teams_carry_their_products_and_targets_as_numbers(world, api):
    team = TeamFactory(code="ONC", call_rate_target=10)
    team.products.add(ProductFactory(code="ONC-1"))

    row = next(
        r for r in api(world.rep_x).get("/api/v1/teams/").json()["results"] if r["code"] == "ONC"
    )

    assert row["call_rate_target"] == 10
    assert row["pims_per_week"] == 1
    assert len(row["products"]) == 1


def test_an_admin_hands_a_territory_over_and_the_history_is_kept(world, api):
    newcomer = UserFactory(username="newcomer")

    response = api(world.admin).patch(
        f"/api/v1/territories/{world.tx.pk}/", {"rep": newcomer.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["rep"] == newcomer.pk
    assert list(
        TerritoryAssignment.objects.filter(territory=world.tx)
        .order_by("valid_from")
        .values_list("rep__username", flat=True)
    ) == ["rep_x", "newcomer"]


def test_a_territory_cannot_be_held_by_a_dm(world, api):
    response = api(world.admin).patch(
        f"/api/v1/territories/{world.tx.pk}/", {"rep": world.dm_x.pk}, format="json"
    )

    assert response.status_code == 400
    assert "rep" in response.json()["errors"]


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional"])
def test_only_admins_write_the_organisation(world, api, persona):
    client = api(getattr(world, persona))

    assert client.post("/api/v1/products/", {"name": "P", "code": "P"}).status_code == 403
    assert client.patch(f"/api/v1/territories/{world.tx.pk}/", {"name": "x"}).status_code in (
        403,
        404,
    )
    assert client.get("/api/v1/users/").status_code == 403


def test_an_admin_provisions_a_user_with_a_password(world, api):
    response = api(world.admin).post(
        "/api/v1/users/",
        {
            "username": "new.rep",
            "password": "S3cret-pass",
            "name": "新代表",
            "role": "rep",
            "language": "zh-hans",
            "email": "new@example.com",
        },
        format="json",
    )

    assert response.status_code == 201
    assert "password" not in response.json()
    from org.models import User

    assert User.objects.get(username="new.rep").check_password("S3cret-pass")


def test_a_rep_records_their_own_absence_and_their_dm_reads_it(world, api):
    body = {"date_from": "2026-11-02", "date_to": "2026-11-03", "reason": "training"}
    client = api(world.rep_x)

    someone_else = client.post("/api/v1/absences/", body | {"rep": world.rep_y.pk}, format="json")
    response = client.post("/api/v1/absences/", body, format="json")

    assert someone_else.status_code == 400
    assert "rep" in someone_else.json()["errors"]
    assert response.status_code == 201
    assert Absence.objects.get().rep == world.rep_x
    assert len(api(world.dm_x).get("/api/v1/absences/").json()["results"]) == 1
    assert api(world.dm_y).get("/api/v1/absences/").json()["results"] == []
    assert api(world.dm_x).post("/api/v1/absences/", {}).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"date_from": "2026-11-05", "date_to": "2026-11-04", "reason": "leave"},
            "non_field_errors",
        ),
        ({"date_from": "2026-11-05", "date_to": "2026-11-06", "reason": "holiday"}, "reason"),
        ({"date_from": "05/11/2026", "date_to": "2026-11-06", "reason": "leave"}, "date_from"),
    ],
)
def test_bad_absences_are_refused(world, api, payload, field):
    response = api(world.rep_x).post("/api/v1/absences/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Absence.objects.exists()


def test_me_tells_a_dm_their_district(world, api):
    me = api(world.dm_x).get("/api/v1/me/").json()

    assert me["role"] == "dm"
    assert me["district"] == str(world.district_x.pk)
    assert me["territories"] == [str(world.tx.pk)]
