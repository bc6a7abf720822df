"""One freshness path: a dashboard's GET writes nothing (no snapshot rows, no INSERT, UPDATE or
DELETE); a missing or stale snapshot of a territory is asked of the workers (the page shows the
snapshot there is, "being updated", or "being computed" when there is none); every dashboard
says when its figures were computed ("as of 04:11", the date too when not today), in Chinese
and English."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import outbox
from reports.models import ActivitySnapshot, ClassSnapshot
from tests.reports.test_pages import PERIOD, URL, call, figures  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP")


@pytest.fixture
def sent(settings, monkeypatch):
    """Workers that do not run in the request (as in production): the tasks sent, recorded."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    tasks = []
    monkeypatch.setattr(outbox, "send", lambda task, *args, **kw: tasks.append((task.name, args)))
    return tasks


def get(client, **query):
    """One GET of the dashboard: (response, the writing statements it ran)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"period": PERIOD, **query})
    assert response.status_code == 200
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]
    return response, writes


def snapshot_rows():
    return (
        ClassSnapshot.objects.count(),
        ActivitySnapshot.objects.count(),
        max(ActivitySnapshot.objects.values_list("computed_at", flat=True), default=None),
    )


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional", "admin"])
def test_a_dashboard_get_writes_nothing(figures, login, persona):  # noqa: F811
    client = login(getattr(figures, persona))
    before = snapshot_rows()

    _response, writes = get(client)

    assert writes == []
    assert snapshot_rows() == before


def test_a_stale_snapshot_is_asked_of_the_workers_not_recomputed_in_the_get(
    figures,  # noqa: F811
    login,
    sent,
):
    client = login(english(figures.rep_x))
    call(figures.tx, [figures.c_missing], day=20)  # its refresh on commit has not run
    before = snapshot_rows()

    response, writes = get(client)

    assert writes == [] and snapshot_rows() == before
    assert sent == [("reports.tasks.recompute_territory", (PERIOD, str(figures.tx.pk)))]
    assert "being updated" in response.content.decode()
    assert response.context["freshness"]["requested"]


def test_a_stale_dashboard_reloaded_asks_the_workers_once(figures, login, sent):  # noqa: F811
    client = login(english(figures.rep_x))
    call(figures.tx, [figures.c_missing], day=20)

    for _reload in range(3):
        response, writes = get(client)
        assert writes == [] and "being updated" in response.content.decode()

    assert sent == [("reports.tasks.recompute_territory", (PERIOD, str(figures.tx.pk)))]


def test_a_missing_snapshot_still_shows_the_page_and_is_asked_of_the_workers(
    figures,  # noqa: F811
    login,
    sent,
):
    ClassSnapshot.objects.filter(territory=figures.tx).delete()
    ActivitySnapshot.objects.filter(territory=figures.tx).delete()
    client = login(english(figures.rep_x))

    response, writes = get(client)

    assert writes == []
    assert not ActivitySnapshot.objects.filter(territory=figures.tx).exists()
    assert [name for name, _args in sent] == ["reports.tasks.recompute_territory"]
    assert response.context["freshness"] == {
        "as_of": None,
        "missing": True,
        "today": False,
        "requested": True,
    }
    assert "being computed" in response.content.decode()


def test_a_fresh_snapshot_is_not_asked_again(figures, login, sent):  # noqa: F811
    response, _writes = get(login(figures.rep_x))
    assert sent == []
    assert not response.context["freshness"]["requested"]


def _computed_at(when):
    ActivitySnapshot.objects.update(computed_at=when)


@pytest.mark.parametrize(("language", "text"), [("en", "as of 04:11"), ("zh-hans", "截至 04:11")])
@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional"])
def test_every_dashboard_says_when_its_figures_were_computed(
    figures,  # noqa: F811
    login,
    sent,
    persona,
    language,
    text,
):
    user = getattr(figures, persona)
    user.language = language
    user.save(update_fields=["language"])
    today = timezone.localdate()
    _computed_at(timezone.make_aware(datetime.datetime.combine(today, datetime.time(4, 11))))

    response, _writes = get(login(user))

    assert text in response.content.decode()


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "as of 2026-03-31 04:11"), ("zh-hans", "截至 2026-03-31 04:11")],
)
def test_figures_computed_on_another_day_show_the_date(
    figures,  # noqa: F811
    login,
    sent,
    language,
    text,
):
    figures.dm_x.language = language
    figures.dm_x.save(update_fields=["language"])
    _computed_at(timezone.make_aware(datetime.datetime(2026, 3, 31, 4, 11)))

    response, _writes = get(login(figures.dm_x))

    assert text in response.content.decode()
