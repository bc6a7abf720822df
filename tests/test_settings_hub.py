"""The admin's Settings hub, the team targets page and the shared history helper."""

from decimal import Decimal

import pytest
from django.urls import reverse

from org import services
from org.models import Team
from tests.concurrency import postgres_only, race
from tests.factories import TeamFactory
from tests.queries import count_queries

HUB = "/settings/"
TARGETS = "/settings/teams/"


def post_targets(client, team, **data):
    values = {
        "team": str(team.pk),
        f"{team.pk}-call_rate_target": "12",
        f"{team.pk}-pims_per_week": "1",
        f"{team.pk}-version": str(team.version),
    }
    values.update({f"{team.pk}-{k}": v for k, v in data.items()})
    return client.post(TARGETS, values)


def test_hub_links_every_settings_page_and_the_nav_goes_there(world_admin_client):
    response = world_admin_client.get(HUB)
    assert response.status_code == 200
    html = response.content.decode()
    for url in (
        reverse("calls:catalogue"),
        reverse("team_targets"),
        reverse("calls:settings"),
        reverse("reports:requirements"),
        reverse("customers:segmentation"),
        reverse("customers:measure_import"),
        reverse("notifications:rules"),
    ):
        assert f'href="{url}"' in html
    nav = [item for item in response.context["nav_items"] if item["url"] == HUB]
    assert nav and nav[0]["active"]


@pytest.mark.parametrize("url", [HUB, TARGETS, "/calls/settings/", "/calls/settings/catalogue/"])
@pytest.mark.parametrize("who", ["rep_x", "dm_x", "regional"])
def test_settings_pages_are_for_admins_only(world, login, url, who):
    response = login(getattr(world, who)).get(url)
    assert response.status_code == 403


def test_a_non_admin_posting_targets_is_refused_and_nothing_changes(world, login):
    team = world.tx.team
    response = post_targets(login(world.dm_x), team, call_rate_target="20")
    assert response.status_code == 403
    team.refresh_from_db()
    assert team.call_rate_target == 10


def test_admin_sets_a_teams_targets_and_the_history_shows_old_and_new(world, world_admin_client):
    team = world.tx.team
    response = post_targets(world_admin_client, team, call_rate_target="8.5", pims_per_week="3")
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.call_rate_target == Decimal("8.5") and team.pims_per_week == 3
    page = world_admin_client.get(TARGETS)
    (change,) = [c for c in page.context["changes"] if not c.created]
    assert change.who == world.admin
    assert ("call rate target", "10.00", "8.50") in change.fields
    assert ("PIMs per week", "1", "3") in change.fields
    assert "8.50" in page.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("call_rate_target", "50.01", "Enter a call rate target from 0 to 50."),
        ("call_rate_target", "-1", "Enter a call rate target from 0 to 50."),
        ("pims_per_week", "21", "Enter a whole number of PIMs per week from 0 to 20."),
        ("pims_per_week", "", "This field is required."),
    ],
)
def test_out_of_range_targets_are_refused_next_to_their_field(
    world, world_admin_client, field, value, message
):
    team = world.tx.team
    response = post_targets(world_admin_client, team, **{field: value})
    assert response.status_code == 400
    form = next(row["form"] for row in response.context["rows"] if row["team"] == team)
    assert form.errors[field] == [message]
    team.refresh_from_db()
    assert team.call_rate_target == 10 and team.pims_per_week == 1


def test_range_errors_are_translated(world, world_admin_client):
    team = world.tx.team
    world.admin.language = "zh-hans"
    world.admin.save()
    response = post_targets(world_admin_client, team, call_rate_target="60")
    form = next(row["form"] for row in response.context["rows"] if row["team"] == team)
    assert form.errors["call_rate_target"] == ["请输入 0 到 50 之间的拜访率目标。"]


def test_a_second_admin_saving_from_an_old_page_is_told_and_nothing_is_lost(
    world, world_admin_client
):
    team = world.tx.team
    read = team.version
    services.team_targets_save(by=world.admin, team=team, call_rate_target=9, pims_per_week=2)
    team.version = read  # the second admin's page was read before that save
    response = post_targets(world_admin_client, team, call_rate_target="15")
    assert response.status_code == 400
    form = next(row["form"] for row in response.context["rows"] if row["team"] == team)
    assert "changed this team’s targets meanwhile" in form.non_field_errors()[0]
    team.refresh_from_db()
    assert team.call_rate_target == 9


@postgres_only
def test_two_admins_saving_the_same_version_at_once_one_wins(world):
    team = world.tx.team
    version = team.version

    def save(value):
        return lambda: services.team_targets_save(
            by=world.admin,
            team=team,
            call_rate_target=value,
            pims_per_week=1,
            expected_version=version,
        )

    results = race(save(5), save(6))
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and type(failed[0]).__name__ == "Stale"
    team.refresh_from_db()
    assert team.version == version + 1
    assert Team.history.filter(id=team.pk).count() == 2  # created, then the one change


def test_team_targets_page_query_count_is_flat_in_the_number_of_teams(world, world_admin_client):
    for i in range(2):
        services.team_targets_save(
            by=world.admin, team=world.tx.team, call_rate_target=5 + i, pims_per_week=1
        )
    few = count_queries(world_admin_client, TARGETS)
    for _ in range(5):
        team = TeamFactory()
        services.team_targets_save(by=world.admin, team=team, call_rate_target=3, pims_per_week=2)
    assert count_queries(world_admin_client, TARGETS) == few


@pytest.mark.parametrize("url", ["/calls/settings/", "/reports/settings/requirements/", TARGETS])
def test_the_settings_pages_of_the_apps_light_up_settings_in_the_nav(world_admin_client, url):
    response = world_admin_client.get(url)
    active = [item["url"] for item in response.context["nav_items"] if item["active"]]
    assert active == [HUB]
