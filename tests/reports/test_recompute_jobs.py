"""Recompute jobs survive their workers: the API answers a job to poll; a worker killed
mid-recompute leaves a job the sweep resumes to the very figures of an uninterrupted run; a
district delivered twice counts once; Celery is set up to give a killed worker's tasks back."""

import datetime
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation

from calls.models import Call, CallAttendee
from core.periods import parse
from org.models import District, Territory
from reports import services
from reports.models import ActivitySnapshot, ClassSnapshot, RecomputeJob
from tests.factories import (
    CustomerFactory,
    DistrictFactory,
    ProductFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
    classify,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2026-03"
CLASSES = ["A", "B", "C", "D"]


@pytest.fixture
def company(world):
    """The world's three districts and five more, each of two territories of one team with
    targets of every class and completed calls (one-to-one and a PIM) in March 2026."""
    product = ProductFactory()
    team = TeamFactory()
    team.products.add(product)
    world.tx.team.products.add(product)
    world.ty.team.products.add(product)
    classify(world.cx, product, "A")
    classify(world.cy, product, "B")
    for n in range(5):
        district = DistrictFactory(region=world.region)
        for t in range(2):
            rep = UserFactory(username=f"rep_{n}_{t}")
            territory = TerritoryFactory(district=district, team=team, holder=rep)
            customers = [
                classify(CustomerFactory(territory=territory), product, CLASSES[(n + t + i) % 4])
                for i in range(3 + n % 3)
            ]
            for day, customer in enumerate(customers[: 1 + (n + t) % 3], start=2):
                call = Call.objects.create(
                    territory=territory,
                    rep=rep,
                    date=datetime.date(2026, 3, day),
                    status="completed",
                    institution=customer.institution,
                )
                CallAttendee.objects.create(call=call, customer=customer)
            pim = Call.objects.create(
                territory=territory,
                rep=rep,
                date=datetime.date(2026, 3, 20),
                status="completed",
                institution=customers[0].institution,
                is_pim=True,
            )
            for customer in customers[:2]:
                CallAttendee.objects.create(call=pim, customer=customer)
    return world


def figures(period=PERIOD):
    """Every snapshot row's figures (not when they were computed), in a fixed order."""
    return (
        sorted(
            ClassSnapshot.objects.filter(period=period).values_list(
                "territory_id",
                "klass",
                "targets",
                "covered",
                "calls_per_month",
                "frequency_compliant",
                "calls",
                "invitations",
            )
        ),
        sorted(
            ActivitySnapshot.objects.filter(period=period).values_list(
                "territory_id", "completed_calls", "field_days", "pim_count", "invitations"
            )
        ),
    )


def uninterrupted(admin):
    """The figures of a job that ran to the end; the snapshots are then deleted again."""
    job = services.recompute_job_start(by=admin, period=parse(PERIOD))
    assert job.status == "done"
    result = figures()
    assert result[0] and result[1]
    ClassSnapshot.objects.all().delete()
    ActivitySnapshot.objects.all().delete()
    return result


@pytest.fixture
def lost_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """`lost_tasks.start(admin)`: a job beyond the in-request limit whose tasks, sent on
    commit, are kept back (never delivered); returns the queued job."""

    class Lost:
        def start(self, admin):
            with (
                monkeypatch.context() as patch,
                django_capture_on_commit_callbacks(execute=False),
            ):
                patch.setattr("reports.services.SYNC_LIMIT", 0)
                return services.recompute_job_start(by=admin, period=parse(PERIOD))

    return Lost()


def after_stale(minutes=1):
    return timezone.now() + datetime.timedelta(
        seconds=django_settings.RECOMPUTE_JOB_STALE_AFTER, minutes=minutes
    )


class Killed(BaseException):
    """What a SIGKILL does to a task: no `except Exception` runs, the transaction is lost."""


# The API: a job to poll.


def test_the_recompute_answer_carries_a_job_polled_to_done(company, api):
    admin = api(company.admin)

    response = admin.post("/api/v1/reports/recompute/", {"period": PERIOD}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "done" and body["progress"] == 1.0 and body["period"] == PERIOD
    poll = admin.get(f"/api/v1/reports/recompute/{body['job']}/")
    assert poll.status_code == 200
    assert poll.json() | {} == {
        **poll.json(),
        "job": body["job"],
        "status": "done",
        "progress": 1.0,
        "districts": District.objects.count(),
        "districts_done": District.objects.count(),
    }
    assert poll.json()["rows"] == ClassSnapshot.objects.filter(period=PERIOD).count()


def test_a_job_shared_out_to_the_workers_is_polled_from_queued_to_done(
    company, api, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("reports.services.SYNC_LIMIT", 0)
    admin = api(company.admin)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin.post("/api/v1/reports/recompute/", {"period": PERIOD}, format="json")
    assert response.status_code == 202
    job = response.json()["job"]
    poll = admin.get(f"/api/v1/reports/recompute/{job}/").json()
    assert (poll["status"], poll["progress"]) == ("queued", 0.0)

    for callback in callbacks:  # the tasks reach the broker (eager in tests)
        callback()

    poll = admin.get(f"/api/v1/reports/recompute/{job}/").json()
    assert (poll["status"], poll["progress"]) == ("done", 1.0)


def test_only_admins_poll_a_job_and_a_bad_id_is_not_found(company, api):
    job = services.recompute_job_start(by=company.admin, period=parse(PERIOD))

    assert api(company.rep_x).get(f"/api/v1/reports/recompute/{job.pk}/").status_code == 403
    assert api(company.dm_x).get(f"/api/v1/reports/recompute/{job.pk}/").status_code == 403
    assert api(None).get(f"/api/v1/reports/recompute/{job.pk}/").status_code in (401, 403)
    admin = api(company.admin)
    assert admin.get("/api/v1/reports/recompute/not-a-uuid/").status_code == 404
    assert admin.get(f"/api/v1/reports/recompute/{uuid.uuid4()}/").status_code == 404


def test_the_schema_documents_the_job_and_its_poll(company, api):
    schema = api(company.admin).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]

    answer = paths["/api/v1/reports/recompute/"]["post"]["responses"]["202"]
    poll = paths["/api/v1/reports/recompute/{id}/"]["get"]["responses"]["200"]
    assert answer["content"] == poll["content"]
    name = poll["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = schema.json()["components"]["schemas"][name]["properties"]
    assert {"job", "status", "progress"} <= set(fields)


# A worker killed mid-recompute.


def test_a_job_whose_worker_was_killed_is_resumed_to_the_uninterrupted_figures(
    company, lost_tasks, monkeypatch, login
):
    expected = uninterrupted(company.admin)
    job = lost_tasks.start(company.admin)
    districts = list(District.objects.order_by("pk").values_list("pk", flat=True))
    # The worker did three districts, then was killed in the middle of the fourth; the tasks it
    # held are lost (no redelivery).
    for district_id in districts[:3]:
        services.recompute_job_district(job_id=job.pk, district_id=district_id)
    real = services.engine.recompute_batch

    def killed(**kwargs):
        real(**kwargs)  # its snapshots written, not yet committed
        raise Killed

    monkeypatch.setattr("reports.engine.recompute_batch", killed)
    with pytest.raises(Killed):
        services.recompute_job_district(job_id=job.pk, district_id=districts[3])
    monkeypatch.setattr("reports.engine.recompute_batch", real)

    job.refresh_from_db()
    done = ActivitySnapshot.objects.filter(period=PERIOD).values("territory").distinct().count()
    assert job.status == "running" and job.progress == 3 / len(districts)
    assert done == Territory.objects.filter(district__in=districts[:3]).count()
    assert done < Territory.objects.count()  # incomplete: "512 of 532 territories"
    client = login(company.admin)
    status = client.get(f"/reports/settings/recompute/{job.pk}/status/").json()
    assert (status["status"], status["progress"]) == ("running", 3 / len(districts))

    assert services.recompute_jobs_sweep() == 0  # not stale yet: its tasks may be on their way
    assert services.recompute_jobs_sweep(now=after_stale()) == 1  # sent again, run (eager)

    job.refresh_from_db()
    assert job.status == "done" and job.progress == 1.0 and job.finished_at
    assert job.batches_done == job.batches == len(districts)
    assert figures() == expected
    assert job.rows == len(expected[0])
    status = client.get(f"/reports/settings/recompute/{job.pk}/status/").json()
    assert (status["status"], status["progress"]) == ("done", 1.0)
    page = client.get(f"/reports/settings/recompute/{job.pk}/")
    assert b'value="100"' in page.content


def test_the_sweep_sends_only_the_districts_not_done(company, lost_tasks, monkeypatch):
    job = lost_tasks.start(company.admin)
    districts = list(District.objects.order_by("pk").values_list("pk", flat=True))
    for district_id in districts[:5]:
        services.recompute_job_district(job_id=job.pk, district_id=district_id)
    sent = []
    monkeypatch.setattr(
        "reports.services._recompute_job_send", lambda job_id, ids: sent.append((job_id, ids))
    )

    services.recompute_jobs_sweep(now=after_stale())

    assert sent == [(job.pk, districts[5:])]


def test_a_job_whose_tasks_keep_getting_lost_fails_instead_of_running_for_ever(
    company, lost_tasks, monkeypatch, login
):
    job = lost_tasks.start(company.admin)
    services.recompute_job_district(
        job_id=job.pk, district_id=District.objects.order_by("pk").first().pk
    )
    monkeypatch.setattr("reports.services._recompute_job_send", lambda job_id, ids: None)
    now = timezone.now()

    for _sweep in range(django_settings.RECOMPUTE_JOB_MAX_RESENDS):
        now += datetime.timedelta(seconds=django_settings.RECOMPUTE_JOB_STALE_AFTER + 60)
        assert services.recompute_jobs_sweep(now=now) == 1
        job.refresh_from_db()
        assert job.status == "running"
    company.admin.language = "zh-hans"
    company.admin.save()
    page = login(company.admin).get(f"/reports/settings/recompute/{job.pk}/")
    assert "尚未完成的地区已重新发送" in page.content.decode()
    now += datetime.timedelta(seconds=django_settings.RECOMPUTE_JOB_STALE_AFTER + 60)
    with translation.override("en"):  # the worker's language
        assert services.recompute_jobs_sweep(now=now) == 0

    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at
    assert "workers were lost" in job.error
    page = login(company.admin).get(f"/reports/settings/recompute/{job.pk}/")
    assert "重新计算失败" in page.content.decode()


def test_a_killed_nightly_recompute_is_resumed_too(company, monkeypatch):
    monkeypatch.setattr("reports.services.nightly_periods", lambda: [parse(PERIOD)])
    expected = uninterrupted(company.admin)
    sends = []
    monkeypatch.setattr(
        "reports.services._recompute_job_send", lambda job_id, ids: sends.append((job_id, ids))
    )
    from reports.tasks import recompute_nightly

    recompute_nightly()  # its district tasks are lost
    recompute_nightly()  # the nightly task itself delivered again: no second job
    monkeypatch.undo()
    monkeypatch.setattr("reports.services.nightly_periods", lambda: [parse(PERIOD)])

    job = RecomputeJob.objects.get(created_by=None)
    assert len(sends) == 1 and job.status == "queued"
    services.recompute_jobs_sweep(now=after_stale())

    job.refresh_from_db()
    assert job.status == "done" and figures() == expected


# A district delivered twice.


def test_a_district_delivered_twice_counts_once_and_leaves_the_same_snapshots(company, lost_tasks):
    job = lost_tasks.start(company.admin)
    districts = list(District.objects.order_by("pk").values_list("pk", flat=True))
    first = districts[0]
    services.recompute_job_district(job_id=job.pk, district_id=first)
    once = figures()
    rows = ClassSnapshot.objects.filter(period=PERIOD).count()

    # Its worker was killed after the commit, before acknowledging: the task comes back.
    services.recompute_job_district(job_id=job.pk, district_id=first)

    job.refresh_from_db()
    assert figures() == once
    assert ClassSnapshot.objects.filter(period=PERIOD).count() == rows  # no duplicates
    assert job.batches_done == 1 and job.rows == rows
    assert job.status == "running" and job.progress == 1 / len(districts)
    for district_id in districts[1:-1]:
        services.recompute_job_district(job_id=job.pk, district_id=district_id)
        services.recompute_job_district(job_id=job.pk, district_id=district_id)
    job.refresh_from_db()
    assert job.status == "running"  # the last district is still to do: not done early
    services.recompute_job_district(job_id=job.pk, district_id=districts[-1])
    job.refresh_from_db()
    assert job.status == "done" and job.batches_done == job.batches


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs concurrent writers (PostgreSQL)",
)
def test_a_district_delivered_twice_at_the_same_moment_counts_once(company):
    from tests.concurrency import at_once

    job = services._recompute_job_create(by=company.admin, period=parse(PERIOD))
    # A district with targets in March (the first by primary key, a UUID, was any of the eight:
    # the world's own have none then, and the test failed when it drew one of them).
    district_id = Territory.objects.get(rep__username="rep_0_0").district_id

    errors = at_once(
        *[
            lambda: services.recompute_job_district(job_id=job.pk, district_id=district_id)
            for _ in range(3)
        ]
    )

    assert errors == []
    job.refresh_from_db()
    assert job.batches_done == 1
    district_rows = ClassSnapshot.objects.filter(period=PERIOD, territory__district=district_id)
    assert job.rows == district_rows.count() > 0


# Celery: a killed worker's tasks come back soon.


def celery_conf(**env):
    """The Celery settings a worker started with this environment would run with."""
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    environ.pop("CELERY_TASK_ALWAYS_EAGER", None)
    code = (
        "import json, django; django.setup(); from config.celery import app; c = app.conf; "
        "print(json.dumps({'acks_late': c.task_acks_late, "
        "'reject_on_worker_lost': c.task_reject_on_worker_lost, "
        "'prefetch': c.worker_prefetch_multiplier, 'soft': c.task_soft_time_limit, "
        "'hard': c.task_time_limit, 'broker': c.broker_url, "
        "'visibility': (c.broker_transport_options or {}).get('visibility_timeout')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_redis_a_killed_workers_tasks_come_back_within_minutes():
    conf = celery_conf(REDIS_URL="redis://127.0.0.1:6390/1")  # not contacted

    assert conf["broker"].startswith("redis://")
    assert conf["acks_late"] is True and conf["reject_on_worker_lost"] is True
    assert conf["prefetch"] == 1
    assert 0 < conf["soft"] < conf["hard"]
    # Longer than a task may run (not delivered twice while running), far below Redis's hour.
    assert conf["hard"] < conf["visibility"] <= 30 * 60


def test_the_time_limits_and_visibility_timeout_are_set_from_the_environment():
    conf = celery_conf(
        REDIS_URL="redis://127.0.0.1:6390/1",
        CELERY_TASK_SOFT_TIME_LIMIT="120",
        CELERY_TASK_TIME_LIMIT="150",
        CELERY_VISIBILITY_TIMEOUT="400",
    )

    assert (conf["soft"], conf["hard"], conf["visibility"]) == (120, 150, 400)


def test_without_redis_the_embedded_broker_stays_and_tasks_are_still_given_back():
    conf = celery_conf(REDIS_URL="")

    assert conf["broker"].startswith("sqla+sqlite://")
    assert conf["reject_on_worker_lost"] is True and 0 < conf["soft"] < conf["hard"]


def test_the_sweep_is_a_periodic_job():
    from config.celery import app

    tasks = {entry["task"] for entry in django_settings.PERIODIC_JOBS.values()}
    assert "reports.tasks.sweep_recompute_jobs" in tasks
    assert "reports.tasks.sweep_recompute_jobs" in app.tasks
