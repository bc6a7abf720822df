"""Every write of the organisation goes through org.services: the API's serializers and the
admin's saves call the same functions, so a rule (a rep's own absences, a team's products, a
revoked token) holds whichever way the write comes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from org import services
from org.models import Absence, ApiToken, Product, Region, Team
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_services_refuse_fields_they_do_not_write(world):
    with pytest.raises(ValidationError) as refused:
        services.region_save(region=Region(), name="East", code="E", colour="blue")

    assert "colour" in refused.value.message_dict
    assert not Region.objects.filter(code="E").exists()


def test_a_team_is_saved_with_its_products_by_the_api_and_the_admin(world, api, world_admin_client):
    product = ProductFactory(code="ONC-1")

    created = api(world.admin).post(
        "/api/v1/teams/",
        {"name": "Oncology", "code": "ONC", "products": [str(product.pk)]},
        format="json",
    )
    response = world_admin_client.post(
        reverse("admin:org_team_add"),
        {"name": "Cardio", "code": "CV", "call_rate_target": "10", "pims_per_week": "2"},
    )

    assert created.status_code == 201, created.json()
    assert list(Team.objects.get(code="ONC").products.all()) == [product]
    assert response.status_code == 302
    assert Team.objects.get(code="CV").call_rate_target == 10


def test_the_schema_rules_of_reference_data_are_a_400_not_a_500(world, api):
    response = api(world.admin).post(
        "/api/v1/teams/", {"name": "T", "code": "T", "call_rate_target": "-1"}, format="json"
    )

    assert response.status_code == 400
    assert not Team.objects.filter(code="T").exists()


def test_a_product_is_changed_in_the_admin_through_its_service(world, world_admin_client):
    product = ProductFactory(code="P1", name="Old")

    response = world_admin_client.post(
        reverse("admin:org_product_change", args=[product.pk]),
        {"name": "New", "code": "P1", "is_active": ""},
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.is_active, product.version) == ("New", False, 2)
    assert Product.history.filter(id=product.pk).count() == 2


def test_an_absence_is_recorded_in_the_admin_through_its_service(world, world_admin_client):
    url = reverse("admin:org_absence_add")
    body = {"rep": world.rep_x.pk, "date_from": "2026-11-02", "reason": "leave", "note": ""}

    refused = world_admin_client.post(url, body | {"date_to": "2026-11-01"})
    added = world_admin_client.post(url, body | {"date_to": "2026-11-03"})

    assert refused.status_code == 200
    assert added.status_code == 302
    absence = Absence.objects.get()
    assert (absence.rep, absence.date_to) == (world.rep_x, D(2026, 11, 3))
    changed = world_admin_client.post(
        reverse("admin:org_absence_change", args=[absence.pk]), body | {"date_to": "2026-11-04"}
    )
    assert changed.status_code == 302
    absence.refresh_from_db()
    assert (absence.date_to, absence.version) == (D(2026, 11, 4), 2)


def test_a_rep_changing_an_absence_keeps_it_theirs(world):
    absence = services.absence_create(
        rep=world.rep_x, date_from=D(2026, 11, 2), date_to=D(2026, 11, 3), reason="leave"
    )

    services.absence_update(absence=absence, by=world.rep_x, rep=world.rep_y, note="moved")

    absence.refresh_from_db()
    assert (absence.rep, absence.note) == (world.rep_x, "moved")


def test_an_admin_names_the_rep_of_an_absence(world):
    with pytest.raises(ValidationError) as refused:
        services.absence_create(
            by=world.admin, date_from=D(2026, 11, 2), date_to=D(2026, 11, 3), reason="leave"
        )

    assert "rep" in refused.value.message_dict


def test_a_token_deleted_in_the_admin_is_revoked(world, world_admin_client):
    token = services.api_token_create(user=world.rep_x, device="phone")

    response = world_admin_client.post(
        reverse("admin:org_apitoken_delete", args=[token.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
