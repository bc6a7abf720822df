"""Benchmark (issue 17): the admin's desk tables and dashboards at 6,000 and 600,000 customers
(`make bench`; PostgreSQL only: set DATABASE_URL).

The demo company (`seed_demo`, ~650 customers) is multiplied set-based by `demo.bulk.multiply`
to 10 copies (6,500 customers), measured, then grown to 1,000 copies (650,000 customers, 6.3M
calls) and measured again, all inside the test's transaction (rolled back at the end). For each
page: the default view, a sort, a filter and a search (the plans table has no search: its rep
filter stands in), as the admin, median of BENCH_REPEAT requests after one warm-up. Printed, not
asserted; the goal is under 300 ms at 600k and at most 1.5× the page at 6k.
BENCH_SMALL_COPIES / BENCH_LARGE_COPIES change the two sizes (e.g. 100 for a quick try)."""

import io
import os
import statistics
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from customers.models import Customer
from org.models import Region, User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="demo.bulk (INSERT … SELECT … generate_series) needs PostgreSQL: set DATABASE_URL",
    ),
]

SMALL = int(os.environ.get("BENCH_SMALL_COPIES", "10"))
LARGE = int(os.environ.get("BENCH_LARGE_COPIES", "1000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
GOAL_MS, GOAL_RATIO = 300, 1.5


def pages():
    rep = User.objects.get(username="rep.sh1")
    region = f"region={Region.objects.get(code='EAST').pk}"  # the admin's dashboard's
    return {
        "customers": "/customers/",
        "customers, sort institution": "/customers/?sort=institution",
        "customers, class A": "/customers/?klass=A",
        "customers, search 王": "/customers/?q=%E7%8E%8B",
        "calls": "/calls/",
        "calls, sort -date": "/calls/?sort=-date",
        "calls, PIMs": "/calls/?is_pim=true",
        "calls, search Wang": "/calls/?q=Wang",
        "plans": "/plans/",
        "plans, sort rep": "/plans/?sort=rep",
        "plans, submitted": "/plans/?status=submitted",
        "plans, one rep": f"/plans/?rep={rep.pk}",
        "dashboard": "/reports/",
        "targets B, not covered": f"/reports/targets/?{region}&klass=B&show=uncovered",
        "activity, calls": f"/reports/activity/?{region}&show=calls",
        "adoption A, ONC-1": f"/reports/adoption/?{region}&klass=A&product=ONC-1",
    }


def median_ms(client, url):
    assert client.get(url, secure=True).status_code == 200, url
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(url, secure=True)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, url
    return statistics.median(times) * 1000


def measure(urls):
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    return {name: median_ms(client, url) for name, url in urls.items()}


def test_desk_tables_and_dashboards_at_6k_and_600k():
    from demo import bulk

    started = time.perf_counter()
    call_command("seed_demo", stdout=io.StringIO())
    bulk.multiply(SMALL)
    seeded = time.perf_counter()
    urls = pages()
    small_customers = Customer.objects.count()
    small = measure(urls)
    measured = time.perf_counter()
    bulk.multiply(LARGE)
    grown = time.perf_counter()
    large_customers = Customer.objects.count()
    large = measure(urls)
    done = time.perf_counter()

    print(
        f"\nadmin, median of {REPEAT}   {small_customers:,} customers   "
        f"{large_customers:,} customers   ratio   goal <{GOAL_MS} ms, ≤{GOAL_RATIO}×"
    )
    for name in urls:
        ratio = large[name] / small[name]
        verdict = "ok" if large[name] < GOAL_MS and ratio <= GOAL_RATIO else "MISSED"
        print(
            f"{name:<30} {small[name]:>8.0f} ms {large[name]:>15.0f} ms {ratio:>10.2f}   {verdict}"
        )
    print(
        f"seed 6k {seeded - started:.0f} s, measure {measured - seeded:.0f} s, grow to 600k "
        f"{grown - measured:.0f} s, measure {done - grown:.0f} s"
    )
