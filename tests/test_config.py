"""Settings, the Celery app and the periodic jobs loaded into django-celery-beat."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
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
    settings.CELERY_BEAT_SCHEDULE = {
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
