"""Settings, the Celery app and the periodic jobs loaded into django-celery-beat."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(env):
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests only
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x7!kq2-production-like-secret-key-with-enough-entropy-0192837465",
        "ALLOWED_HOSTS": "crm.example.com",
        "BAIFANG_VAR_DIR": str(tmp_path),
    }

    result = deploy_check(env)

    assert result.returncode == 0, result.stdout + result.stderr
    # Nothing silenced either (no SILENCED_SYSTEM_CHECKS).
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_development_key_is_flagged_by_the_deploy_check(tmp_path):
    env = {**os.environ, "DEBUG": "false", "BAIFANG_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)

    result = deploy_check(env)

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_celery_reads_its_settings_from_django(settings):
    assert app.conf.timezone == settings.TIME_ZONE
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


@pytest.mark.django_db
def test_periodic_jobs_declared_in_code_are_loaded_once(settings):
    settings.PERIODIC_JOBS = {
        "nightly example": {
            "task": "celery.backend_cleanup",
            "crontab": {"minute": "0", "hour": "2"},
        },
    }

    call_command("setup_periodic_tasks")
    task = PeriodicTask.objects.get(name="nightly example")
    task.crontab.hour = "3"  # an admin retimes it
    task.crontab.save()
    call_command("setup_periodic_tasks")

    assert PeriodicTask.objects.filter(name="nightly example").count() == 1
    assert PeriodicTask.objects.get(name="nightly example").crontab.hour == "3"
    assert task.crontab.timezone.key == settings.TIME_ZONE


def test_beat_reads_no_schedule_it_cannot_parse():
    """The periodic jobs live in the database (django-celery-beat); Celery's own beat_schedule
    stays empty, so beat starts without a traceback per job."""
    assert app.conf.beat_schedule == {}


@pytest.mark.django_db
def test_beat_is_healthy_while_it_sends_periodic_jobs(settings):
    """The beat container's health check (docker-compose.yml): a job sent lately, or exit 1."""
    call_command("setup_periodic_tasks")
    with pytest.raises(CommandError, match="no periodic job since ever"):
        call_command("beat_health")  # beat never ran

    task = PeriodicTask.objects.get(task="core.tasks.sweep_outbox")
    task.last_run_at = timezone.now() - dt.timedelta(minutes=11)
    task.save()
    with pytest.raises(CommandError):
        call_command("beat_health", "--max-age", "600")  # stuck for 11 minutes

    task.last_run_at = timezone.now() - dt.timedelta(minutes=1)
    task.save()
    call_command("beat_health", "--max-age", "600")


@pytest.mark.django_db
def test_postgresql_does_not_jit_compile_the_pages_queries():
    """Today's targets (correlated subqueries) are estimated above PostgreSQL's jit_above_cost
    yet run in ~50 ms: compiling them cost ~0.9 s on every Today page (tests/bench/load_reps.py).
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
