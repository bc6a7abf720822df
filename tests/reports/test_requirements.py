"""The admin Requirements page: the tables per team (percent on the page, shares in the
database), all-or-nothing saves with one error per bad cell, customise / use the default, the
history, and "recompute now" with its progress."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.periods import month_of
from reports import services
from reports.models import ClassSnapshot, RecomputeJob, Requirement
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

URL = "/reports/settings/requirements/"
CLASSES = ["A", "B", "C", "D", "N1", "N2", "N3"]


def table_post(prefix, team, **overrides):
    """A whole table as the page posts it, from the company defaults of DOMAIN.md."""
    values = {
        "A": ("90", "4", "100"),
        "B": ("90", "4", "100"),
        "C": ("60", "1", "80"),
        "D": ("20", "", "60"),
        "N1": ("50", "1", "80"),
        "N2": ("50", "2", "80"),
        "N3": ("", "", ""),
    }
    data = {"team": team, "action": "save"}
    for klass, (monthly, calls, quarterly) in values.items():
        data[f"{prefix}-{klass}-monthly_coverage"] = monthly
        data[f"{prefix}-{klass}-calls_per_month"] = calls
        data[f"{prefix}-{klass}-quarterly_coverage"] = quarterly
    data.update({f"{prefix}-{key}": value for key, value in overrides.items()})
    return data


def default(klass):
    return Requirement.objects.get(team__isnull=True, klass=klass)


@pytest.mark.parametrize("who", ["rep_x", "dm_x", "regional"])
def test_only_admins_see_the_requirements(world, login, who):
    assert login(getattr(world, who)).get(URL).status_code == 403
    assert login(getattr(world, who)).post(URL, table_post("default", "default")).status_code == 403


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_shows_the_default_in_percent_and_who_follows_it(world, login):
    response = login(world.admin).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="default-A-monthly_coverage"' in html
    assert 'value="90"' in html  # 0.900 in the database
    assert "Follows the company default." in html
    assert "Customise for this team" in html


def test_saving_the_default_writes_shares_and_keeps_the_history(world, login):
    client = login(world.admin)
    response = client.post(URL, table_post("default", "default", **{"A-monthly_coverage": "85.5"}))

    assert response.status_code == 302
    assert default("A").monthly_coverage == Decimal("0.855")
    assert default("B").monthly_coverage == Decimal("0.900")
    record = default("A").history.first()
    assert record.history_user == world.admin
    html = client.get(URL).content.decode()
    assert "monthly coverage:\n          86 %" in html  # the seeded 90 % was never recorded
    client.post(URL, table_post("default", "default", **{"A-monthly_coverage": "80"}))
    html = client.get(URL).content.decode()
    assert "86 % → 80 %" in html and "Company default" in html


def test_bad_cells_each_get_an_error_and_nothing_is_written(world, login):
    response = login(world.admin).post(
        URL,
        table_post(
            "default",
            "default",
            **{
                "A-monthly_coverage": "80",  # valid, but not saved: all or nothing
                "B-quarterly_coverage": "150",
                "C-calls_per_month": "-1",
                "D-monthly_coverage": "-5",
            },
        ),
    )

    assert response.status_code == 400
    form = response.context["default_form"]
    assert form.errors["B-quarterly_coverage"] == ["A coverage is between 0 % and 100 %."]
    assert form.errors["C-calls_per_month"] == ["Calls per month cannot be negative."]
    assert form.errors["D-monthly_coverage"] == ["A coverage is between 0 % and 100 %."]
    assert "A-monthly_coverage" not in form.errors
    assert default("A").monthly_coverage == Decimal("0.900")
    assert not Requirement.history.filter(history_type="~").exists()
    assert "Nothing was saved" in response.content.decode()


def test_a_cell_that_is_not_a_number_is_reported(world, login):
    response = login(world.admin).post(
        URL, table_post("default", "default", **{"A-calls_per_month": "four"})
    )
    assert response.status_code == 400
    assert response.context["default_form"].errors["A-calls_per_month"] == [
        "Enter a whole number of calls."
    ]


def test_customise_copies_the_default_then_edits_and_resets(world, login):
    team = world.tx.team
    client = login(world.admin)

    assert client.post(URL, {"team": team.pk, "action": "customise"}).status_code == 302
    own = {r.klass: r for r in Requirement.objects.filter(team=team)}
    assert sorted(own) == sorted(CLASSES)
    assert own["C"].monthly_coverage == Decimal("0.600") and own["N3"].calls_per_month is None

    prefix = str(team.pk)
    response = client.post(URL, table_post(prefix, team.pk, **{"A-calls_per_month": "6"}))
    assert response.status_code == 302
    assert Requirement.objects.get(team=team, klass="A").calls_per_month == 6
    assert default("A").calls_per_month == 4
    html = client.get(URL).content.decode()
    assert "Use the company default" in html and "4 → 6" in html

    assert client.post(URL, {"team": team.pk, "action": "reset"}).status_code == 302
    assert not Requirement.objects.filter(team=team).exists()
    assert "removed (follows the company default)" in client.get(URL).content.decode()


def test_an_unknown_team_is_404(world, login):
    client = login(world.admin)
    assert client.post(URL, {"team": "nope", "action": "customise"}).status_code == 404
    assert (
        client.post(
            URL, {"team": "00000000-0000-0000-0000-000000000000", "action": "reset"}
        ).status_code
        == 404
    )


def test_the_service_refuses_non_admins_and_bad_shares(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.requirement_table_save(by=world.rep_x, team=None, table={})
    with pytest.raises(ValidationError) as error:
        services.requirement_table_save(
            by=world.admin,
            team=None,
            table={"A": {"monthly_coverage": Decimal("1.2")}, "Z": {}},
        )
    assert set(error.value.message_dict) == {"A-monthly_coverage", "Z"}


def _page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_two_and_six_teams_cost_the_same(db, login):
    from tests.factories import UserFactory

    admin = UserFactory(role="admin")
    client = login(admin)
    teams = TeamFactory.create_batch(2)
    services.requirement_team_customise(by=admin, team=teams[0])
    two = _page_queries(client)
    for team in TeamFactory.create_batch(4):
        services.requirement_team_customise(by=admin, team=team)

    assert _page_queries(client) == two


# Recompute now.


def test_recompute_now_runs_within_the_request_for_a_small_company(world, login):
    client = login(world.admin)
    period = month_of(datetime.date.today()).key

    response = client.post("/reports/settings/recompute/", {"period": period})

    job = RecomputeJob.objects.get()
    assert response.status_code == 302 and str(job.pk) in response["Location"]
    assert job.status == "done" and job.period == period and job.created_by == world.admin
    assert job.batches == 3 and job.batches_done == 3  # X, Y and the outsider's district
    assert ClassSnapshot.objects.filter(period=period).exists() or job.rows == 0
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"<progress" in page.content
    status = client.get(f"/reports/settings/recompute/{job.pk}/status/").json()
    assert status == {
        "status": "done",
        "status_display": "done",
        "progress": 1.0,
        "rows": job.rows,
    }


def test_recompute_defaults_to_this_month(world, login):
    login(world.admin).post("/reports/settings/recompute/", {})
    assert RecomputeJob.objects.get().period == month_of(datetime.date.today()).key


def test_recompute_shares_out_to_workers_beyond_the_limit(
    world, login, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("reports.services.SYNC_LIMIT", 0)
    client = login(world.admin)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/reports/settings/recompute/", {"period": "2026-Q1"})
    job = RecomputeJob.objects.get()
    assert job.status == "queued" and job.batches == 3 and job.progress == 0.0
    assert client.get(f"/reports/settings/recompute/{job.pk}/status/").json()["progress"] == 0.0

    for callback in callbacks:  # the broker gets the tasks once committed (eager in tests)
        callback()
    job.refresh_from_db()
    assert job.status == "done" and job.batches_done == 3


def test_recompute_refuses_a_bad_period_and_non_admins(world, login):
    client = login(world.admin)
    response = client.post("/reports/settings/recompute/", {"period": "2026-13"}, follow=True)
    assert not RecomputeJob.objects.exists()
    assert "Give a month like 2026-10" in response.content.decode()
    assert client.get("/reports/settings/recompute/").status_code == 405

    rep = login(world.rep_x)
    assert rep.post("/reports/settings/recompute/", {"period": "2026-10"}).status_code == 403
    job = services.recompute_job_start(by=world.admin, period=month_of(datetime.date(2026, 1, 1)))
    assert rep.get(f"/reports/settings/recompute/{job.pk}/").status_code == 403
    assert rep.get(f"/reports/settings/recompute/{job.pk}/status/").status_code == 403


def test_a_failing_district_fails_the_job(world, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("reports.engine.recompute_batch", boom)
    job = services.recompute_job_start(by=world.admin, period=month_of(datetime.date(2026, 1, 1)))

    assert job.status == "failed" and job.error == "disk full" and job.finished_at
