"""The one service that keeps the class history of prescribers, set-based in SQL.

For a product (optionally one customer, or a batch of customers by id range) it derives the whole
class timeline from the inputs — measures, thresholds and overrides — and writes only the
difference to `ClassHistory`:

1. every date on which an input of a (customer, product) starts or ends is a *point*;
2. on each point the class is the override in force, else A/B/C/D from the measure and the
   threshold in force (no measure or no threshold: no class);
3. consecutive points with the same class and source form one interval (gaps and islands),
   whose cause is what started it (override > override cleared > threshold > measures);
4. history rows that differ from the desired intervals are deleted, missing ones inserted.

So recomputing twice changes nothing, and a class that did not change gets no new row.
Non-prescribers have no rows: they are always N (by role group).
The same SQL runs on PostgreSQL and SQLite; the two differ only in date arithmetic.
"""

import itertools
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from org.models import Product

from .models import ClassHistory, Customer, CustomerKind

HISTORY = ClassHistory._meta.db_table
DESIRED = "_desired_classes"


def _minus_one_day(column):
    if connection.vendor == "postgresql":
        return f"({column} - 1)"
    return f"date({column}, '-1 day')"


def _db(pk):
    """A primary key as the database stores it (SQLite keeps UUIDs as 32 hex characters)."""
    return Customer._meta.pk.get_db_prep_value(pk, connection)


def desired_classes_sql(scope):
    """SELECT of the desired intervals (customer_id, klass, source, valid_from, valid_to, cause,
    note, author_id) for product %(product)s; `scope` is an SQL condition on a `customer_id`
    column (with named parameters) narrowing the customers."""
    c = scope
    return f"""
    WITH
    measures AS (
        SELECT m.customer_id, m.valid_from, m.potential, m.support, m.author_id,
               LEAD(m.valid_from) OVER (
                   PARTITION BY m.customer_id ORDER BY m.valid_from) AS until
        FROM customers_measure m
        JOIN customers_customer cu ON cu.id = m.customer_id AND cu.kind = 'prescriber'
        WHERE m.product_id = %(product)s AND {c.format(t="m")}
    ),
    thresholds AS (
        SELECT t.valid_from, t.potential_min, t.support_min, t.reason, t.author_id,
               LEAD(t.valid_from) OVER (ORDER BY t.valid_from) AS until
        FROM customers_threshold t
        WHERE t.product_id = %(product)s
          AND NOT EXISTS (
              SELECT 1 FROM customers_threshold l
              WHERE l.product_id = t.product_id AND l.valid_from = t.valid_from
                AND (l.created_at > t.created_at OR (l.created_at = t.created_at AND l.id > t.id)))
    ),
    overrides AS (
        SELECT o.customer_id, o.valid_from, o.cleared_on, o.klass, o.reason, o.author_id,
               o.cleared_by_id
        FROM customers_classoverride o
        JOIN customers_customer cu ON cu.id = o.customer_id AND cu.kind = 'prescriber'
        WHERE o.product_id = %(product)s AND {c.format(t="o")}
          AND (o.cleared_on IS NULL OR o.cleared_on > o.valid_from)
    ),
    measured AS (SELECT DISTINCT customer_id FROM measures),
    points AS (
        SELECT customer_id, valid_from AS d, 4 AS rnk, 'measures' AS cause, '' AS note,
               author_id
        FROM measures
        UNION ALL
        SELECT x.customer_id, t.valid_from, 3, 'threshold', t.reason, t.author_id
        FROM measured x CROSS JOIN thresholds t
        UNION ALL
        SELECT customer_id, valid_from, 1, 'override', reason, author_id FROM overrides
        UNION ALL
        SELECT customer_id, cleared_on, 2, 'override_cleared', '', cleared_by_id
        FROM overrides WHERE cleared_on IS NOT NULL
    ),
    ranked AS (
        SELECT p.*, ROW_NUMBER() OVER (
            PARTITION BY p.customer_id, p.d ORDER BY p.rnk) AS n
        FROM points p
    ),
    classed AS (
        SELECT r.customer_id, r.d, r.cause, r.note, r.author_id,
               COALESCE(o.klass, CASE
                   WHEN m.potential IS NULL OR t.potential_min IS NULL THEN NULL
                   WHEN m.potential >= t.potential_min AND m.support >= t.support_min THEN 'A'
                   WHEN m.potential >= t.potential_min THEN 'B'
                   WHEN m.support >= t.support_min THEN 'C'
                   ELSE 'D' END) AS klass,
               CASE WHEN o.klass IS NULL THEN 'computed' ELSE 'override' END AS source
        FROM ranked r
        LEFT JOIN measures m ON m.customer_id = r.customer_id
             AND m.valid_from <= r.d AND (m.until IS NULL OR r.d < m.until)
        LEFT JOIN thresholds t ON t.valid_from <= r.d AND (t.until IS NULL OR r.d < t.until)
        LEFT JOIN overrides o ON o.customer_id = r.customer_id
             AND o.valid_from <= r.d AND (o.cleared_on IS NULL OR r.d < o.cleared_on)
        WHERE r.n = 1
    ),
    states AS (
        SELECT classed.*,
               COALESCE(klass, '-') || source AS state,
               LAG(COALESCE(klass, '-') || source) OVER (
                   PARTITION BY customer_id ORDER BY d) AS previous_state
        FROM classed
    ),
    starts AS (
        SELECT customer_id, klass, source, d, cause, note, author_id,
               LEAD(d) OVER (PARTITION BY customer_id ORDER BY d) AS next_start
        FROM states
        WHERE previous_state IS NULL OR previous_state <> state
    )
    SELECT customer_id, klass, source, d AS valid_from,
           {_minus_one_day("next_start")} AS valid_to, cause, note, author_id
    FROM starts
    WHERE klass IS NOT NULL
    """


SAME_ROW = """
    d.customer_id = h.customer_id AND d.valid_from = h.valid_from
    AND (d.valid_to = h.valid_to OR (d.valid_to IS NULL AND h.valid_to IS NULL))
    AND d.klass = h.klass AND d.source = h.source AND d.cause = h.cause
"""


@dataclass
class Scope:
    """Which customers of the product to reclassify: all, one, or an id range [lo, hi)."""

    customer: object = None
    lo: object = None
    hi: object = None

    def sql(self):
        """An SQL condition on `{t}.customer_id`, and its parameters."""
        conditions, params = ["1 = 1"], {}
        if self.customer is not None:
            conditions.append("{t}.customer_id = %(customer)s")
            params["customer"] = _db(self.customer)
        if self.lo is not None:
            conditions.append("{t}.customer_id >= %(lo)s")
            params["lo"] = _db(self.lo)
        if self.hi is not None:
            conditions.append("{t}.customer_id < %(hi)s")
            params["hi"] = _db(self.hi)
        return " AND ".join(conditions), params


def classify(*, product: Product, customer=None, lo=None, hi=None) -> int:
    """Bring the class history of `product` in line with its inputs, for every prescriber or
    only `customer` (a pk) or the customers with lo <= id < hi. Returns the rows changed."""
    condition, params = Scope(customer=customer, lo=lo, hi=hi).sql()
    params["product"] = _db(product.pk)
    params["now"] = connection.ops.adapt_datetimefield_value(timezone.now())
    history_scope = condition.format(t="h")
    with transaction.atomic(), connection.cursor() as cursor:
        # One writer per product at a time (PostgreSQL; SQLite serialises writers anyway).
        list(Product.objects.select_for_update().filter(pk=product.pk).values_list("pk"))
        cursor.execute(f"DROP TABLE IF EXISTS {DESIRED}")
        cursor.execute(f"CREATE TEMP TABLE {DESIRED} AS {desired_classes_sql(condition)}", params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {DESIRED}")
        cursor.execute(
            f"""DELETE FROM {HISTORY} AS h
            WHERE h.product_id = %(product)s AND {history_scope}
              AND NOT EXISTS (SELECT 1 FROM {DESIRED} d WHERE {SAME_ROW})""",
            params,
        )
        deleted = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {HISTORY} (customer_id, product_id, klass, source, valid_from,
                valid_to, cause, note, author_id, recorded_at)
            SELECT d.customer_id, %(product)s, d.klass, d.source, d.valid_from, d.valid_to,
                   d.cause, d.note, d.author_id, %(now)s
            FROM {DESIRED} d
            WHERE NOT EXISTS (
                SELECT 1 FROM {HISTORY} h
                WHERE h.product_id = %(product)s AND {history_scope} AND {SAME_ROW})""",
            params,
        )
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {DESIRED}")
    return deleted + inserted


def classify_customer(*, customer) -> int:
    """Reclassify one customer for every product that has measures, overrides or history of it
    (after a change of kind, a measure or an override)."""
    from .models import ClassOverride, Measure

    products = (
        set(Measure.objects.filter(customer=customer).values_list("product", flat=True))
        | set(ClassOverride.objects.filter(customer=customer).values_list("product", flat=True))
        | set(ClassHistory.objects.filter(customer=customer).values_list("product", flat=True))
    )
    return sum(
        classify(product=product, customer=customer.pk)
        for product in Product.objects.filter(pk__in=products)
    )


def batch_bounds(*, product: Product, batch_size: int):
    """Customer-id boundaries splitting the measured prescribers of `product` into batches:
    [(lo, hi), ...] with lo inclusive, hi exclusive (None: open)."""
    # One query returning only the cuts (not the ids of every customer, nor a query per cut).
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT customer_id FROM (
                SELECT customer_id, ROW_NUMBER() OVER (ORDER BY customer_id) AS n
                FROM (SELECT DISTINCT m.customer_id
                      FROM customers_measure m
                      JOIN customers_customer cu ON cu.id = m.customer_id
                      WHERE m.product_id = %s AND cu.kind = %s) measured
            ) numbered
            WHERE n > 1 AND (n - 1) %% %s = 0
            ORDER BY customer_id""",
            [_db(product.pk), CustomerKind.PRESCRIBER, batch_size],
        )
        cuts = [Customer._meta.pk.to_python(row[0]) for row in cursor.fetchall()]
    edges = [None, *cuts, None]
    return list(itertools.pairwise(edges))
