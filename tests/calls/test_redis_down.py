"""Degrade, don't die: with Redis (cache and broker) down, the API and the pages answer, a call
is saved, its recompute is kept in the outbox, and the sweep sends it once the broker is back.

Redis is "down" by pointing the product's Redis settings at a closed port (tests/redis_down.py);
the machine's Redis keeps running for everyone else."""

import pytest
from celery.app.task import Task
from django.utils import timezone

from calls.models import Call
from core import outbox
from core.models import OutboxTask
from core.periods import month_of, quarter_of
from reports.models import ActivitySnapshot
from tests.calls.test_api import URL, payload
from tests.calls.test_call_form import new_url, untouched
from tests.redis_down import DOWN, broker_back_url, drain

pytestmark = pytest.mark.django_db

RECOMPUTE = "reports.tasks.recompute_territory"


def kept(territory):
    """The recomputes of `territory` kept in the outbox, as (task, period) pairs."""
    return sorted(
        (row.task, row.args[0])
        for row in OutboxTask.objects.filter(sent_at__isnull=True)
        if row.args[1:] == [str(territory.pk)]
    )


def now_periods():
    today = timezone.localdate()
    return sorted((RECOMPUTE, p.key) for p in (month_of(today), quarter_of(today)))


def test_the_api_and_the_pages_answer_with_redis_down(cw, api, login, redis_at):
    redis_at(DOWN)

    listed = api(cw.rep_x).get("/api/v1/customers/")
    again = api(cw.rep_x).get("/api/v1/customers/")  # throttled by the local cache meanwhile
    page = login(cw.rep_x).get(new_url(cw.cx))

    assert listed.status_code == 200
    assert listed["Content-Type"].startswith("application/json")
    assert again.status_code == 200
    assert page.status_code == 200


def test_a_call_sent_to_the_api_is_saved_and_its_recompute_kept(
    cw, api, redis_at, django_capture_on_commit_callbacks
):
    redis_at(DOWN)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(cw.rep_x).post(URL, payload(cw), format="json")

    assert response.status_code == 201, response.content
    assert Call.objects.filter(pk=response.json()["id"]).exists()
    assert kept(cw.tx) == now_periods()


def test_the_call_form_saves_and_answers_without_waiting_for_the_broker(
    cw, login, redis_at, django_capture_on_commit_callbacks, monkeypatch
):
    redis_at(DOWN)
    client = login(cw.rep_x)
    data = untouched(client.get(new_url(cw.cx)))

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(new_url(cw.cx), data)
    # Once the broker failed, the next saves go straight to the outbox: no send is tried.
    tried = []
    real = Task.apply_async
    monkeypatch.setattr(Task, "apply_async", lambda *a, **kw: tried.append(a) or real(*a, **kw))
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(new_url(cw.cx2), untouched(client.get(new_url(cw.cx2))))

    assert first.status_code == 302
    assert second.status_code == 302
    assert Call.objects.filter(customers=cw.cx).count() == 1
    assert Call.objects.filter(customers=cw.cx2).count() == 1
    assert tried == []
    assert OutboxTask.objects.filter(task=RECOMPUTE, sent_at__isnull=True).count() == 4
    assert kept(cw.tx) == sorted(now_periods() * 2)


def test_the_sweep_sends_the_kept_recomputes_when_the_broker_is_back(
    cw, api, redis_at, django_capture_on_commit_callbacks
):
    redis_at(DOWN)
    with django_capture_on_commit_callbacks(execute=True):
        api(cw.rep_x).post(URL, payload(cw), format="json")
    assert outbox.sweep() == 0  # still down: nothing is lost, nothing is marked sent
    assert kept(cw.tx) == now_periods()

    redis_at.broker(broker_back_url(redis_at.tmp_path))
    assert outbox.sweep() == 2

    assert kept(cw.tx) == []
    assert OutboxTask.objects.filter(sent_at__isnull=False).count() == 2
    assert outbox.sweep() == 0  # sent once: a second sweep sends nothing again
    messages = drain(redis_at.queue)
    assert sorted((name, args[0]) for name, args, _ in messages) == now_periods()
    # A worker runs them: the territory's figures now count the call logged while Redis was down.
    from config.celery import app

    for name, args, kwargs in messages:
        app.tasks[name].apply(args=args, kwargs=kwargs).get()
    month = month_of(timezone.localdate()).key
    assert ActivitySnapshot.objects.get(territory=cw.tx, period=month).completed_calls == 1
