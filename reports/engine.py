"""The compliance engine: the snapshots of a period for many territories at once, set-based.

For a period and a batch of districts, in one transaction (readers see the previous complete
snapshot until it commits; two runs of the same districts wait for each other):

1. targets: the customers aligned to each territory on the period's first day, with their class
   in it on that day — N1/N2/N3 for a non-prescriber, else the highest class (A > B > C > D) of
   the products the territory's team promotes; a prescriber with no class then is no target;
2. attendances: completed calls of each territory in the period × their attendees, read once;
   from them the visits per territory and customer (a group call counts for each attendee),
   dated by their local date;
3. one row per territory and class: targets, covered (≥ 1 visit), the required calls per month
   of the team (or the company default), for a month how many targets met it, and the effort
   they received: attendances at one-to-one calls and at meetings (PIM invitations);
4. one row per territory: completed calls (per attendee), field days (the company's working days
   on which a rep held the territory and was not absent — up to today in a period still
   running), PIMs (completed group meetings) and the attendances at them (invitations).

Every statement is a handful of joins and GROUP BYs over all the batch's territories: no loop over
customers, reps or territories. The same SQL runs on PostgreSQL and SQLite.
"""

import uuid

from django.db import connection, transaction
from django.utils import timezone

from core.periods import Period
from org.models import District
from org.selectors import working_days

from .models import ActivitySnapshot, ClassSnapshot

SCOPE = "_report_territories"
DAYS = "_report_days"
TARGETS = "_report_targets"
ATTENDANCES = "_report_attendances"
VISITS = "_report_visits"
TEMP_TABLES = (SCOPE, DAYS, TARGETS, ATTENDANCES, VISITS)


def _db(value):
    return District._meta.pk.get_db_prep_value(value, connection)


TARGETS_SQL = f"""
CREATE TEMP TABLE {TARGETS} AS
SELECT a.territory_id, a.customer_id,
       CASE WHEN cu.kind = 'non_prescriber' THEN MIN(cu.role_group) ELSE MIN(h.klass) END AS klass
FROM customers_alignment a
JOIN {SCOPE} s ON s.id = a.territory_id
JOIN customers_customer cu ON cu.id = a.customer_id
LEFT JOIN org_team_products tp ON tp.team_id = s.team_id AND cu.kind = 'prescriber'
LEFT JOIN customers_classhistory h ON h.customer_id = a.customer_id
     AND h.product_id = tp.product_id
     AND h.valid_from <= %(start)s AND (h.valid_to IS NULL OR h.valid_to >= %(start)s)
WHERE a.valid_from <= %(start)s AND (a.valid_to IS NULL OR a.valid_to >= %(start)s)
GROUP BY a.territory_id, a.customer_id, cu.kind
"""

# The period's completed calls × attendees, read once for the visits and the activity rows.
ATTENDANCES_SQL = f"""
CREATE TEMP TABLE {ATTENDANCES} AS
SELECT c.id AS call_id, c.territory_id, c.is_pim, ca.customer_id
FROM calls_call c
JOIN {SCOPE} s ON s.id = c.territory_id
LEFT JOIN calls_callattendee ca ON ca.call_id = c.id
WHERE c.status = 'completed' AND c.date >= %(start)s AND c.date <= %(end)s
"""

VISITS_SQL = f"""
CREATE TEMP TABLE {VISITS} AS
SELECT territory_id, customer_id, COUNT(*) AS calls,
       SUM(CASE WHEN is_pim THEN 1 ELSE 0 END) AS invitations
FROM {ATTENDANCES}
WHERE customer_id IS NOT NULL
GROUP BY territory_id, customer_id
"""

# The targets with a class, each with its class's required calls per month (team, else company).
REQUIRED = f"""
    SELECT tg.territory_id, tg.customer_id, tg.klass,
           CASE WHEN own.id IS NOT NULL THEN own.calls_per_month
                ELSE company.calls_per_month END AS required
    FROM {TARGETS} tg
    JOIN {SCOPE} s ON s.id = tg.territory_id
    LEFT JOIN reports_requirement own ON own.team_id = s.team_id AND own.klass = tg.klass
    LEFT JOIN reports_requirement company ON company.team_id IS NULL AND company.klass = tg.klass
    WHERE tg.klass IS NOT NULL
"""

CLASS_ROWS_SQL = f"""
INSERT INTO reports_classsnapshot (territory_id, period, klass, targets, covered,
                                   calls_per_month, frequency_compliant, calls, invitations,
                                   computed_at)
SELECT g.territory_id, %(period)s, g.klass, COUNT(*),
       SUM(CASE WHEN v.calls IS NULL THEN 0 ELSE 1 END),
       g.required,
       CASE WHEN %(is_month)s = 1 AND g.required IS NOT NULL
            THEN SUM(CASE WHEN COALESCE(v.calls, 0) >= g.required THEN 1 ELSE 0 END) END,
       COALESCE(SUM(v.calls - v.invitations), 0), COALESCE(SUM(v.invitations), 0),
       %(now)s
FROM ({REQUIRED}) g
LEFT JOIN {VISITS} v ON v.territory_id = g.territory_id AND v.customer_id = g.customer_id
GROUP BY g.territory_id, g.klass, g.required
"""

ACTIVITY_ROWS_SQL = f"""
INSERT INTO reports_activitysnapshot (territory_id, period, completed_calls, field_days,
                                      pim_count, invitations, computed_at)
SELECT s.id, %(period)s, COALESCE(calls.attendances, 0), COALESCE(days.n, 0),
       COALESCE(calls.pims, 0), COALESCE(calls.invitations, 0), %(now)s
FROM {SCOPE} s
LEFT JOIN (
    SELECT territory_id, COUNT(customer_id) AS attendances,
           COUNT(DISTINCT CASE WHEN is_pim THEN call_id END) AS pims,
           COUNT(CASE WHEN is_pim THEN customer_id END) AS invitations
    FROM {ATTENDANCES}
    GROUP BY territory_id
) calls ON calls.territory_id = s.id
LEFT JOIN (
    SELECT ta.territory_id, COUNT(DISTINCT d.day) AS n
    FROM org_territoryassignment ta
    JOIN {SCOPE} s3 ON s3.id = ta.territory_id
    JOIN {DAYS} d ON d.day >= ta.valid_from AND (ta.valid_to IS NULL OR d.day <= ta.valid_to)
    WHERE NOT EXISTS (
        SELECT 1 FROM org_absence ab
        WHERE ab.rep_id = ta.rep_id AND ab.date_from <= d.day AND ab.date_to >= d.day)
    GROUP BY ta.territory_id
) days ON days.territory_id = s.id
"""


# Per territory and class, the targets below their calls per month, fewest calls first: the
# first %(names)s with their name, and how many there are in all.
BELOW_FREQUENCY_SQL = f"""
SELECT territory_id, klass, customer_id, name, calls, required, short
FROM (
    SELECT g.territory_id, g.klass, g.customer_id, cu.name, COALESCE(v.calls, 0) AS calls,
           g.required,
           ROW_NUMBER() OVER (PARTITION BY g.territory_id, g.klass
                              ORDER BY COALESCE(v.calls, 0), cu.name, g.customer_id) AS n,
           COUNT(*) OVER (PARTITION BY g.territory_id, g.klass) AS short
    FROM ({REQUIRED}) g
    JOIN customers_customer cu ON cu.id = g.customer_id
    LEFT JOIN {VISITS} v ON v.territory_id = g.territory_id AND v.customer_id = g.customer_id
    WHERE g.required IS NOT NULL AND COALESCE(v.calls, 0) < g.required
) ranked
WHERE n <= %(names)s
"""


def _prepare(cursor, *, params, scope_sql, scope_params, days=()):
    """The temporary tables of a batch: its territories, working days, targets, attendances and
    visits (the definitions shared by the snapshots and the reminders)."""
    for table in TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(scope_sql, scope_params)
    cursor.execute(f"CREATE TEMP TABLE {DAYS} (day date)")
    if days:
        cursor.executemany(f"INSERT INTO {DAYS} (day) VALUES (%s)", [(day,) for day in days])
    cursor.execute(TARGETS_SQL, params)
    cursor.execute(ATTENDANCES_SQL, params)
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {ATTENDANCES}")
    cursor.execute(VISITS_SQL, params)
    if connection.vendor == "postgresql":
        for table in (SCOPE, DAYS, TARGETS, VISITS):
            cursor.execute(f"ANALYZE {table}")


def _drop(cursor):
    for table in TEMP_TABLES:
        cursor.execute(f"DROP TABLE {table}")


def targets_below_frequency(*, period: Period, names: int = 10):
    """[(territory_id, klass, customer_id, name, calls, required, short)]: per territory a rep
    holds and class, the targets of `period` (aligned on its first day, with their class then)
    whose completed calls in the period so far are below their class's calls per month — the
    `names` with the fewest calls, each row carrying `short`, how many there are in all. Classes
    "as needed" are left out. The snapshots' definitions, a handful of statements for all
    territories at once."""
    params = {"start": period.start, "end": period.end, "names": names}
    with transaction.atomic(), connection.cursor() as cursor:
        _prepare(
            cursor,
            params=params,
            scope_sql=(
                f"CREATE TEMP TABLE {SCOPE} AS SELECT id, team_id FROM org_territory "
                "WHERE rep_id IS NOT NULL"
            ),
            scope_params=[],
        )
        cursor.execute(BELOW_FREQUENCY_SQL, params)
        rows = [
            (uuid.UUID(str(territory)), klass, uuid.UUID(str(customer)), *rest)
            for territory, klass, customer, *rest in cursor.fetchall()
        ]
        _drop(cursor)
    return rows


def recompute_batch(*, period: Period, district_ids, territory_ids=None) -> int:
    """Replace the snapshots of `period` for the territories of these districts, atomically
    (only those of `territory_ids` among them when given: a territory refreshed after a change).
    Returns the number of class rows written."""
    district_ids = list(district_ids)
    if not district_ids or (territory_ids is not None and not territory_ids):
        return 0
    params = {
        "period": period.key,
        "start": period.start,
        "end": period.end,
        "is_month": 1 if period.is_month else 0,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    marks = ", ".join(["%s"] * len(district_ids))
    with transaction.atomic(), connection.cursor() as cursor:
        # Two runs over the same districts take turns (PostgreSQL; SQLite has one writer).
        list(District.objects.select_for_update().filter(pk__in=district_ids).values_list("pk"))
        scope_sql = (
            f"CREATE TEMP TABLE {SCOPE} AS SELECT id, team_id FROM org_territory "
            f"WHERE district_id IN ({marks})"
        )
        scope_params = [_db(pk) for pk in district_ids]
        if territory_ids is not None:
            territory_ids = list(territory_ids)
            scope_sql += f" AND id IN ({', '.join(['%s'] * len(territory_ids))})"
            scope_params += [_db(pk) for pk in territory_ids]
        # A period still running counts its field days up to today (its call rate so far).
        days = working_days(period.start, min(period.end, timezone.localdate()))
        _prepare(cursor, params=params, scope_sql=scope_sql, scope_params=scope_params, days=days)
        for model in (ClassSnapshot, ActivitySnapshot):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE period = %(period)s "
                f"AND territory_id IN (SELECT id FROM {SCOPE})",
                params,
            )
        cursor.execute(CLASS_ROWS_SQL, params)
        written = cursor.rowcount
        cursor.execute(ACTIVITY_ROWS_SQL, params)
        _drop(cursor)
    return written


def district_batches(batch_size: int = 50):
    """District ids in batches of `batch_size` (about 50 districts: 500 territories)."""
    ids = list(District.objects.order_by("pk").values_list("pk", flat=True))
    return [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]


# Districts per transaction when one process recomputes everything. Each batch reads the period's
# calls × attendees, the alignments and the class history again (a batch of a sixth of the
# territories costs nearly a full pass), so one process goes in one pass up to national scale:
# batches of 50 made the national recompute 5× slower (tests/bench/test_compliance.py). The
# workers' fan-out (tasks) goes district by district.
RECOMPUTE_BATCH = 500


def recompute(*, period: Period, batch_size: int = RECOMPUTE_BATCH) -> int:
    """Every territory's snapshots of `period`, batch after batch (each one atomic)."""
    return sum(
        recompute_batch(period=period, district_ids=batch) for batch in district_batches(batch_size)
    )
