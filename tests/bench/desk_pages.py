"""Time the admin's desk tables and drills against databases that already hold the data (issue 17).

`tests/bench/test_desk_scale.py` grows the demo to 652,000 customers inside its own transaction,
which takes most of an hour on a busy machine. This script measures the same pages against
databases built once and kept, e.g.

    createdb bench6k && DATABASE_URL=postgres://…/bench6k python manage.py migrate \
        && DATABASE_URL=postgres://…/bench6k python manage.py seed_demo --scale 11  # 7,172
    createdb bench_db && … seed_demo --scale 1000   # 652,000 customers, about 13 minutes
    .venv/bin/python tests/bench/desk_pages.py postgres://…/bench6k postgres://…/bench_db

BENCH_PAGES (optional) keeps the pages whose name holds one of its comma-separated parts
(`BENCH_PAGES="search,class"`); BENCH_USER measures as another user than `admin` (`rm.east`,
`dm.sh`). It prints, per page, the median of BENCH_REPEAT (default 3) requests after a warm-up
(Django's test client, `force_login`, DEBUG on as in the bench), the SQL time and the query
count, for each database in turn, in one run.
"""

import logging
import os
import statistics
import subprocess
import sys
import time

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
ONLY = [part for part in os.environ.get("BENCH_PAGES", "").split(",") if part]


def pages(region, period):
    drill = f"{region}&{period}"
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
        "region roll-up": "/reports/",
        "targets drill (B, not covered)": f"/reports/targets/?{drill}&klass=B&show=uncovered",
        "activity drill (calls)": f"/reports/activity/?{drill}&show=calls",
        "adoption drill (A, ONC-1)": f"/reports/adoption/?{drill}&klass=A&product=ONC-1",
    }


def measure():
    """In a child process whose DATABASE_URL is the database to measure."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from calls.models import Call
    from org.models import Region, User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    logging.disable(logging.INFO)  # the access log of every request
    client = Client()
    client.force_login(User.objects.get(username=os.environ.get("BENCH_USER", "admin")))
    region = f"region={Region.objects.get(code='EAST').pk}"
    # The drills of the month of the latest completed call (the demo's data, whenever it runs).
    latest = Call.objects.filter(status="completed").order_by("-date").values("date")[0]["date"]
    for name, url in pages(region, f"period={latest:%Y-%m}").items():
        if ONLY and not any(part in name for part in ONLY):
            continue
        assert client.get(url, secure=True).status_code == 200, url
        times = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url, secure=True)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, url
        sql = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        print(
            f"{name:32} {statistics.median(times):8.0f} ms   sql {sql:6.0f} ms   "
            f"{len(queries.captured_queries):3} queries",
            flush=True,
        )


if __name__ == "__main__":
    if len(sys.argv) == 1:
        measure()
    else:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        for url in sys.argv[1:]:
            print(f"== {url.rsplit('/', 1)[-1]}", flush=True)
            env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": root}
            subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, check=True)
