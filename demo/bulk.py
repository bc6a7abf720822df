"""The demo company at benchmark scale, set-based (PostgreSQL only): `multiply(copies)` turns the
company `seed_demo` loaded (2 districts, 12 rep territories, ~650 customers, ~6,300 calls) into
`copies` companies side by side with `INSERT … SELECT … FROM generate_series`, one statement per
table, then ANALYZE. Copy k has its own districts (`SH-0042`), territories, reps and DMs
(`rep.sh1.42`), institutions, departments, customers, alignments, measures, class history,
calls (attendees and products), plans (targets and months) and snapshots; every 10 copies share
a region. Territories therefore keep the demo's size (~50 customers per rep) and the company
grows in width, as a real one does. 600,000 customers (1,000 copies) take a few minutes.

Ids: a copied UUID is k's number then `md5(id || ':' || k)` (the same function everywhere, so
foreign keys follow without a mapping table); a copied user is `id + k × U`. The base company is
kept in the schema `demo_base` at the first call, so a later call adds copies (10 → 1,000) from
the same base. Not copied (the pages measured do not need them): history (simple_history)
rows, the change log, key messages and materials handed on calls, coaching, plan versions and
events, absences, notifications."""

# ruff: noqa: S608 (SQL built from this module's constant table and column names; values bound)
from django.db import connection, transaction

BASE = "demo_base"
REGION_EVERY = 10  # copies per region: 20 districts, 120 reps, ~6,500 customers
# Tables copied, in the order of their foreign keys.
TABLES = [
    "org_user",
    "org_district",
    "org_territory",
    "org_territoryassignment",
    "customers_institution",
    "customers_department",
    "customers_customer",
    "customers_alignment",
    "customers_measure",
    "customers_classhistory",
    "customers_classoverride",
    "calls_call",
    "calls_callattendee",
    "calls_callproduct",
    "plans_plan",
    "plans_plantarget",
    "plans_planmonth",
    "plans_planmonth_focus",
    "reports_classsnapshot",
    "reports_activitysnapshot",
]
SHARED_UUIDS = {"product_id", "team_id"}  # the catalogue is the company's, not a copy's
USER_COLUMNS = {
    "rep_id",
    "dm_id",
    "co_visitor_id",
    "author_id",
    "cleared_by_id",
    "manager_id",
    "approved_by_id",
    "actor_id",
}
KEEP_IDS = {"org_user", "plans_planmonth"}  # bigint ids others point to: offset per copy
# Columns kept unique across copies.
SUFFIXED = {
    ("org_user", "username"): "b.username || '.' || k",
    ("org_user", "email"): "replace(b.email, '@', '.' || k || '@')",
    ("org_district", "code"): "b.code || '-' || lpad(k::text, 4, '0')",
    ("org_territory", "code"): "b.code || '-' || lpad(k::text, 4, '0')",
    ("customers_institution", "name"): "b.name || '（' || k || '）'",
    ("customers_institution", "name_en"): "b.name_en || ' (' || k || ')'",
}


def _columns(cursor, table):
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        [BASE, table],
    )
    return cursor.fetchall()


def _snapshot_base(cursor):
    """Keep the loaded company as the base of every copy (once)."""
    cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [BASE])
    if cursor.fetchone():
        return
    cursor.execute(f"CREATE SCHEMA {BASE}")
    for table in ["org_region", *TABLES]:
        cursor.execute(f"CREATE TABLE {BASE}.{table} AS TABLE public.{table}")
    # Only the people of the field force are copied: reps and DMs (not admins, not the RM).
    cursor.execute(f"DELETE FROM {BASE}.org_user WHERE role NOT IN ('rep', 'dm') OR is_superuser")


def copies_loaded():
    """How many copies of the base company the database holds (1 before any multiply)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [BASE])
        if not cursor.fetchone():
            return 1
        cursor.execute(
            f"SELECT (SELECT count(*) FROM org_district)"
            f" / (SELECT count(*) FROM {BASE}.org_district)"
        )
        return cursor.fetchone()[0]


def _uuid(column):
    """The id of `column`'s row in copy k: the copy in the first 8 hex digits (rows of one copy
    sit together in the indexes), then an md5 of the base id and the copy."""
    return f"(lpad(to_hex(k), 8, '0') || substr(md5({column}::text || ':' || k), 9))::uuid"


def _expression(table, column, kind, users, offsets):
    if (table, column) in SUFFIXED:
        return SUFFIXED[(table, column)]
    if column == "id" and table in KEEP_IDS:
        return f"b.id + k * {offsets[table]}"
    if column == "planmonth_id":
        return f"b.planmonth_id + k * {offsets['plans_planmonth']}"
    if column in USER_COLUMNS:
        return (
            f"CASE WHEN b.{column} IN ({users}) THEN b.{column} + k * {offsets['org_user']}"
            f" ELSE b.{column} END"
        )
    if column == "region_id":
        return (
            f"CASE WHEN k / {REGION_EVERY} = 0 THEN b.region_id"
            f" ELSE md5(b.region_id::text || ':r' || (k / {REGION_EVERY}))::uuid END"
        )
    if kind == "uuid" and (column == "id" or column.endswith("_id")) and column not in SHARED_UUIDS:
        return _uuid(f"b.{column}")
    return f"b.{column}"


@transaction.atomic
def multiply(copies):
    """Grow the database to `copies` copies of the base company; returns the copies added."""
    assert connection.vendor == "postgresql", "demo.bulk is PostgreSQL only"
    with connection.cursor() as cursor:
        # Check what the transaction wrote so far now (an index cannot be dropped or built
        # on a table with foreign-key checks pending), back to Django's deferred checks at the end.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _snapshot_base(cursor)
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # The copies are consistent by construction: skip the foreign-key triggers, which
            # would check every copied row at commit (half the time). Superusers only.
            cursor.execute("SET LOCAL session_replication_role = replica")
        start = copies_loaded()
        if copies <= start:
            return 0
        cursor.execute(f"SELECT coalesce(string_agg(id::text, ','), 'NULL') FROM {BASE}.org_user")
        users = cursor.fetchone()[0]
        offsets = {}
        for table in KEEP_IDS:
            # Stable across calls: the base's largest id, rounded up far above it.
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {BASE}.{table}")
            offsets[table] = 10 ** len(str(cursor.fetchone()[0] * 10))
        cursor.execute(
            f"""INSERT INTO org_region (id, version, created_at, updated_at, name, code, manager_id,
                                        name_en)
                SELECT md5(b.id::text || ':r' || g)::uuid, 1, b.created_at, b.updated_at,
                       b.name || g, b.code || '-' || g, NULL, b.name_en || ' ' || g
                FROM {BASE}.org_region b,
                     generate_series(GREATEST(1, %s / {REGION_EVERY}), (%s - 1) / {REGION_EVERY}) g
                ON CONFLICT DO NOTHING""",
            [start, copies],
        )
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # Indexes other than the keys and unique constraints are dropped while the rows go in
        # and built again after: one sort each instead of millions of random insertions.
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND NOT EXISTS ("
            "   SELECT 1 FROM pg_constraint c"
            "   WHERE c.conindid = (quote_ident(i.indexname))::regclass)",
            [TABLES],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for table in TABLES:
            columns = [
                (name, kind)
                for name, kind in _columns(cursor, table)
                if not (name == "id" and kind == "bigint" and table not in KEEP_IDS)
            ]
            names = ", ".join(name for name, _kind in columns)
            values = ", ".join(
                _expression(table, name, kind, users, offsets) for name, kind in columns
            )
            # One statement per copy: each fills a narrow range of the keys' indexes.
            for k in range(start, copies):
                cursor.execute(
                    f"INSERT INTO public.{table} ({names}) SELECT {values}"
                    f" FROM {BASE}.{table} b, (SELECT %s::int AS k) k",
                    [k],
                )
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in KEEP_IDS:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return copies - start
