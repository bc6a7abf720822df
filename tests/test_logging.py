"""Structured logs: JSON lines carrying a request id, echoed in X-Request-ID and carried into the
Celery tasks a request sends, so one request can be followed from web into the worker."""

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from logging.config import dictConfig
from pathlib import Path

import pytest
from celery.worker.request import Request
from django.urls import reverse

from config.celery import app
from core.logging import logging_config
from notifications.models import Rule
from tests.redis_down import celery_pools, reset_breakers, reset_celery

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def json_logs(settings):
    """The product's logging in JSON mode, its one handler writing into a buffer: `json_logs()`
    answers the records logged since the last call, parsed (a line not JSON fails the test)."""
    dictConfig(logging_config("json", "INFO"))
    buffer = io.StringIO()
    (handler,) = logging.getLogger().handlers
    handler.setStream(buffer)

    def records():
        lines = buffer.getvalue().splitlines()
        buffer.seek(0)
        buffer.truncate()
        return [json.loads(line) for line in lines if line.strip()]

    yield records
    dictConfig(settings.LOGGING)


def access_lines(records):
    return [r for r in records if r["logger"] == "baifang.access"]


def test_a_request_logs_one_json_access_line_with_its_request_id(world, login, json_logs):
    response = login(world.rep_x).get("/customers/?q=wang&token=s3cret")

    records = json_logs()
    (line,) = access_lines(records)
    assert line["request_id"] == response["X-Request-ID"]
    uuid.UUID(line["request_id"])  # generated: a UUID
    assert line["method"] == "GET"
    assert line["path"] == "/customers/"  # never the query string
    assert line["status"] == 200
    assert line["user_id"] == world.rep_x.pk
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO" and "timestamp" in line
    assert "s3cret" not in json.dumps(records)


def test_an_api_request_with_a_token_logs_its_user(world, api, json_logs):
    response = api(world.rep_x).get("/api/v1/me/", HTTP_X_REQUEST_ID="app-4-2")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "app-4-2"
    (line,) = access_lines(json_logs())
    assert line["user_id"] == world.rep_x.pk
    assert line["request_id"] == "app-4-2"


def test_records_logged_during_a_request_carry_its_id(client, json_logs, monkeypatch):
    from core import health

    def broken():
        raise ConnectionError("no database")

    monkeypatch.setattr(health, "CHECKS", {"database": broken})

    response = client.get("/readyz", HTTP_X_REQUEST_ID="lb-probe-7")

    assert response.status_code == 503
    assert response["X-Request-ID"] == "lb-probe-7"
    records = json_logs()
    warning = next(r for r in records if r["logger"] == "core.health")
    assert warning["request_id"] == "lb-probe-7"
    assert warning["level"] == "WARNING"
    (django_line,) = [r for r in records if r["logger"] == "django.request"]  # once, with the id
    assert django_line["message"] == "Service Unavailable: /readyz"
    assert django_line["request_id"] == "lb-probe-7"
    assert access_lines(records)[0]["status"] == 503  # a failing probe is logged


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="Root=1-5f84c7a9-abc.DEF_9:x+y")

    assert response["X-Request-ID"] == "Root=1-5f84c7a9-abc.DEF_9:x+y"


@pytest.mark.parametrize(
    "malicious",
    [
        "a" * 129,  # too long
        "abc\ninjected log line",
        "abc\r\nSet-Cookie: x=1",
        "<script>alert(1)</script>",
        "id with spaces",
        "",
    ],
)
def test_a_malicious_request_id_is_replaced_by_a_new_one(client, json_logs, malicious):
    response = client.get("/nowhere/", HTTP_X_REQUEST_ID=malicious)

    request_id = response["X-Request-ID"]
    uuid.UUID(request_id)
    (line,) = access_lines(json_logs())
    assert line["request_id"] == request_id
    assert line["status"] == 404


def test_every_response_gets_a_new_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert first != second


@pytest.fixture
def memory_broker(settings):
    """A real (in-memory) broker instead of the tests' eager tasks: sends go through Celery's
    publishing, as in production, onto a queue of this test."""
    queue = f"test-logging-{uuid.uuid4().hex}"
    saved = celery_pools()
    settings.CELERY_BROKER_URL = "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    reset_celery()
    reset_breakers()
    yield queue
    reset_celery(saved)
    reset_breakers()


def take_message(queue):
    with app.connection_for_read() as conn:
        simple = conn.SimpleQueue(queue, no_ack=True)
        try:
            return simple.get(timeout=2)
        finally:
            simple.close()


def test_a_task_sent_during_a_request_carries_its_id_into_the_worker(
    world, login, memory_broker, json_logs
):
    response = login(world.admin).post(
        reverse("notifications:rule_run", args=[Rule.NO_PIM]),
        {"confirm": "1"},
        HTTP_X_REQUEST_ID="follow-me-42",
    )
    assert response.status_code == 302

    message = take_message(memory_broker)
    assert message.headers["task"] == "notifications.tasks.run_rule"
    assert message.headers["request_id"] == "follow-me-42"

    # The worker runs the message (as its solo pool does): its log lines carry the id.
    json_logs()
    Request(message, app=app, task=app.tasks[message.headers["task"]]).execute()
    records = json_logs()
    done = next(r for r in records if "succeeded" in r["message"])
    assert done["request_id"] == "follow-me-42"
    assert done["task"] == "notifications.tasks.run_rule"
    assert logging.getLogger().handlers  # and the worker's context is cleared after the task
    from core.logging import current_request_id

    assert current_request_id() is None


def test_a_task_sent_outside_any_request_logs_its_own_task_id(db, memory_broker, json_logs):
    from core import outbox
    from core.tasks import sweep_outbox

    outbox.send(sweep_outbox)  # as beat sends it: no request around
    message = take_message(memory_broker)
    assert "request_id" not in message.headers

    json_logs()
    Request(message, app=app, task=sweep_outbox).execute()
    done = next(r for r in json_logs() if "succeeded" in r["message"])
    assert done["request_id"] == message.headers["id"]


def log_from_a_fresh_process(tmp_path, **env):
    """A line logged by `manage.py shell` with these environment variables (settings read anew)."""
    environment = {**os.environ, "BAIFANG_VAR_DIR": str(tmp_path), **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.pop("LOG_FORMAT", None)
    environment.update(env)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import logging; logging.getLogger('baifang.test').warning('hello 你好')",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return next(line for line in result.stderr.splitlines() if "hello" in line)


def test_logs_are_json_lines_in_production_and_text_in_debug(tmp_path):
    line = log_from_a_fresh_process(tmp_path, DEBUG="false")
    assert json.loads(line) | {"timestamp": None} == {
        "level": "WARNING",
        "logger": "baifang.test",
        "message": "hello 你好",
        "request_id": "-",
        "timestamp": None,
    }

    text = log_from_a_fresh_process(tmp_path, DEBUG="true")
    assert "WARNING [-] baifang.test: hello 你好" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)

    forced = log_from_a_fresh_process(tmp_path, DEBUG="true", LOG_FORMAT="json")
    assert json.loads(forced)["message"] == "hello 你好"
