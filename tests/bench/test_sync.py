"""Benchmark: the sync of one territory and call uploads (issue 8). Run by `make bench`.

- Initial sync of one rep's territory (BENCH_SYNC_CUSTOMERS customers, default 1,000, at 50
  hospitals; BENCH_SYNC_CALLS calls, default 5,000), in pages of 500 and of 1,000: time,
  pages, changes, changes per second.
- Incremental sync of 50 changes (25 customer edits, 25 new calls), with the rest of the
  company (another territory) changing as much meanwhile.
- Call creation by 20 concurrent clients against gunicorn on loopback (PostgreSQL only: the
  server processes need the test database), each posting BENCH_SYNC_UPLOADS calls (default 25)
  with their own ids: requests per second, errors (must be 0) and lost calls (must be 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/baifang_sync \\
        pytest tests/bench/test_sync.py -p no:randomly -s --override-ini addopts=
"""

import datetime
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from calls import services as call_services
from calls.models import Call, CallAttendee, CallStatus
from customers import services as customer_services
from customers.models import Alignment, Customer, Institution
from org.services import api_token_create
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = int(os.environ.get("BENCH_SYNC_CUSTOMERS", "1000"))
CALLS = int(os.environ.get("BENCH_SYNC_CALLS", "5000"))
UPLOADS = int(os.environ.get("BENCH_SYNC_UPLOADS", "25"))
CLIENTS = 20


def territory_with_data(rep, code):
    territory = TerritoryFactory(holder=rep, code=code)
    institutions = Institution.objects.bulk_create(
        Institution(name=f"{code} 医院 {i}", city="上海") for i in range(50)
    )
    customers = Customer.objects.bulk_create(
        Customer(name=f"{code} 医生 {i}", institution=institutions[i % 50])
        for i in range(CUSTOMERS)
    )
    start = datetime.date(2025, 1, 1)
    Alignment.objects.bulk_create(
        Alignment(customer=c, territory=territory, valid_from=start) for c in customers
    )
    today = timezone.localdate()
    calls = Call.objects.bulk_create(
        (
            Call(
                territory=territory,
                rep=rep,
                date=today - datetime.timedelta(days=i % 90),
                start_time=datetime.time(9, 30),
                status=CallStatus.COMPLETED,
                institution=customers[i % CUSTOMERS].institution,
            )
            for i in range(CALLS)
        ),
        batch_size=1000,
    )
    CallAttendee.objects.bulk_create(
        (
            CallAttendee(call=call, customer=customers[i % CUSTOMERS])
            for i, call in enumerate(calls)
        ),
        batch_size=2000,
    )
    return territory, customers


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user).key}")
    return client


def sync(client, since=None, page_size=500):
    pages = changes = 0
    while True:
        params = {"page_size": page_size}
        if since:
            params["since"] = since
        body = client.get("/api/v1/sync/", params).json()
        pages += 1
        changes += len(body["changes"])
        since = body["cursor"]
        if not body["has_more"]:
            return since, pages, changes


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def test_sync_of_one_territory(capsys):
    rep, other = UserFactory(username="bench_rep"), UserFactory(username="bench_other")
    _territory, customers = territory_with_data(rep, "BT")
    _other_territory, other_customers = territory_with_data(other, "BO")
    client = client_of(rep)

    rows = []
    for page_size in (500, 1000):
        seconds, (cursor, pages, changes) = timed(sync, client, page_size=page_size)
        rows.append((f"initial sync, pages of {page_size}", seconds, pages, changes))

    for i in range(25):
        customer_services.customer_update(by=rep, customer=customers[i], title=f"主任 {i}")
        call_services.call_create(by=rep, customers=[customers[i]])
        customer_services.customer_update(by=other, customer=other_customers[i], title="x")
        call_services.call_create(by=other, customers=[other_customers[i]])
    seconds, (_cursor, pages, changes) = timed(sync, client, since=cursor)
    rows.append(("incremental sync, 50 changes", seconds, pages, changes))

    with capsys.disabled():
        print(
            f"\nSync of one territory ({CUSTOMERS} customers, {CALLS} calls), {connection.vendor}:"
        )
        for name, seconds, pages, changes in rows:
            print(
                f"  {name:32} {seconds:7.2f} s  {pages:3} pages  {changes:6} changes  "
                f"{changes / seconds:8.0f} changes/s"
            )
    assert rows[-1][3] >= 50


def _drop_queue(url):
    """Remove the jobs the server enqueued (only the default queue's key of that database)."""
    import redis

    redis.Redis.from_url(url).delete("celery")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn needs a shared database")
def test_call_uploads_by_20_concurrent_clients_against_gunicorn(capsys):
    rep = UserFactory(username="bench_uploader")
    _territory, customers = territory_with_data(rep, "BU")
    tokens = [api_token_create(user=rep, device=f"tablet {i}").key for i in range(CLIENTS)]
    port = _free_port()
    settings_db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_db['USER']}@{settings_db['HOST'] or '127.0.0.1'}:"
            f"{settings_db['PORT'] or 5432}/{settings_db['NAME']}"
        ),
        "SECURE_SSL_REDIRECT": "0",
        "API_THROTTLE_USER": "1000000/minute",  # 20 tablets of one rep in one burst
        "LOG_LEVEL": "WARNING",
        # Enqueue the reports' refresh jobs as production does (nobody consumes them here).
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    }
    workers = os.environ.get("BENCH_GUNICORN_WORKERS", "4")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            workers,
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).parents[2],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/api/v1/me/", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        errors, ids, lock = [], [], threading.Lock()

        def tablet(i):
            session = requests.Session()
            session.headers["Authorization"] = f"Token {tokens[i]}"
            for j in range(UPLOADS):
                call_id = str(uuid.uuid4())
                body = {
                    "id": call_id,
                    "customers": [str(customers[(i * UPLOADS + j) % CUSTOMERS].pk)],
                }
                response = session.post(f"{base}/api/v1/calls/", json=body, timeout=60)
                with lock:
                    if response.status_code != 201:
                        errors.append((response.status_code, response.text[:200]))
                    ids.append(call_id)

        threads = [threading.Thread(target=tablet, args=(i,)) for i in range(CLIENTS)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(30)
        _drop_queue(env["REDIS_URL"])

    stored = Call.objects.filter(pk__in=ids).count()
    with capsys.disabled():
        print(
            f"\nCall uploads: {CLIENTS} clients × {UPLOADS} calls against gunicorn "
            f"({workers} workers): {len(ids) / seconds:.0f} requests/s, {len(errors)} errors, "
            f"{len(ids) - stored} lost"
        )
    assert errors == []
    assert stored == len(ids) == CLIENTS * UPLOADS
