"""/healthz (the process answers) and /readyz (database, broker and cache answer, or 503 naming
which failed): no login, JSON, for the load balancer and the containers' health checks."""

import os

import pytest

from core import health
from tests.redis_down import DOWN, broker_back_url


def test_healthz_answers_without_login_and_without_the_database(client):
    """No database fixture: any query would fail this test."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_answers_with_redis_down(client, redis_at):
    redis_at(DOWN)

    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_names_the_broker_and_the_cache_when_redis_is_down(client, redis_at):
    redis_at(DOWN)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "fail"
    assert sorted(body["failed"]) == ["broker", "cache"]
    assert body["checks"] == {"database": "ok", "broker": "fail", "cache": "fail"}


@pytest.mark.django_db
def test_readyz_answers_200_when_everything_answers(client, redis_at):
    if os.environ.get("REDIS_URL"):  # the real Redis, for the cache and the broker
        redis_at("redis://127.0.0.1:6379/15")
    else:  # the embedded defaults: the SQLAlchemy broker and a local cache
        redis_at.broker(broker_back_url(redis_at.tmp_path))

    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok"},
        "failed": [],
    }


@pytest.mark.django_db
def test_readyz_names_the_database_when_it_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setitem(health.CHECKS, "database", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.django_db
def test_the_checks_answer_plain_http_probes_in_production(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True  # production: other pages redirect to HTTPS

    assert client.get(path).status_code in (200, 503)
    assert client.get("/login/").status_code == 301


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "title"), [("en", "outbox tasks"), ("zh-hans", "待发任务")])
def test_the_operator_sees_the_kept_tasks_in_the_admin(client, world, language, title):
    from django.urls import reverse

    from core.models import OutboxTask

    OutboxTask.objects.create(task="reports.tasks.recompute_territory", args=["2026-11", "x"])
    world.admin.is_superuser = world.admin.is_staff = True
    world.admin.language = language
    world.admin.save()
    client.force_login(world.admin)

    page = client.get(reverse("admin:core_outboxtask_changelist")).content.decode()

    assert title in page.lower()
    assert "reports.tasks.recompute_territory" in page
