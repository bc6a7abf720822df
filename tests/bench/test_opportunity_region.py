"""Benchmark: the regional manager's opportunity page and regional roll-up on the demo company at
`seed_demo` scale 1 and 5 (`make bench`; PostgreSQL: set DATABASE_URL).

Prints the time per request at both scales and their ratio, measured in one run (each scale is
seeded inside a transaction rolled back afterwards). The goal — under 300 ms at scale 1 and flat
in the number of districts — is printed, not asserted. Fresh tables are measured as they are
(no ANALYZE): the server of the project runs without autovacuum, so statistics are missing."""

import io
import time

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from org.models import District, User

pytestmark = pytest.mark.django_db

PAGES = {"opportunity": "/reports/opportunity/", "roll-up": "/reports/"}
REPEAT = 10


class _Rollback(Exception):
    pass


def per_request(client, url):
    client.get(url, secure=True)
    start = time.perf_counter()
    for _ in range(REPEAT):
        assert client.get(url, secure=True).status_code == 200
    return (time.perf_counter() - start) / REPEAT


def measure(scale):
    """{page: seconds per request} and the number of districts, at `seed_demo --scale`."""
    times = {}
    try:
        with transaction.atomic():
            call_command("seed_demo", scale=scale, stdout=io.StringIO())
            client = Client()
            client.force_login(User.objects.get(username="rm.east"))
            times = {name: per_request(client, url) for name, url in PAGES.items()}
            times["districts"] = District.objects.count()
            raise _Rollback
    except _Rollback:
        pass
    return times


def test_regional_pages_at_scale_1_and_5():
    small = measure(1)
    large = measure(5)
    print(
        f"\nregional manager   scale 1 ({small['districts']} districts)   "
        f"scale 5 ({large['districts']} districts)   ratio"
    )
    for name in PAGES:
        print(
            f"{name:<18} {small[name] * 1000:>8.0f} ms {large[name] * 1000:>22.0f} ms"
            f" {large[name] / small[name]:>10.2f}"
        )
    print("goal: under 300 ms at scale 1, ratio near 1 (flat in the number of districts)")
