"""Benchmark: the compliance engine at national scale (issue 6).

PostgreSQL only. The data is generated set-based (INSERT … SELECT FROM generate_series): one
region, BENCH_TERRITORIES / 10 districts, BENCH_TERRITORIES territories (default 3,000) of two
teams (team 0 promotes two products, team 1 one), a rep per territory with the year's
assignments (one territory in 50 vacant for two weeks in June), absences (one rep in 20 on leave
a week in June, one in 40 training across May/June), BENCH_CUSTOMERS customers (default 600,000;
about 200 a territory, 10 % non-prescribers with a role group, one in ten also aligned to the
other team's territory of the district, some alignments ending in May or starting mid-April), a
class per prescriber and product from January 1st (some change on April 1st or mid-June, some
start mid-May, 2 % never classified), and BENCH_CALLS calls over the 12 months of 2026 (default
10M; 95 % completed, 3 % planned, 2 % cancelled; 2 % PIMs with 3–10 attendees, the rest one).

Then, for a month (2026-06) and a quarter (2026-Q2), ROUNDS rounds of, in turn:

- the engine: `reports.engine.recompute(period=…)`, all territories in its district batches;
- the best hand-written SQL over the same tables, all territories at once (see HAND_SQL: the
  period's calls × attendees read once) writing the same class and activity rows into copies
  of the snapshot tables — both must hold identical rows (EXCEPT ALL both ways);
- once per period, a naive per-customer ORM loop (for each territory, each aligned customer:
  its classes, its calls, the requirement …) on BENCH_SAMPLE territories (default 10), checked
  against the engine's rows and extrapolated linearly to all territories.

    BENCH_TERRITORIES=300 BENCH_CUSTOMERS=60000 BENCH_CALLS=1000000 \
        DATABASE_URL=postgres://… pytest tests/bench/test_compliance.py \
        -p no:randomly -s --override-ini addopts=
"""

import inspect
import os
import statistics
import time
from collections import defaultdict

import pytest
from django.db import connection, models, transaction
from django.utils import timezone

from calls.models import Call, CallAttendee
from core.periods import parse
from customers.models import Alignment, ClassHistory, Customer, CustomerKind, Institution
from customers.selectors import class_on
from org.models import (
    Absence,
    District,
    Product,
    Region,
    Team,
    Territory,
    TerritoryAssignment,
    User,
    in_force_on,
)
from org.selectors import working_days
from reports import engine
from reports.models import ActivitySnapshot, ClassSnapshot, Requirement

pytestmark = pytest.mark.django_db(transaction=True)

TERRITORIES = int(os.environ.get("BENCH_TERRITORIES", "3000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "600000"))
CALLS = int(os.environ.get("BENCH_CALLS", "10000000"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PERIODS = ("2026-06", "2026-Q2")
PER = CUSTOMERS // TERRITORIES  # home customers per territory

CLASS_ROW = (
    "territory_id, period, klass, targets, covered, calls_per_month, frequency_compliant, "
    "calls, invitations"
)
ACTIVITY_ROW = "territory_id, period, completed_calls, field_days, pim_count, invitations"
SNAPSHOTS = {  # snapshot table → (its copy for the hand-written SQL, the columns compared)
    ClassSnapshot._meta.db_table: ("bench_classsnapshot", CLASS_ROW),
    ActivitySnapshot._meta.db_table: ("bench_activitysnapshot", ACTIVITY_ROW),
}


def execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def insert_select(model, source, columns, params=None, order=None):
    """INSERT INTO the model's table SELECT … FROM `source`: `columns` maps a column to its SQL
    expression (named parameters from `params`); an auto id is left to the database, the other
    columns get the field's default (now() for timestamps). Returns the rows inserted."""
    names, expressions, params = [], [], dict(params or {})
    for field in model._meta.concrete_fields:
        if field.column not in columns and isinstance(field, models.AutoField):
            continue
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
        f"SELECT {', '.join(expressions)} FROM {source}" + (f" ORDER BY {order}" if order else ""),
        params,
    )


def uid(kind, n):
    """A deterministic, randomly ordered UUID for object number `n` (an SQL expression)."""
    return f"md5('bench-{kind}-' || {n})::uuid"


class BulkLoad:
    """Drop the secondary indexes and the keys of `tables` (and the foreign keys pointing at
    them) for a bulk load, and build them again afterwards — much faster than maintaining ten
    indexes row by row over millions of random UUIDs."""

    def __init__(self, *tables):
        self.tables = tables

    def __enter__(self):
        oids = [f"'{table}'::regclass" for table in self.tables]
        within = f"({', '.join(oids)})"
        self.constraints = execute(
            f"""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
                FROM pg_constraint
                WHERE contype IN ('p', 'u', 'f')
                  AND (conrelid IN {within} OR confrelid IN {within})
                ORDER BY contype = 'f' DESC"""
        )
        self.indexes = execute(
            f"""SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
                WHERE indrelid IN {within}
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)"""
        )
        for table, name, _definition, _type in self.constraints:
            execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in self.indexes:
            execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, *exc):
        execute("SET maintenance_work_mem = '512MB'")
        for table, name, definition, _type in reversed(self.constraints):  # keys first
            execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in self.indexes:
            execute(definition)
        execute("RESET maintenance_work_mem")


def generate():
    """The organisation, customers, alignments, classes and calls, set-based. Returns counts."""
    region = Region.objects.create(name="全国", code="BENCH")
    products = [Product.objects.create(name=f"Bench {p}", code=f"BENCH{p}") for p in range(3)]
    teams = [Team.objects.create(name=f"Bench team {t}", code=f"BENCHT{t}") for t in range(2)]
    teams[0].products.set(products[:2])
    teams[1].products.set(products[2:])
    # Team 1 has its own requirement for A (3 calls a month); the others follow the company's.
    Requirement.objects.create(team=teams[1], klass="A", calls_per_month=3)
    districts = TERRITORIES // 10
    params = {"region": region.pk, "team0": teams[0].pk, "team1": teams[1].pk}
    for p, product in enumerate(products):
        params[f"product{p}"] = product.pk

    insert_select(
        District,
        f"generate_series(0, {districts - 1}) AS d",
        {
            "id": uid("district", "d"),
            "region_id": "%(region)s",
            "name": "'大区' || d",
            "code": "'BD' || d",
        },
        params,
    )
    insert_select(  # one hospital per district
        Institution,
        f"generate_series(0, {districts - 1}) AS d",
        {"id": uid("institution", "d"), "name": "'医院' || d", "level": "'三级甲等'"},
        params,
    )
    insert_select(
        User,
        f"generate_series(0, {TERRITORIES - 1}) AS n",
        {"username": "'bench_rep_' || n", "name": "'代表' || n", "role": "'rep'"},
        params,
    )
    execute(
        f"""CREATE TEMP TABLE bench_territories AS
            SELECT n, {uid("territory", "n")} AS id, n # 1 AS partner,
                   CASE WHEN n %% 2 = 0 THEN %(team0)s ELSE %(team1)s END::uuid AS team_id,
                   {uid("district", "n / 10")} AS district_id,
                   {uid("institution", "n / 10")} AS institution_id, u.id AS rep_id
            FROM generate_series(0, {TERRITORIES - 1}) AS n
            JOIN org_user u ON u.username = 'bench_rep_' || n""",
        params,
    )
    execute("ALTER TABLE bench_territories ADD PRIMARY KEY (n)")
    execute("CREATE UNIQUE INDEX ON bench_territories (id)")
    insert_select(
        Territory,
        "bench_territories b",
        {
            "id": "b.id",
            "name": "'辖区' || b.n",
            "code": "'BT' || b.n",
            "team_id": "b.team_id",
            "district_id": "b.district_id",
            "rep_id": "b.rep_id",
        },
    )
    insert_select(  # the year's holders: one territory in 50 vacant from June 10 to 21
        TerritoryAssignment,
        """bench_territories b CROSS JOIN LATERAL (VALUES
               (1, date '2025-01-01', CASE WHEN b.n %% 50 = 17 THEN date '2026-06-09' END),
               (2, date '2026-06-22', NULL)) AS v(k, valid_from, valid_to)
           WHERE v.k = 1 OR b.n %% 50 = 17""",
        {
            "territory_id": "b.id",
            "rep_id": "b.rep_id",
            "valid_from": "v.valid_from",
            "valid_to": "v.valid_to",
        },
    )
    insert_select(
        Absence,
        """bench_territories b CROSS JOIN LATERAL (VALUES
               (1, date '2026-06-08', date '2026-06-12', 'leave'),
               (2, date '2026-05-25', date '2026-06-03', 'training')) AS v(k, f, t, reason)
           WHERE (v.k = 1 AND b.n %% 20 = 3) OR (v.k = 2 AND b.n %% 40 = 9)""",
        {
            "id": "md5('bench-absence-' || b.n || '-' || v.k)::uuid",
            "rep_id": "b.rep_id",
            "date_from": "v.f",
            "date_to": "v.t",
            "reason": "v.reason",
        },
    )

    # Customer i lives in territory i % T (its home; j = i / T is its number there): a
    # non-prescriber when j % 10 = 3, also aligned to the partner territory when j % 10 = 5.
    customers = insert_select(
        Customer,
        f"generate_series(0, {CUSTOMERS - 1}) AS i",
        {
            "id": uid("customer", "i"),
            "name": "'医生' || i",
            "kind": f"CASE WHEN i / {TERRITORIES} %% 10 = 3 THEN 'non_prescriber' "
            "ELSE 'prescriber' END",
            "role_group": f"CASE WHEN i / {TERRITORIES} %% 10 = 3 "
            f"THEN 'N' || (1 + i / {TERRITORIES} / 10 %% 3) ELSE '' END",
            "institution_id": uid("institution", f"i %% {TERRITORIES} / 10"),
        },
        order="i",
    )
    alignments = insert_select(
        Alignment,
        f"""generate_series(0, {CUSTOMERS - 1}) AS i
            CROSS JOIN LATERAL (SELECT i %% {TERRITORIES} AS home, i / {TERRITORIES} AS j) AS c
            CROSS JOIN LATERAL (VALUES (1), (2)) AS v(k)
            WHERE v.k = 1 OR c.j %% 10 = 5""",
        {
            "id": "md5('bench-alignment-' || i || '-' || v.k)::uuid",
            "customer_id": uid("customer", "i"),
            "territory_id": uid("territory", "CASE WHEN v.k = 1 THEN c.home ELSE c.home # 1 END"),
            "valid_from": "CASE WHEN v.k = 1 AND c.j %% 50 = 13 THEN date '2026-04-15' "
            "ELSE date '2025-07-01' END",
            "valid_to": "CASE WHEN v.k = 1 AND c.j %% 50 = 7 THEN date '2026-05-31' END",
        },
        order="i, v.k",
    )
    # A class per prescriber and product (A 10 %, B 20 %, C 30 %, D 40 %): 12 % change on
    # April 1st, 12 % on June 15th, 5 % start on May 10th, 2 % never classified.
    execute("SELECT setseed(0.6)")
    klass = "(ARRAY['A','B','B','C','C','C','D','D','D','D'])[1 + floor({} * 10)::int]"
    classes = insert_select(
        ClassHistory,
        f"""(SELECT i, p, random() AS fate, random() AS first, random() AS second
             FROM generate_series(0, {CUSTOMERS - 1}) AS i CROSS JOIN generate_series(0, 2) AS p
             WHERE i / {TERRITORIES} %% 10 <> 3) AS b
            CROSS JOIN LATERAL (VALUES
                (1, CASE WHEN b.fate < 0.05 THEN date '2026-05-10' ELSE date '2026-01-01' END,
                    CASE WHEN b.fate BETWEEN 0.05 AND 0.17 THEN date '2026-03-31'
                         WHEN b.fate BETWEEN 0.17 AND 0.29 THEN date '2026-06-14' END,
                    b.first),
                (2, CASE WHEN b.fate < 0.17 THEN date '2026-04-01' ELSE date '2026-06-15' END,
                    NULL, b.second)) AS v(k, valid_from, valid_to, r)
            WHERE b.fate < 0.98 AND (v.k = 1 OR b.fate BETWEEN 0.05 AND 0.29)""",
        {
            "customer_id": uid("customer", "b.i"),
            "product_id": "(ARRAY[%(product0)s, %(product1)s, %(product2)s])[1 + b.p]::uuid",
            "klass": klass.format("v.r"),
            "source": "'computed'",
            "valid_from": "v.valid_from",
            "valid_to": "v.valid_to",
            "cause": "'measures'",
        },
        params,
        order="b.i, b.p, v.k",
    )

    # The calls, day after day (inserted in date order, as they arrive). Their attendees are
    # drawn from the bytes of the call's random id: a PIM has 3–10 of the territory's customers,
    # another call one, in one case in ten a customer the territory shares with its partner.
    per_day = CALLS // 365
    with BulkLoad(Call._meta.db_table, CallAttendee._meta.db_table):
        calls = insert_select(
            Call,
            f"""(SELECT d, floor(random() * {TERRITORIES})::int AS t, random() AS r,
                        random() < 0.02 AS pim
                 FROM generate_series(0, 364) AS d, generate_series(1, {per_day}) AS k) AS g
                JOIN bench_territories b ON b.n = g.t""",
            {
                "id": "gen_random_uuid()",
                "territory_id": "b.id",
                "rep_id": "b.rep_id",
                "institution_id": "b.institution_id",
                "date": "date '2026-01-01' + g.d",
                "status": "CASE WHEN g.r < 0.95 THEN 'completed' WHEN g.r < 0.98 THEN 'planned' "
                "ELSE 'cancelled' END",
                "is_pim": "g.pim",
                "channel": "CASE WHEN g.pim THEN 'meeting' ELSE 'face_to_face' END",
                "completed_at": "CASE WHEN g.r < 0.95 THEN "
                "(date '2026-01-01' + g.d) + time '10:00' END",
            },
            order="g.d",
        )
        byte = "get_byte(uuid_send(c.id), {})"
        draw = f"({byte.format(0)} * 65536 + {byte.format(1)} * 256 + {byte.format(2)})"
        shared = f"b.partner + {TERRITORIES} * (10 * ({draw} %% {PER // 10}) + 5)"
        attendees = insert_select(
            CallAttendee,
            f"""calls_call c JOIN bench_territories b ON b.id = c.territory_id
                CROSS JOIN LATERAL generate_series(
                    0, CASE WHEN c.is_pim THEN 2 + {byte.format(3)} %% 8 ELSE 0 END) AS m""",
            {
                "call_id": "c.id",
                "customer_id": uid(
                    "customer",
                    f"CASE WHEN NOT c.is_pim AND {byte.format(4)} < 26 THEN {shared} "
                    f"ELSE b.n + {TERRITORIES} * (({draw} + m) %% {PER}) END",
                ),
            },
        )
    execute("ANALYZE")
    return {
        "customers": customers,
        "alignments": alignments,
        "class rows": classes,
        "calls": calls,
        "attendees": attendees,
    }


# The best hand-written SQL we found for the same rows, over all territories at once (no
# batches): two temporary tables, analysed — the targets with their class on the first day (the
# lowest letter over the team's products, one GROUP BY) and the period's completed calls ×
# attendees, read once — then one INSERT … SELECT for the class rows (visits per territory and
# customer) and one for the activity rows, in one transaction. (A single statement with CTEs was
# slower: without statistics on the intermediate sets the planner sorts where it should hash.)
HAND_SQL = [
    "DROP TABLE IF EXISTS bench_targets, bench_attendances",
    """CREATE TEMP TABLE bench_targets AS
    SELECT a.territory_id, a.customer_id, t.team_id,
           CASE WHEN cu.kind = 'non_prescriber' THEN MIN(cu.role_group)
                ELSE MIN(h.klass) END AS klass
    FROM customers_alignment a
    JOIN org_territory t ON t.id = a.territory_id
    JOIN customers_customer cu ON cu.id = a.customer_id
    LEFT JOIN org_team_products tp ON tp.team_id = t.team_id AND cu.kind = 'prescriber'
    LEFT JOIN customers_classhistory h ON h.customer_id = a.customer_id
         AND h.product_id = tp.product_id
         AND h.valid_from <= %(start)s AND (h.valid_to IS NULL OR h.valid_to >= %(start)s)
    WHERE a.valid_from <= %(start)s AND (a.valid_to IS NULL OR a.valid_to >= %(start)s)
    GROUP BY a.territory_id, a.customer_id, t.team_id, cu.kind""",
    """CREATE TEMP TABLE bench_attendances AS
    SELECT c.id, c.territory_id, c.is_pim, ca.customer_id
    FROM calls_call c
    LEFT JOIN calls_callattendee ca ON ca.call_id = c.id
    WHERE c.status = 'completed' AND c.date BETWEEN %(start)s AND %(end)s""",
    "ANALYZE bench_targets",
    "ANALYZE bench_attendances",
    """INSERT INTO bench_classsnapshot (territory_id, period, klass, targets, covered,
                                     calls_per_month, frequency_compliant, calls, invitations,
                                     computed_at)
    WITH required AS (
        SELECT tm.id AS team_id, company.klass,
               CASE WHEN own.id IS NOT NULL THEN own.calls_per_month
                    ELSE company.calls_per_month END AS calls_per_month
        FROM org_team tm
        CROSS JOIN reports_requirement company
        LEFT JOIN reports_requirement own ON own.team_id = tm.id AND own.klass = company.klass
        WHERE company.team_id IS NULL
    ),
    visits AS (
        SELECT territory_id, customer_id, COUNT(*) AS calls,
               COUNT(*) FILTER (WHERE is_pim) AS invitations
        FROM bench_attendances WHERE customer_id IS NOT NULL
        GROUP BY territory_id, customer_id
    )
    SELECT tg.territory_id, %(period)s, tg.klass, COUNT(*), COUNT(v.calls), r.calls_per_month,
           CASE WHEN %(is_month)s AND r.calls_per_month IS NOT NULL
                THEN COUNT(*) FILTER (WHERE COALESCE(v.calls, 0) >= r.calls_per_month) END,
           COALESCE(SUM(v.calls - v.invitations), 0), COALESCE(SUM(v.invitations), 0),
           now()
    FROM bench_targets tg
    JOIN required r ON r.team_id = tg.team_id AND r.klass = tg.klass
    LEFT JOIN visits v ON v.territory_id = tg.territory_id AND v.customer_id = tg.customer_id
    GROUP BY tg.territory_id, tg.klass, r.calls_per_month""",
    """INSERT INTO bench_activitysnapshot (territory_id, period, completed_calls, field_days,
                                        pim_count, invitations, computed_at)
    WITH field_days AS (
        SELECT ta.territory_id, COUNT(DISTINCT d.day) AS n
        FROM org_territoryassignment ta
        JOIN unnest(%(days)s::date[]) AS d(day)
             ON d.day >= ta.valid_from AND (ta.valid_to IS NULL OR d.day <= ta.valid_to)
        WHERE NOT EXISTS (SELECT 1 FROM org_absence ab
                          WHERE ab.rep_id = ta.rep_id AND d.day BETWEEN ab.date_from AND ab.date_to)
        GROUP BY ta.territory_id
    ),
    activity AS (
        SELECT territory_id, COUNT(customer_id) AS attendances,
               COUNT(DISTINCT id) FILTER (WHERE is_pim) AS pims,
               COUNT(customer_id) FILTER (WHERE is_pim) AS invitations
        FROM bench_attendances GROUP BY territory_id
    )
    SELECT t.id, %(period)s, COALESCE(a.attendances, 0), COALESCE(f.n, 0), COALESCE(a.pims, 0),
           COALESCE(a.invitations, 0), now()
    FROM org_territory t
    LEFT JOIN activity a ON a.territory_id = t.id
    LEFT JOIN field_days f ON f.territory_id = t.id""",
    "DROP TABLE bench_targets, bench_attendances",
]


def hand(period):
    """The hand-written SQL for `period`; returns the class rows written."""
    params = {
        "period": period.key,
        "start": period.start,
        "end": period.end,
        "is_month": period.is_month,
        # As the engine: a period still running has its field days up to today.
        "days": working_days(period.start, min(period.end, timezone.localdate())),
    }
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in HAND_SQL:
            cursor.execute(sql, params)
            if sql.startswith("INSERT INTO bench_classsnapshot"):
                written = cursor.rowcount
    return written


def naive(period, territories):
    """What a per-customer ORM loop computes for `territories`: {(territory id, class): (targets,
    covered, calls per month, frequency-compliant)} and {territory id: (completed calls, field
    days, PIMs)}."""
    class_rows, activity_rows = {}, {}
    for territory in territories:
        products = list(territory.team.products.all())
        rows = defaultdict(lambda: [0, 0, None, 0])
        for alignment in Alignment.objects.filter(in_force_on(period.start), territory=territory):
            customer = alignment.customer
            if customer.kind == CustomerKind.NON_PRESCRIBER:
                klass = customer.role_group
            else:
                found = [class_on(customer=customer, product=p, day=period.start) for p in products]
                found = [row.klass for row in found if row is not None]
                if not found:
                    continue
                klass = min(found)
            calls = (
                Call.objects.completed()
                .in_period(period.start, period.end)
                .filter(territory=territory)
                .with_customer(customer)
                .count()
            )
            requirement = (
                Requirement.objects.filter(team=territory.team, klass=klass).first()
                or Requirement.objects.filter(team=None, klass=klass).first()
            )
            row = rows[klass]
            row[0] += 1
            row[1] += calls > 0
            row[2] = requirement.calls_per_month
            if requirement.calls_per_month is not None:
                row[3] += calls >= requirement.calls_per_month
        for klass, row in rows.items():
            compliant = row[3] if period.is_month and row[2] is not None else None
            class_rows[territory.pk, klass] = (row[0], row[1], row[2], compliant)
        completed = (
            Call.objects.completed().in_period(period.start, period.end).filter(territory=territory)
        )
        days = set()
        for assignment in TerritoryAssignment.objects.filter(territory=territory):
            absences = Absence.objects.filter(rep_id=assignment.rep_id)
            for day in working_days(period.start, min(period.end, timezone.localdate())):
                held = assignment.valid_from <= day and (
                    assignment.valid_to is None or day <= assignment.valid_to
                )
                if held and not any(a.date_from <= day <= a.date_to for a in absences):
                    days.add(day)
        activity_rows[territory.pk] = (
            CallAttendee.objects.filter(call__in=completed).count(),
            len(days),
            completed.filter(is_pim=True).count(),
        )
    return class_rows, activity_rows


def engine_rows(period, territories):
    ids = [t.pk for t in territories]
    classes = {
        (s.territory_id, s.klass): (s.targets, s.covered, s.calls_per_month, s.frequency_compliant)
        for s in ClassSnapshot.objects.filter(period=period.key, territory__in=ids)
    }
    activity = {
        s.territory_id: (s.completed_calls, s.field_days, s.pim_count)
        for s in ActivitySnapshot.objects.filter(period=period.key, territory__in=ids)
    }
    return classes, activity


def differences(period):
    """Per snapshot table, the rows of `period` in one of the engine's and the hand SQL's
    tables but not in the other."""
    result = []
    for table, (copy, row) in SNAPSHOTS.items():
        result += execute(
            f"""SELECT (SELECT COUNT(*) FROM (
                            SELECT {row} FROM {table} WHERE period = %(p)s
                            EXCEPT ALL SELECT {row} FROM {copy} WHERE period = %(p)s) a),
                       (SELECT COUNT(*) FROM (
                            SELECT {row} FROM {copy} WHERE period = %(p)s
                            EXCEPT ALL SELECT {row} FROM {table} WHERE period = %(p)s) b)""",
            {"p": period.key},
        )[0]
    return tuple(result)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def test_compliance_at_national_scale():
    if connection.vendor != "postgresql":
        pytest.skip("the compliance benchmark needs PostgreSQL (set DATABASE_URL=postgres://…)")
    assert TERRITORIES % 10 == 0 and PER >= 20, "10 territories a district, 20+ customers each"
    assert Requirement.objects.filter(team=None).count() == 7, "the company defaults (migration)"
    print(
        f"\ncompliance benchmark: {TERRITORIES:,} territories, {CUSTOMERS:,} customers, "
        f"{CALLS:,} calls"
    )
    seconds, counts = timed(generate)
    print(f"  generated in {seconds:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    for table, (copy, _row) in SNAPSHOTS.items():
        execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")

    periods = [parse(key) for key in PERIODS]
    batch_size = inspect.signature(engine.recompute).parameters["batch_size"].default
    batches = len(engine.district_batches(batch_size))
    times = {(p.key, name): [] for p in periods for name in ("engine", "hand SQL")}
    written = {}
    try:
        for round_ in range(ROUNDS):
            for period in periods:
                runs = {
                    "engine": lambda p=period: engine.recompute(period=p),
                    "hand SQL": lambda p=period: hand(p),
                }
                # Alternate the order so that neither always runs on the warmest cache.
                for name in list(runs) if round_ % 2 == 0 else list(reversed(runs)):
                    if name == "hand SQL":
                        for copy, _row in SNAPSHOTS.values():
                            execute(f"DELETE FROM {copy} WHERE period = %s", [period.key])
                    seconds, written[period.key, name] = timed(runs[name])
                    times[period.key, name].append(seconds)
                    print(
                        f"  round {round_ + 1} {period.key:<7} {name:<8} {seconds:7.2f} s",
                        flush=True,
                    )
                assert differences(period) == (0, 0, 0, 0), f"{period.key}: the rows differ"
                assert written[period.key, "engine"] == written[period.key, "hand SQL"] > 0

        # The naive loop on a sample spread over the country and both teams.
        step = max(1, TERRITORIES // SAMPLE)
        codes = [f"BT{n + n // step % 2}" for n in range(0, TERRITORIES, step)][:SAMPLE]
        sample = list(Territory.objects.filter(code__in=codes).select_related("team"))
        naive_times = {}
        for period in periods:
            seconds, rows = timed(lambda p=period: naive(p, sample))
            assert rows == engine_rows(period, sample), f"{period.key}: naive ≠ engine"
            naive_times[period.key] = seconds * TERRITORIES / len(sample)
            print(f"  naive   {period.key:<7} {seconds:7.2f} s for {len(sample)} territories")
    finally:
        for copy, _row in SNAPSHOTS.values():
            execute(f"DROP TABLE IF EXISTS {copy}")

    rounds = f"median of {ROUNDS}" if ROUNDS > 1 else "1 run"
    print(f"  territories           {TERRITORIES:,} ({TERRITORIES // 10:,} districts)")
    print(f"  customers             {counts['customers']:,}")
    print(f"  calls                 {counts['calls']:,} ({counts['attendees']:,} attendees)")
    for period in periods:
        engine_s = statistics.median(times[period.key, "engine"])
        hand_s = statistics.median(times[period.key, "hand SQL"])
        print(f"  {period.key}: {written[period.key, 'engine']:,} class rows")
        print(f"    engine              {engine_s:8.2f} s  ({rounds}; {batches} district batches)")
        print(f"    hand SQL            {hand_s:8.2f} s  ({rounds}; all territories at once)")
        print(f"    engine / hand SQL   {engine_s / hand_s:8.2f}×  (goal ≤ 1.5×)")
        print(
            f"    naive ORM loop      {naive_times[period.key]:8.0f} s  (extrapolated from "
            f"{len(sample)} territories)"
        )
        print(f"    engine speed-up     {naive_times[period.key] / engine_s:8.0f}×  (goal ≥ 50×)")
