"""Benchmark: bulk onboarding of BENCH_IMPORT_CUSTOMERS customers (default 100,000) with their
institutions (one per 100 customers) and alignments (one per customer), from CSV (`make bench`).

PostgreSQL only. Three files are generated (institutions, customers referring to their
institution by external id, alignments referring to the customer by external id and to the
territory by code) and imported as an admin would: a dry run, then the apply, file by file. The
apply's time is compared with PostgreSQL `COPY` of the same rows into the same tables (in a
transaction rolled back before the import); the goal is at most 5×. The import does more than
COPY: it reads and checks every row, matches it, and writes the change log and the history.

    BENCH_IMPORT_CUSTOMERS=20000 DATABASE_URL=postgres://… pytest tests/bench/test_import.py \
        -p no:randomly -s --override-ini addopts=
"""

import csv
import datetime
import io
import os
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Alignment, Customer, Import, Institution
from customers.services import bulk_import
from customers.services.bulk_import import import_start
from org.models import Role
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = int(os.environ.get("BENCH_IMPORT_CUSTOMERS", "100000"))
PER_INSTITUTION = 100
TERRITORIES = 20
GOAL = 5.0
START = datetime.date(2026, 1, 1)


def csv_bytes(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def files(territories):
    institutions = [["external_id", "name", "level", "city", "beds"]] + [
        [f"H{h:06}", f"基准医院{h}", "三级甲等", "上海", 500 + h % 700]
        for h in range(CUSTOMERS // PER_INSTITUTION)
    ]
    customers = [["external_id", "name", "institution", "kind", "title"]] + [
        [f"C{i:07}", f"医生{i}", f"H{i // PER_INSTITUTION:06}", "prescriber", "主任医师"]
        for i in range(CUSTOMERS)
    ]
    alignments = [["customer", "territory", "valid_from"]] + [
        [f"C{i:07}", territories[i % len(territories)].code, START.isoformat()]
        for i in range(CUSTOMERS)
    ]
    return {
        "institutions": (len(institutions) - 1, csv_bytes(institutions)),
        "customers": (len(customers) - 1, csv_bytes(customers)),
        "alignments": (len(alignments) - 1, csv_bytes(alignments)),
    }


def copy_rows(model, rows):
    """COPY `rows` (dicts of column → value) into the model's table; every concrete column."""
    columns = [f.column for f in model._meta.concrete_fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if row.get(c) is None else row[c] for c in columns])
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN "
            "WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )


def copy_baseline(territories):
    """Seconds to COPY the same institutions, customers and alignments (rolled back after)."""
    now = timezone.now()
    common = {"version": 1, "created_at": now, "updated_at": now}
    institutions = [
        {
            **{f.column: f.get_default() for f in Institution._meta.concrete_fields},
            **common,
            "id": uuid.uuid4(),
            "name": f"基准医院{h}",
            "name_en": "",
            "kind": "hospital",
            "level": "3A",
            "city": "上海",
            "province": "",
            "beds": 500 + h % 700,
            "external_id": f"H{h:06}",
        }
        for h in range(CUSTOMERS // PER_INSTITUTION)
    ]
    customers = []
    for i in range(CUSTOMERS):
        customer = Customer(name=f"医生{i}")
        customer.set_search_keys()
        customers.append(
            {
                **{f.column: f.get_default() for f in Customer._meta.concrete_fields},
                **common,
                "id": uuid.uuid4(),
                "name": customer.name,
                "name_pinyin": customer.name_pinyin,
                "name_initials": customer.name_initials,
                "institution_id": institutions[i // PER_INSTITUTION]["id"],
                "department_id": None,
                "kind": "prescriber",
                "title": "主任医师",
                "external_id": f"C{i:07}",
            }
        )
    alignments = [
        {
            **{f.column: f.get_default() for f in Alignment._meta.concrete_fields},
            **common,
            "id": uuid.uuid4(),
            "customer_id": customers[i]["id"],
            "territory_id": territories[i % len(territories)].pk,
            "valid_from": START,
            "valid_to": None,
        }
        for i in range(CUSTOMERS)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        copy_rows(Institution, institutions)
        copy_rows(Customer, customers)
        copy_rows(Alignment, alignments)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def profile():
    """Start profiling (`BENCH_PROFILE=<kind>`): pyinstrument (wall time, database included) if
    installed, else cProfile; returns the function that stops and prints it."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        return lambda: (
            profiler.disable(),
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40),
        )
    profiler = Profiler(interval=0.002)
    profiler.start()
    return lambda: (profiler.stop(), print(profiler.output_text(color=False)))


def test_import_100k_customers_with_institutions_and_alignments(settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the import benchmark needs PostgreSQL (set DATABASE_URL=postgres://…)")
    settings.IMPORT_INLINE_KB = 10**6  # run within the test, as a worker would
    settings.IMPORT_MAX_MB = 100
    # The territories' compliance refresh after the alignments is a worker's job, not the
    # import's: it is not timed here.
    monkeypatch.setattr(bulk_import.events, "send_on_commit", lambda *a, **k: None)
    admin = UserFactory(username="bench_admin", role=Role.ADMIN)
    territories = [TerritoryFactory(code=f"B{t:02}") for t in range(TERRITORIES)]
    data = files(territories)
    institutions = CUSTOMERS // PER_INSTITUTION
    print(f"\nimport benchmark: {CUSTOMERS:,} customers, {institutions:,} institutions")

    copy_seconds = copy_baseline(territories)
    print(f"  COPY of the same rows: {copy_seconds:.2f} s")

    dry_total = apply_total = 0.0
    for kind, (rows, content) in data.items():
        started = time.perf_counter()
        job = import_start(by=admin, file=io.BytesIO(content), kind=kind, dry_run=True)
        dry = time.perf_counter() - started
        assert job.status == "done" and job.error_count == 0, job.errors[:5]
        assert (job.rows, job.created) == (rows, rows)
        started = time.perf_counter()
        stop = profile() if os.environ.get("BENCH_PROFILE") == kind else None
        job = import_start(by=admin, file=io.BytesIO(content), kind=kind, dry_run=False)
        applied = time.perf_counter() - started
        if stop:
            stop()
        assert job.status == "done" and job.created == rows, job.errors[:5]
        dry_total, apply_total = dry_total + dry, apply_total + applied
        print(f"  {kind:<13} {rows:>8,} rows: dry run {dry:6.2f} s, apply {applied:6.2f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_institution, customers_customer, customers_alignment")
    assert Customer.objects.filter(external_id__startswith="C").count() == CUSTOMERS
    assert Alignment.objects.filter(territory__in=territories).count() == CUSTOMERS
    ratio = apply_total / copy_seconds
    print(
        f"  apply {apply_total:.2f} s = {ratio:.1f}× COPY (goal ≤ {GOAL:.0f}×); "
        f"dry runs {dry_total:.2f} s"
    )
    # A re-import of the same customers changes nothing, and says so.
    started = time.perf_counter()
    job = import_start(
        by=admin, file=io.BytesIO(data["customers"][1]), kind="customers", dry_run=True
    )
    print(f"  dry run of the same customers again: {time.perf_counter() - started:.2f} s")
    assert job.unchanged == CUSTOMERS
    assert Import.objects.count() == 7
