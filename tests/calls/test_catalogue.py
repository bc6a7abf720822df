"""The admin's catalogue in the product: key messages per product, materials and samples with a
team restriction, the call settings; and what the call form and the API then offer and accept."""

import pytest
from django.utils import timezone

from calls import services
from calls.models import CallSettings, KeyMessage, Material, MaterialKind
from tests.calls.factories import make_call
from tests.concurrency import postgres_only, race
from tests.queries import count_queries

CATALOGUE = "/calls/settings/catalogue/"
SETTINGS = "/calls/settings/"


def material_data(**data):
    values = {"name": "", "name_en": "", "code": "NEW", "kind": "sample", "product": ""}
    values.update(data)
    return values


@pytest.fixture
def onc_cv(cw):
    """tx is the ONC team's (px), ty the CV team's (py); a CV sample of no product restricted
    to the CV team."""
    cw.onc, cw.cv = cw.tx.team, cw.ty.team
    return cw


# The catalogue pages.


def test_catalogue_lists_items_per_product_with_teams(onc_cv, world_admin_client):
    sample = services.material_save(
        by=onc_cv.admin,
        name="心博力 样品",
        name_en="Cardiplex sample",
        code="CV-S",
        kind=MaterialKind.SAMPLE,
        product=onc_cv.py,
        teams=[onc_cv.cv],
    )
    response = world_admin_client.get(CATALOGUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Longer progression-free survival" in html and "Cardiplex sample" in html
    assert f"/calls/settings/catalogue/materials/{sample.pk}/" in html
    assert onc_cv.cv.display_name in html
    assert "every team" in html  # the unrestricted leaflet


def test_admin_adds_a_sample_restricted_to_a_team_and_its_history_names_them(
    onc_cv, world_admin_client
):
    response = world_admin_client.post(
        f"/calls/settings/catalogue/materials/new/?product={onc_cv.py.pk}",
        material_data(
            name_en="Cardiplex starter",
            code="CV-S",
            product=str(onc_cv.py.pk),
            teams=[str(onc_cv.cv.pk)],
        ),
    )
    assert response.status_code == 302
    sample = Material.objects.get(code="CV-S")
    assert sample.is_sample and list(sample.teams.all()) == [onc_cv.cv]
    response = world_admin_client.post(
        f"/calls/settings/catalogue/materials/{sample.pk}/",
        material_data(
            name_en="Cardiplex starter",
            code="CV-S",
            product=str(onc_cv.py.pk),
            version=str(sample.version),
        ),
    )
    assert response.status_code == 302
    assert not sample.teams.exists()  # none ticked: every team
    page = world_admin_client.get(f"/calls/settings/catalogue/materials/{sample.pk}/")
    latest = page.context["changes"][0]
    assert latest.who == onc_cv.admin
    assert ("teams", onc_cv.cv.display_name, "every team") in latest.fields


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "name", "Give a Chinese or an English name."),
        (
            {"name": "x", "code": "LEAF"},
            "code",
            "The code LEAF is already used by “Product leaflet”.",
        ),
        (
            {"name": "x", "code": "leaf"},
            "code",
            "The code leaf is already used by “Product leaflet”.",
        ),
        ({"name": "x", "code": ""}, "code", "This field is required."),
    ],
)
def test_bad_catalogue_items_are_refused_next_to_their_field(
    onc_cv, world_admin_client, data, field, message
):
    before = Material.objects.count()
    response = world_admin_client.post(
        "/calls/settings/catalogue/materials/new/", material_data(**data)
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert Material.objects.count() == before


def test_a_key_message_needs_a_text_in_one_language(onc_cv, world_admin_client):
    url = f"/calls/settings/catalogue/key-messages/new/?product={onc_cv.px.pk}"
    response = world_admin_client.post(url, {"text": " ", "text_en": "", "order": "1"})
    assert response.status_code == 400
    assert response.context["form"].errors["text"] == [
        "Give the key message in Chinese or in English."
    ]
    response = world_admin_client.post(
        url, {"text": "", "text_en": "Fewer side effects", "order": "3"}
    )
    assert response.status_code == 302
    message = KeyMessage.objects.get(text_en="Fewer side effects")
    assert message.product == onc_cv.px and message.text == "" and message.is_active is False


def test_errors_are_translated(onc_cv, world_admin_client):
    onc_cv.admin.language = "zh-hans"
    onc_cv.admin.save()
    response = world_admin_client.post("/calls/settings/catalogue/materials/new/", material_data())
    assert response.context["form"].errors["name"] == ["请填写中文或英文名称。"]


def test_deactivating_keeps_the_item_and_a_used_item_cannot_be_deleted(onc_cv, world_admin_client):
    make_call(onc_cv.tx, [onc_cv.cx], materials=[(onc_cv.leaflet, 1)])
    url = f"/calls/settings/catalogue/materials/{onc_cv.leaflet.pk}/"
    page = world_admin_client.get(url)
    assert page.context["used"] and "Delete" not in page.content.decode().split("History")[0]
    response = world_admin_client.post(f"{url}delete/", HTTP_REFERER=url)
    assert response.status_code == 303  # back to the page with the message
    assert Material.objects.filter(pk=onc_cv.leaflet.pk).exists()
    response = world_admin_client.post(
        url,
        material_data(
            name="Product leaflet",
            code="LEAF",
            kind="material",
            version=str(onc_cv.leaflet.version),
        ),
    )
    assert response.status_code == 302
    onc_cv.leaflet.refresh_from_db()
    assert onc_cv.leaflet.is_active is False


def test_an_unused_item_can_be_deleted(onc_cv, world_admin_client):
    response = world_admin_client.post(
        f"/calls/settings/catalogue/key-messages/{onc_cv.km_old.pk}/delete/"
    )
    assert response.status_code == 302
    assert not KeyMessage.objects.filter(pk=onc_cv.km_old.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        CATALOGUE,
        SETTINGS,
        "/calls/settings/catalogue/materials/new/",
    ],
)
def test_non_admins_get_403_and_their_posts_write_nothing(onc_cv, login, url):
    before = Material.objects.count(), CallSettings.load().grace_days
    client = login(onc_cv.dm_x)
    assert client.get(url).status_code == 403
    assert client.post(url, material_data(name="x", grace_days="3")).status_code == 403
    assert (Material.objects.count(), CallSettings.load().grace_days) == before


def test_a_non_admin_cannot_write_through_the_services(onc_cv):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.material_save(by=onc_cv.rep_x, name="x", code="X1")


def test_an_admin_saving_from_an_old_page_is_told_and_nothing_is_lost(onc_cv, world_admin_client):
    read = onc_cv.leaflet.version
    services.material_save(by=onc_cv.admin, material=onc_cv.leaflet, name="Leaflet v2")
    response = world_admin_client.post(
        f"/calls/settings/catalogue/materials/{onc_cv.leaflet.pk}/",
        material_data(name="Leaflet v3", code="LEAF", kind="material", version=str(read)),
    )
    assert response.status_code == 400
    assert "changed this item meanwhile" in response.context["form"].non_field_errors()[0]
    onc_cv.leaflet.refresh_from_db()
    assert onc_cv.leaflet.name == "Leaflet v2"


@postgres_only
def test_two_admins_saving_the_same_version_at_once_one_wins(cw):
    version = cw.leaflet.version

    def save(name):
        return lambda: services.material_save(
            by=cw.admin, material=cw.leaflet, expected_version=version, name=name
        )

    results = race(save("A"), save("B"))
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and type(failed[0]).__name__ == "Stale"
    assert cw.leaflet.history.count() == 2


@postgres_only
def test_two_admins_creating_the_same_code_at_once_one_gets_a_code_error(cw):
    from django.core.exceptions import ValidationError

    def create(name):
        return lambda: services.material_save(by=cw.admin, name=name, code="SAME")

    results = race(create("A"), create("B"))
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and isinstance(failed[0], ValidationError)
    assert "code" in failed[0].message_dict
    assert Material.objects.filter(code="SAME").count() == 1


def test_catalogue_query_count_is_flat_in_the_number_of_items(onc_cv, world_admin_client):
    services.material_save(
        by=onc_cv.admin, name="M", code="MX", product=onc_cv.px, teams=[onc_cv.onc]
    )
    few = count_queries(world_admin_client, CATALOGUE)
    for i in range(4):
        services.material_save(
            by=onc_cv.admin, name=f"M{i}", code=f"MX{i}", product=onc_cv.px, teams=[onc_cv.onc]
        )
        services.key_message_save(by=onc_cv.admin, product=onc_cv.py, text=f"K{i}")
    assert count_queries(world_admin_client, CATALOGUE) == few


# Call settings.


def test_call_settings_are_saved_with_their_history_and_an_empty_limit_means_none(
    cw, world_admin_client
):
    response = world_admin_client.post(
        SETTINGS, {"grace_days": "5", "backdating_days": "3", "sample_limit_per_quarter": ""}
    )
    assert response.status_code == 302
    saved = CallSettings.load()
    assert (saved.grace_days, saved.backdating_days, saved.sample_limit_per_quarter) == (5, 3, None)
    page = world_admin_client.get(SETTINGS)
    latest = page.context["changes"][0]
    assert latest.who == cw.admin
    assert ("samples per customer and quarter", "10", "no limit") in latest.fields


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("grace_days", "61", "Enter a whole number from 0 to 60."),
        ("backdating_days", "-1", "Enter a whole number from 0 to 60."),
        ("sample_limit_per_quarter", "0", "Enter a whole number from 1 to 1000."),
        ("grace_days", "", "This field is required."),
    ],
)
def test_call_settings_out_of_range_are_refused(cw, world_admin_client, field, value, message):
    data = {"grace_days": "7", "backdating_days": "7", "sample_limit_per_quarter": "10"}
    data[field] = value
    response = world_admin_client.post(SETTINGS, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert CallSettings.history.count() <= 1  # at most the row's creation


def test_call_settings_saved_from_an_old_page_are_refused_and_nothing_is_lost(
    cw, world_admin_client
):
    page = world_admin_client.get(SETTINGS)
    read = page.context["form"].initial["version"]
    services.call_settings_save(by=cw.admin, grace_days=3)  # another admin, meanwhile
    response = world_admin_client.post(
        SETTINGS,
        {
            "grace_days": "9",
            "backdating_days": "7",
            "sample_limit_per_quarter": "10",
            "version": read,
        },
    )
    assert response.status_code == 400
    assert "changed the call settings meanwhile" in response.context["form"].non_field_errors()[0]
    assert CallSettings.load().grace_days == 3


@postgres_only
def test_two_admins_saving_call_settings_from_the_same_page_one_wins(cw):
    version = CallSettings.load().version
    results = race(
        lambda: services.call_settings_save(by=cw.admin, expected_version=version, grace_days=3),
        lambda: services.call_settings_save(
            by=cw.admin, expected_version=version, backdating_days=4
        ),
    )
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and type(failed[0]).__name__ == "Stale"
    saved = CallSettings.load()
    assert (saved.grace_days == 3) != (saved.backdating_days == 4)  # exactly one was written
    assert saved.version == version + 1
    assert CallSettings.history.count() == 2


# What reps are offered and may hand over.


@pytest.fixture
def cv_sample(onc_cv):
    """A sample of no product restricted to the CV team."""
    return services.material_save(
        by=onc_cv.admin,
        name="心脏样品",
        name_en="Heart sample",
        code="CV-SMP",
        kind=MaterialKind.SAMPLE,
        teams=[onc_cv.cv],
    )


def test_the_call_form_offers_a_team_restricted_sample_only_to_that_teams_reps(
    onc_cv, cv_sample, login
):
    onc = login(onc_cv.rep_x).get(f"/calls/new/?customer={onc_cv.cx.pk}")
    assert onc.status_code == 200
    offered = [m.code for m in onc.context["form"].materials]
    assert "CV-SMP" not in offered and "LEAF" in offered and "SMP" in offered
    cv = login(onc_cv.rep_y).get(f"/calls/new/?customer={onc_cv.cy.pk}")
    assert "CV-SMP" in [m.code for m in cv.context["form"].materials]


def test_materials_of_another_teams_product_are_not_offered(onc_cv, login):
    services.material_save(by=onc_cv.admin, name="CV leaflet", code="CVL", product=onc_cv.py)
    onc = login(onc_cv.rep_x).get(f"/calls/new/?customer={onc_cv.cx.pk}")
    assert "CVL" not in [m.code for m in onc.context["form"].materials]


def call_payload(cw, material):
    return {
        "customers": [str(cw.cx.pk)],
        "date": timezone.localdate().isoformat(),
        "start_time": "09:30",
        "channel": "face_to_face",
        "status": "completed",
        "objective": "Introduce the PFS data",
        "products": [{"product": str(cw.px.pk), "key_messages": [str(cw.km1.pk)]}],
        "materials": [{"material": str(material.pk), "quantity": 1}],
    }


def test_the_api_refuses_another_teams_sample_naming_the_field(onc_cv, cv_sample, api):
    response = api(onc_cv.rep_x).post(
        "/api/v1/calls/", call_payload(onc_cv, cv_sample), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "materials" in str(body)
    assert "is not handed over by your team" in str(body)
    assert not onc_cv.tx.calls.exists()


def test_the_api_accepts_a_sample_of_the_reps_team(onc_cv, api):
    mine = services.material_save(
        by=onc_cv.admin, name="ONC sample", code="ONC-S", kind="sample", teams=[onc_cv.onc]
    )
    response = api(onc_cv.rep_x).post("/api/v1/calls/", call_payload(onc_cv, mine), format="json")
    assert response.status_code == 201, response.json()


def test_the_api_refuses_a_deactivated_key_message(onc_cv, api):
    services.key_message_save(by=onc_cv.admin, key_message=onc_cv.km1, is_active=False)
    response = api(onc_cv.rep_x).post(
        "/api/v1/calls/", call_payload(onc_cv, onc_cv.leaflet), format="json"
    )
    assert response.status_code == 400
    assert "is not active" in str(response.json())
