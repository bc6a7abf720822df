"""The Compliance settings page (admins, with its history, in Chinese too) and a rep's
registration (备案) on the users/ API and the admin's user page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from org.models import ComplianceSettings, RegistrationStatus, User
from tests.concurrency import postgres_only, race

pytestmark = pytest.mark.django_db

URL = "/settings/compliance/"


def post(client, **overrides):
    data = {
        "require_registration": "on",
        "institution_rule": "refuse",
    }
    data.update(overrides)
    return client.post(URL, {k: v for k, v in data.items() if v is not None})


def test_the_hub_links_the_compliance_page(world_admin_client):
    assert reverse("compliance_settings") in world_admin_client.get("/settings/").content.decode()


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional"])
def test_only_admins_open_the_page(world, login, persona):
    client = login(getattr(world, persona))

    assert client.get(URL).status_code == 403
    assert post(client, enforce_consent="on").status_code == 403
    assert ComplianceSettings.load().enforce_consent is False


def test_an_admin_turns_rules_on_and_off_and_the_history_shows_it(world, world_admin_client):
    response = post(world_admin_client, show_measures_to_reps="on", enforce_consent="on")

    assert response.status_code == 302
    rules = ComplianceSettings.load()
    assert (rules.require_registration, rules.show_measures_to_reps, rules.enforce_consent) == (
        True,
        True,
        True,
    )
    html = world_admin_client.get(URL).content.decode().lower()
    assert "enforce customer consent" in html and "show measures to reps" in html
    history = html[html.index('id="history-title"') :]
    assert str(world.admin).lower() in history and "yes" in history


def test_a_bad_rule_is_a_400_and_changes_nothing(world_admin_client):
    response = post(world_admin_client, institution_rule="ignore", enforce_consent="on")

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert ComplianceSettings.load().enforce_consent is False


def test_settings_saved_from_an_old_page_are_refused_and_nothing_is_lost(world, world_admin_client):
    from org import services

    read = world_admin_client.get(URL).context["form"].initial["version"]
    services.compliance_settings_save(by=world.admin, enforce_consent=True)  # meanwhile

    response = post(world_admin_client, enforce_consent=None, version=str(read))

    assert response.status_code == 400
    assert "changed the compliance settings meanwhile" in response.content.decode()
    assert ComplianceSettings.load().enforce_consent is True


@postgres_only
def test_two_admins_saving_from_the_same_page_one_wins(world):
    from org import services

    version = ComplianceSettings.load().version
    results = race(
        lambda: services.compliance_settings_save(
            by=world.admin, expected_version=version, enforce_consent=True
        ),
        lambda: services.compliance_settings_save(
            by=world.admin, expected_version=version, require_registration=False
        ),
    )
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and type(failed[0]).__name__ == "Stale"
    saved = ComplianceSettings.load()
    assert saved.enforce_consent != (saved.require_registration is False)


def test_the_page_in_chinese(world, world_admin_client):
    world.admin.language = "zh-hans"
    world.admin.save()
    world_admin_client.force_login(world.admin)

    with translation.override("zh-hans"):
        html = world_admin_client.get(URL).content.decode()

    assert "合规" in html and "要求代表备案" in html and "向代表显示潜力与支持度" in html


# Registration on the users/ API


def test_an_admin_records_a_reps_registration_through_the_api(world, api):
    response = api(world.admin).patch(
        f"/api/v1/users/{world.rep_x.pk}/",
        {
            "registration_number": " BA3100012345 ",
            "registration_status": "registered",
            "registration_valid_from": "2025-01-01",
            "registration_valid_to": "2027-12-31",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["registration_number"] == "BA3100012345"
    rep = User.objects.get(pk=world.rep_x.pk)
    assert rep.is_registered_on(datetime.date(2027, 12, 31))
    assert not rep.is_registered_on(datetime.date(2028, 1, 1))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"registration_status": "registered", "registration_number": ""}, "registration_number"),
        (
            {"registration_valid_from": "2026-05-01", "registration_valid_to": "2026-04-30"},
            "registration_valid_to",
        ),
        ({"registration_status": "approved"}, "registration_status"),
        ({"registration_valid_to": "2026-13-01"}, "registration_valid_to"),
    ],
    ids=["no-number", "ends-before-start", "unknown-status", "bad-date"],
)
def test_bad_registrations_are_a_400_naming_the_field_and_change_nothing(world, api, body, field):
    before = User.objects.get(pk=world.rep_x.pk)

    response = api(world.admin).patch(f"/api/v1/users/{world.rep_x.pk}/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    after = User.objects.get(pk=world.rep_x.pk)
    assert (after.registration_number, after.registration_status, after.version) == (
        before.registration_number,
        before.registration_status,
        before.version,
    )


def test_a_rep_cannot_register_themselves(world, api):
    response = api(world.rep_x).patch(
        f"/api/v1/users/{world.rep_x.pk}/", {"registration_status": "registered"}, format="json"
    )

    assert response.status_code == 403


def test_the_admins_user_page_edits_the_registration(world, world_admin_client):
    world.rep_y.registration_status = RegistrationStatus.NOT_REGISTERED
    world.rep_y.save()
    url = reverse("admin:org_user_change", args=[world.rep_x.pk])
    page = world_admin_client.get(url).content.decode()
    assert "registration_valid_to" in page and "Rep registration (备案)" in page

    unregistered = world_admin_client.get(
        reverse("admin:org_user_changelist"), {"registration_status": "not_registered"}
    ).content.decode()

    assert "rep_y" in unregistered and "rep_x" not in unregistered
