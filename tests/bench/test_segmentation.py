"""Benchmark: reclassifying one product for 600k customers after a threshold change (`make bench`).

PostgreSQL only. The data is generated set-based (INSERT … SELECT FROM generate_series): one
product, a handful of hospitals, BENCH_CUSTOMERS prescribers (default 600,000) with one to three
measures over the year (lognormal potential, support a share of it), an override for one customer
in 500, a first threshold from January and the history classified by the service. Then a new
threshold from July 1st and, on identical starting data (the class history is restored from a
snapshot before every run), three rounds of, in turn:

- the service: `classify(product=…)`, the work the threshold job does;
- one hand-written SQL statement doing the same work (data-modifying CTEs: the desired intervals,
  DELETE the rows that differ, INSERT the missing ones);
- the job as the app runs it: `reclassification_run` on a queued job (batches of customers).

Every run must leave exactly the same class history (compared with EXCEPT ALL), so the figures
compare the same work. The medians are printed, with the what-if preview's response time on the
same data (the selector, and the Segmentation page when it exists).

    BENCH_CUSTOMERS=20000 DATABASE_URL=postgres://… pytest tests/bench/test_segmentation.py \
        -p no:randomly -s --override-ini addopts=
"""

import datetime
import os
import statistics
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.template import TemplateDoesNotExist
from django.urls import NoReverseMatch, reverse

from customers import services
from customers.classification import classify
from customers.models import (
    ClassHistory,
    ClassOverride,
    Customer,
    Department,
    Institution,
    Measure,
    Reclassification,
    Threshold,
)
from customers.selectors import threshold_preview
from org.models import Role
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "600000"))
ROUNDS = 3
HOSPITALS, DEPARTMENTS = 8, 6  # departments per hospital
D = datetime.date
FIRST = {"potential_min": Decimal(60), "support_min": Decimal(12), "day": D(2026, 1, 1)}
CHANGE = {"potential_min": Decimal(45), "support_min": Decimal(15), "day": D(2026, 7, 1)}

HISTORY = ClassHistory._meta.db_table
# What a class history row says, whoever wrote it (ids and recorded_at differ by nature).
ROW = "customer_id, product_id, klass, source, valid_from, valid_to, cause, note, author_id"


def execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def insert_select(model, source, columns, params, order):
    """INSERT INTO the model's table SELECT … FROM `source` ORDER BY `order`: `columns` maps a
    column to its SQL expression (named parameters from `params`); the other columns get the
    field's default (now() for timestamps). Returns the rows inserted."""
    names, expressions, params = [], [], dict(params)
    for field in model._meta.concrete_fields:
        names.append(connection.ops.quote_name(field.column))
        if field.column in columns:
            expressions.append(columns[field.column])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions.append("now()")
        else:
            value = field.get_default()
            assert value is not None or field.null, f"{model.__name__}.{field.name} needs a value"
            params[f"default_{field.column}"] = field.get_db_prep_save(value, connection)
            expressions.append(f"%(default_{field.column})s")
    return execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(expressions)} FROM {source} ORDER BY {order}",
        params,
    )


def customer_id(i):
    """A deterministic, randomly ordered UUID for customer number `i` (an SQL expression)."""
    return f"md5('bench-customer-' || {i})::uuid"


def generate(product, admin):
    """The prescribers, their measures and the overrides, in a few set-based statements."""
    institutions = Institution.objects.bulk_create(
        Institution(name=f"基准医院{h}", name_en=f"Bench Hospital {h}", level="三级甲等")
        for h in range(HOSPITALS)
    )
    departments = Department.objects.bulk_create(
        Department(institution=h, name=f"科室{d}", specialty="Oncology")
        for h in institutions
        for d in range(DEPARTMENTS)
    )
    execute("CREATE TEMP TABLE bench_departments (n int PRIMARY KEY, id uuid, institution_id uuid)")
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO bench_departments VALUES (%s, %s, %s)",
            [(n, d.pk, d.institution_id) for n, d in enumerate(departments)],
        )
    params = {"product": product.pk, "admin": admin.pk}
    customers = insert_select(
        Customer,
        f"generate_series(1, {CUSTOMERS}) AS i "
        f"JOIN bench_departments d ON d.n = mod(i, {len(departments)})",
        {
            "id": customer_id("i"),
            "name": "'医生' || i",
            "name_en": "'Doctor ' || i",
            "kind": "'prescriber'",
            "institution_id": "d.institution_id",
            "department_id": "d.id",
        },
        params,
        order="i",
    )
    # Per customer a lognormal potential (median ≈ 33 prescriptions a month) and a share of it
    # that is ours; a measure in January for all, a second in spring for 60 %, a third in the
    # autumn for 30 %, each drifting a little.
    execute("SELECT setseed(0.42)")
    measures = insert_select(
        Measure,
        f"""(SELECT i,
                    exp(3.5 + 1.0 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
                        AS potential,
                    0.02 + 0.45 * power(random(), 2) AS share,
                    random() AS second, random() AS third, random() AS day
             FROM generate_series(1, {CUSTOMERS}) AS i) AS b
        CROSS JOIN LATERAL (VALUES
            (1, date '2026-01-01', 1.0, 1.0),
            (2, date '2026-03-01' + (b.day * 120)::int, 0.8 + 0.4 * b.second, 0.6 + b.third),
            (3, date '2026-08-15' + (b.day * 90)::int, 0.7 + 0.6 * b.third, 0.5 + b.second)
        ) AS v(n, valid_from, drift, support_drift)
        WHERE v.n = 1 OR (v.n = 2 AND b.second < 0.6) OR (v.n = 3 AND b.third < 0.3)""",
        {
            "id": "md5('bench-measure-' || b.i || '-' || v.n)::uuid",
            "customer_id": customer_id("b.i"),
            "product_id": "%(product)s",
            "potential": "round((b.potential * v.drift)::numeric, 2)",
            "support": "round((b.potential * b.share * v.drift * v.support_drift)::numeric, 2)",
            "valid_from": "v.valid_from",
        },
        params,
        order="v.n, b.i",  # as they arrive: the January import, then spring's, then autumn's
    )
    # One customer in 500 has an override from May; half of them are cleared in September.
    overrides = insert_select(
        ClassOverride,
        f"generate_series(500, {CUSTOMERS}, 500) AS i",
        {
            "id": "md5('bench-override-' || i)::uuid",
            "customer_id": customer_id("i"),
            "product_id": "%(product)s",
            "klass": "(ARRAY['A', 'B', 'C', 'D'])[1 + mod(i / 500, 4)]",
            "reason": "'Key account, agreed with the DM'",
            "valid_from": "date '2026-05-01'",
            "cleared_on": "CASE WHEN mod(i, 1000) = 0 THEN date '2026-09-01' END",
            "author_id": "%(admin)s",
            "cleared_by_id": "CASE WHEN mod(i, 1000) = 0 THEN %(admin)s END",
        },
        params,
        order="i",
    )
    return customers, measures, overrides


# The same work as `classify(product=…)` in one statement: the desired intervals (every day an
# input starts or ends is a point; its class is the override in force, else A-D from the measure
# and threshold in force; equal neighbours merge), then the rows that differ go and the missing
# ones come. Both modifying CTEs see the history as it was before the statement.
HAND_SQL = f"""
WITH
m AS (
    SELECT m.customer_id, m.valid_from, m.potential, m.support, m.author_id,
           LEAD(m.valid_from) OVER (PARTITION BY m.customer_id ORDER BY m.valid_from) AS until
    FROM customers_measure m
    JOIN customers_customer c ON c.id = m.customer_id
    WHERE m.product_id = %(product)s AND c.kind = 'prescriber'
),
t AS (
    SELECT valid_from, potential_min, support_min, reason, author_id,
           LEAD(valid_from) OVER (ORDER BY valid_from) AS until
    FROM customers_threshold WHERE product_id = %(product)s
),
o AS (
    SELECT o.customer_id, o.valid_from, o.cleared_on, o.klass, o.reason, o.author_id,
           o.cleared_by_id
    FROM customers_classoverride o
    JOIN customers_customer c ON c.id = o.customer_id
    WHERE o.product_id = %(product)s AND c.kind = 'prescriber'
      AND (o.cleared_on IS NULL OR o.cleared_on > o.valid_from)
),
points AS (  -- what starts on a day: override > override cleared > threshold > measures
    SELECT DISTINCT ON (customer_id, d) customer_id, d, cause, note, author_id
    FROM (
        SELECT customer_id, valid_from AS d, 4 AS r, 'measures' AS cause, '' AS note, author_id
        FROM m
        UNION ALL
        SELECT c.customer_id, t.valid_from, 3, 'threshold', t.reason, t.author_id
        FROM (SELECT DISTINCT customer_id FROM m) c CROSS JOIN t
        UNION ALL
        SELECT customer_id, valid_from, 1, 'override', reason, author_id FROM o
        UNION ALL
        SELECT customer_id, cleared_on, 2, 'override_cleared', '', cleared_by_id
        FROM o WHERE cleared_on IS NOT NULL
    ) e
    ORDER BY customer_id, d, r
),
classes AS (
    SELECT p.customer_id, p.d, p.cause, p.note, p.author_id,
           COALESCE(o.klass, CASE
               WHEN m.potential IS NULL OR t.potential_min IS NULL THEN NULL
               WHEN m.potential >= t.potential_min AND m.support >= t.support_min THEN 'A'
               WHEN m.potential >= t.potential_min THEN 'B'
               WHEN m.support >= t.support_min THEN 'C'
               ELSE 'D' END) AS klass,
           CASE WHEN o.klass IS NULL THEN 'computed' ELSE 'override' END AS source
    FROM points p
    LEFT JOIN m ON m.customer_id = p.customer_id
         AND m.valid_from <= p.d AND (m.until IS NULL OR p.d < m.until)
    LEFT JOIN t ON t.valid_from <= p.d AND (t.until IS NULL OR p.d < t.until)
    LEFT JOIN o ON o.customer_id = p.customer_id
         AND o.valid_from <= p.d AND (o.cleared_on IS NULL OR p.d < o.cleared_on)
),
changes AS (
    SELECT *
    FROM (SELECT classes.*,
                 LAG(COALESCE(klass, '-') || source) OVER (
                     PARTITION BY customer_id ORDER BY d) AS before
          FROM classes) s
    WHERE before IS DISTINCT FROM COALESCE(klass, '-') || source
),
desired AS (
    SELECT * FROM (
        SELECT customer_id, klass, source, d AS valid_from,
               LEAD(d) OVER (PARTITION BY customer_id ORDER BY d) - 1 AS valid_to,
               cause, note, author_id
        FROM changes) i
    WHERE klass IS NOT NULL
),
gone AS (
    DELETE FROM {HISTORY} h
    WHERE h.product_id = %(product)s AND NOT EXISTS (
        SELECT 1 FROM desired d
        WHERE d.customer_id = h.customer_id AND d.valid_from = h.valid_from
          AND d.valid_to IS NOT DISTINCT FROM h.valid_to
          AND d.klass = h.klass AND d.source = h.source AND d.cause = h.cause)
    RETURNING 1
),
added AS (
    INSERT INTO {HISTORY} (customer_id, product_id, klass, source, valid_from, valid_to, cause,
                           note, author_id, recorded_at)
    SELECT d.customer_id, %(product)s, d.klass, d.source, d.valid_from, d.valid_to, d.cause,
           d.note, d.author_id, now()
    FROM desired d
    WHERE NOT EXISTS (
        SELECT 1 FROM {HISTORY} h
        WHERE h.product_id = %(product)s AND h.customer_id = d.customer_id
          AND h.valid_from = d.valid_from AND h.valid_to IS NOT DISTINCT FROM d.valid_to
          AND h.klass = d.klass AND h.source = d.source AND h.cause = d.cause)
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM gone) + (SELECT COUNT(*) FROM added)
"""


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def restore():
    """The class history as it was before the threshold change (outside the timings)."""
    execute(f"TRUNCATE {HISTORY}")
    execute(f"INSERT INTO {HISTORY} SELECT * FROM bench_before")
    execute(f"VACUUM ANALYZE {HISTORY}")


def differences():
    """Rows in one of the history and the expected result but not in the other."""
    return execute(
        f"""SELECT (SELECT COUNT(*) FROM (SELECT {ROW} FROM {HISTORY}
                                         EXCEPT ALL SELECT {ROW} FROM bench_expected) a),
                   (SELECT COUNT(*) FROM (SELECT {ROW} FROM bench_expected
                                         EXCEPT ALL SELECT {ROW} FROM {HISTORY}) b)"""
    )[0]


def test_reclassify_600k_after_a_threshold_change(client):
    if connection.vendor != "postgresql":
        pytest.skip("the segmentation benchmark needs PostgreSQL (set DATABASE_URL=postgres://…)")
    admin = UserFactory(username="bench_admin", role=Role.ADMIN)
    product = ProductFactory(name="Benchmab", code="BENCH")
    print(f"\nsegmentation benchmark: {CUSTOMERS:,} prescribers, one product")

    seconds, (customers, measures, overrides) = timed(lambda: generate(product, admin))
    Threshold.objects.create(
        product=product,
        potential_min=FIRST["potential_min"],
        support_min=FIRST["support_min"],
        valid_from=FIRST["day"],
        reason="First thresholds",
        author=admin,
    )
    execute("VACUUM ANALYZE customers_customer, customers_measure, customers_classoverride")
    print(
        f"  generated {customers:,} customers, {measures:,} measures, {overrides:,} overrides "
        f"in {seconds:.1f} s"
    )
    seconds, initial = timed(lambda: classify(product=product))
    print(f"  first classification (service): {initial:,} history rows in {seconds:.1f} s")
    execute(f"VACUUM ANALYZE {HISTORY}")
    execute(f"CREATE TEMP TABLE bench_before AS SELECT * FROM {HISTORY}")

    # The what-if preview, before applying (as the admin sees it).
    preview_args = {
        "product": product,
        "potential_min": CHANGE["potential_min"],
        "support_min": CHANGE["support_min"],
        "on": CHANGE["day"],
    }
    preview = threshold_preview(**preview_args)
    preview_times = [timed(lambda: threshold_preview(**preview_args))[0] for _ in range(ROUNDS)]
    page_times = page_preview_times(client, admin, product, preview["moved"])

    threshold = Threshold.objects.create(
        product=product,
        potential_min=CHANGE["potential_min"],
        support_min=CHANGE["support_min"],
        valid_from=CHANGE["day"],
        reason="Mid-year review",
        author=admin,
    )

    def service():
        return classify(product=product)

    def hand():
        return execute(HAND_SQL, {"product": product.pk})[0][0]

    def job():
        queued = Reclassification.objects.create(product=product, threshold=threshold)
        return services.reclassification_run(job_id=queued.pk).changed

    runs = {"service": service, "hand SQL": hand, "job": job}
    times = {name: [] for name in runs}
    changed = {}
    for round_ in range(ROUNDS):
        # Alternate the order so that no variant always runs on the warmest cache.
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for name in order:
            restore()
            seconds, changed[name] = timed(runs[name])
            times[name].append(seconds)
            print(f"  round {round_ + 1}: {name:<8} {seconds:7.2f} s", flush=True)
            if round_ == 0 and name == order[0]:
                execute(f"CREATE TEMP TABLE bench_expected AS SELECT {ROW} FROM {HISTORY}")
            assert differences() == (0, 0), f"{name} left a different class history"
    assert changed["service"] == changed["hand SQL"] == changed["job"] > 0, changed

    median = {name: statistics.median(values) for name, values in times.items()}
    rows = execute(f"SELECT COUNT(*) FROM {HISTORY}")[0][0]
    print(f"  customers                 {customers:,}")
    print(f"  measure rows              {measures:,}")
    print(f"  history rows before/after {initial:,} / {rows:,}")
    print(f"  history rows changed      {changed['service']:,}  (deleted + inserted)")
    print(
        f"  preview would move        {preview['moved']:,} of {preview['total']:,} on "
        f"{CHANGE['day']}"
    )
    for name in runs:
        print(
            f"  {name:<25} {median[name]:8.2f} s   (runs: "
            f"{', '.join(f'{s:.2f}' for s in times[name])})"
        )
    ratio = median["service"] / median["hand SQL"]
    print(f"  service / hand SQL        {ratio:8.2f}×  (goal ≤ 1.5×)")
    print(
        f"  job / service             {median['job'] / median['service']:8.2f}×  "
        f"(batches of {services.RECLASSIFICATION_BATCH:,} customers)"
    )
    print(f"  preview (selector)        {statistics.median(preview_times) * 1000:8.0f} ms")
    if isinstance(page_times, str):
        print(f"  preview (page)            not measured: {page_times}")
    else:
        print(f"  preview (page)            {statistics.median(page_times) * 1000:8.0f} ms")
    execute("DROP TABLE bench_departments, bench_before, bench_expected")


def page_preview_times(client, admin, product, moved):
    """Times of the Segmentation page's preview request (GET with the proposed thresholds), or
    the reason it was not measured (the page is being built in parallel)."""
    try:
        url = reverse("customers:segmentation_product", args=[product.pk])
    except NoReverseMatch:
        return "customers:segmentation_product does not exist yet"
    client.force_login(admin)
    query = {
        "potential_min": CHANGE["potential_min"],
        "support_min": CHANGE["support_min"],
        "valid_from": CHANGE["day"].isoformat(),
    }
    try:
        response = client.get(url, query)
    except TemplateDoesNotExist as error:
        return f"the page's template {error} does not exist yet"
    assert response.status_code == 200
    assert response.context["preview"]["moved"] == moved
    result = []
    for _ in range(ROUNDS):
        seconds, response = timed(lambda: client.get(url, query))
        assert response.status_code == 200
        result.append(seconds)
    return result
