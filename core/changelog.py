"""The change log the sync reads (`GET /api/v1/sync/`, core.sync): what changed, in an order that
never lets a cursor skip a change.

Recording
---------
Every save and delete of a `SyncedModel` writes one `ChangeLog` row (model label, object id, op)
in the same transaction as the change (post_save / post_delete receivers, connected per synced
model in `CoreConfig.ready()`; a write that rolls back takes its entry with it). Write paths that
bypass signals (`bulk_create`, `QuerySet.update`) call `record()` / `record_queryset()` themselves,
set-based (or `log_written()`, for rows and their dependents named by id: a bulk import). The
entry does not copy the record: the sync reads the record as it is when it answers (so ten saves
of one call send it once, in its latest state).

Scope changes
-------------
A record can enter or leave a user's scope without being written: a customer re-aligned to
another territory, a territory handed to another rep, a district to another DM. Apps declare
those *dependents* with `register_dependents(Model, fn)`: when a `Model` row is logged, `fn(rows)`
returns querysets of the records whose scope it decides, and they are logged too, as `scope`
entries (recursively, a few levels: a district → its territories → their customers, calls, …).
Models whose own fields decide their scope (an alignment's territory, an absence's rep) are
declared with `register_self_scoping(Model)`: their saves are `scope` entries too. At read
time a record the caller cannot see is sent as a delete if one of its entries is a `delete` or
a `scope` change (the rep who lost it removes it), and not at all after a plain `upsert` (a
record that was never the caller's: other territories' daily work is neither sent nor hinted
at). Every way a record leaves a scope is a delete or a scope entry — except the passing of
time (an alignment's `valid_to` going by): see the README.

The place a change happened
---------------------------
A delete must reach only those who held the record, not every user (that would hand everybody
the ids of other regions' customers). So a delete or scope entry names the *place* of the row
that caused it — a territory (a row with a `territory`: alignment, call, plan; a territory
itself), a district or a region — and the entries of its dependents name the same place. A
self-scoping row that moves (an alignment re-aligned to another territory, a territory moved to
another district) logs itself and its dependents once for the place it left and once for the
place it entered (the place before is read in `pre_save`). At read time a delete is sent only
if the caller held one of those places, now or before (`places_held`: the territories they
hold or held — assignments and history —, the districts and regions they manage or managed,
and what lies in them). Admins see everything: every record they cannot see was deleted.

This module is the ground floor: it knows no app. What a place is for an app's model (a
territory is its own place, an absence its rep's) is declared by the app with `register_place`
in its `AppConfig.ready()`, and who held a place is answered by the resolver the organisation
registers with `register_places_held` (org/apps.py, org/places.py).

A record without a territory of its own names where it was seen through `register_place`: an
absence its rep (and the rep's territories, for their DM), a notification its user (a place may
name a user: only that user holds it), a customer and what hangs on it (measures, overrides,
institutions, departments) the territories it is aligned to. Where such a record was held by
nobody (a customer aligned nowhere) the place is `ADMINS_ONLY`: only admins hear of it. An entry
without any place (a row of a model everybody reads, e.g. a product, a threshold) keeps the
rule above, unless the record has entries with a place in the same page.

The cursor (why it never skips)
-------------------------------
A plain sequence or timestamp cursor skips: transaction A takes id 10, B takes id 11 and commits,
a reader returns 11 and moves its cursor past 10, then A commits — 10 is never read. Here each
entry carries `txid`, the id of the transaction that wrote it (PostgreSQL `pg_current_xact_id()`,
written by the INSERT itself, so it is the inserting transaction's). Entries are read in
`(txid, id)` order and only below the *horizon*, the oldest transaction still running
(`pg_snapshot_xmin(pg_current_snapshot())`, less the reader's own transaction and those of
other databases of the cluster, HORIZON_SQL): every
transaction with a smaller id has finished, and a transaction that has not yet got an id will
get a larger one. So the set of entries below the horizon is complete and never grows behind a
cursor; a committed entry of a younger transaction simply waits until every older transaction
has finished. (A long-running writing transaction delays the sync for everybody by its length;
it never loses a change.) The reader's own uncommitted entries are visible to it and count as
final (only a test writes and syncs in one transaction: the sync endpoint writes nothing).
On SQLite writes are serialized (`BEGIN IMMEDIATE`), ids are handed
out in commit order, `txid` is 0 and the horizon is unbounded.
"""

import functools
import uuid

from django.db import connections, router, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from .models import ChangeLog, ChangeOp, SyncedModel

TABLE = ChangeLog._meta.db_table  # the set-based INSERTs of PostgreSQL write it directly

MAX_DEPTH = 3  # district → territories → customers, calls, …
BATCH_SIZE = 2000
_dependents: dict = {}
_self_scoping: set = set()
_places: dict = {}


def label(model) -> str:
    return model._meta.label_lower


def _is_postgres(using) -> bool:
    return connections[using].vendor == "postgresql"


def _txid(using):
    """The inserting transaction's id on PostgreSQL (evaluated by the INSERT itself)."""
    if _is_postgres(using):
        return RawSQL("pg_current_xact_id()::text::bigint", [])
    return 0


# A place: (territory id, district id, region id, user id), each None where it does not apply.
NO_PLACE = (None, None, None, None)
# The place of a record nobody but admins could see (user id 0: no user's).
ADMINS_ONLY = (None, None, None, 0)
_moves_with: dict = {}


def place(territory=None, district=None, region=None, user=None) -> tuple:
    return (territory, district, region, user)


def _as_place(value) -> tuple:
    value = tuple(value)
    return value + (None,) * (len(NO_PLACE) - len(value))


def register_place(model, fn, moves_with=()) -> None:
    """`fn(row)` → the place of a `model` row, or a list of places (a list without any: only
    admins held it), where the default (its territory) is too narrow or missing (e.g. a plan
    read by colleagues of the district: `(territory, district, None)`; an absence: its rep; a
    territory, district or region: itself).
    `moves_with`: the fields whose change moves the row (its place before is logged too)."""
    _places[model] = fn
    _moves_with[model] = tuple(moves_with)


def places_of(model, row) -> list:
    """Every place `row` (an instance, or a dict of its `place_fields`) is in."""
    if model in _places and not isinstance(row, dict):
        found = _places[model](row)
        if isinstance(found, tuple):
            return [_as_place(found)]
        return list(dict.fromkeys(_as_place(p) for p in found)) or [ADMINS_ONLY]
    return [place_of(model, row)]


def place_of(model, row) -> tuple:
    """The place `row` (an instance, or a dict of its `place_fields`) is in (the first one, for
    a model registered with several)."""
    if model in _places and not isinstance(row, dict):
        return places_of(model, row)[0]
    if _has_territory(model):
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name, None)
        return place(territory=get("territory_id"))
    return NO_PLACE


@functools.cache
def _has_territory(model) -> bool:
    return any(f.attname == "territory_id" for f in model._meta.concrete_fields)


def place_fields(model) -> tuple:
    if model in _places:
        return ()  # registered: their place is their own (a territory) or `_moves_with`
    if _has_territory(model):
        return ("territory_id",)
    return ()


def record(model, ids, op: str = ChangeOp.UPSERT, place=NO_PLACE) -> int:
    """Log a change of the `model` rows `ids` (set-based, in the caller's transaction); `place`:
    where a delete or scope change happened (module docstring)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    using = router.db_for_write(ChangeLog)
    name = label(model)
    territory, district, region, user = _as_place(place) if op != ChangeOp.UPSERT else NO_PLACE
    if _is_postgres(using):
        # One INSERT … SELECT over an array of the ids, whatever their number (a bulk import
        # logs 100,000 rows: building that many model instances took most of its time).
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (txid, model, object_id, op, scope_territory, "  # noqa: S608
                "scope_district, scope_region, scope_user, created_at) "
                "SELECT pg_current_xact_id()::text::bigint, %s, t.id, %s, %s::uuid, %s::uuid, "
                "%s::uuid, %s::bigint, %s "
                "FROM unnest(%s::uuid[]) WITH ORDINALITY AS t (id, n) ORDER BY t.n",
                [
                    name,
                    str(op),
                    *(str(v) if v is not None else None for v in (territory, district, region)),
                    user,
                    timezone.now(),
                    [str(pk) for pk in ids],
                ],
            )
        return len(ids)
    with transaction.atomic(using=using):
        for start in range(0, len(ids), BATCH_SIZE):
            ChangeLog.objects.using(using).bulk_create(
                [
                    ChangeLog(
                        txid=_txid(using),
                        model=name,
                        object_id=pk,
                        op=op,
                        scope_territory=territory,
                        scope_district=district,
                        scope_region=region,
                        scope_user=user,
                    )
                    for pk in ids[start : start + BATCH_SIZE]
                ]
            )
    return len(ids)


def record_queryset(queryset, op: str = ChangeOp.UPSERT, place=NO_PLACE) -> int:
    """Log every row of `queryset` (e.g. before or after a `QuerySet.update`)."""
    # No DISTINCT in the queryset itself (the outer SELECT drops repeats): it may be a
    # SELECT … FOR UPDATE.
    using = router.db_for_write(ChangeLog)
    if not _is_postgres(using) or queryset.db != using:
        return record(queryset.model, queryset.values_list("pk", flat=True), op, place)
    # PostgreSQL: the ids go from the query into the log without a trip through Python.
    territory, district, region, user = _as_place(place) if op != ChangeOp.UPSERT else NO_PLACE
    sql, params = queryset.values_list("pk", flat=True).query.sql_with_params()
    # `sql` is the ORM's own SELECT (its values are in `params`).
    statement = (
        f"INSERT INTO {TABLE} (txid, model, object_id, op, scope_territory, "  # noqa: S608
        "scope_district, scope_region, scope_user, created_at) "
        "SELECT pg_current_xact_id()::text::bigint, %s, q.id, %s, %s::uuid, %s::uuid, "
        "%s::uuid, %s::bigint, %s "
        f"FROM (SELECT DISTINCT s.id FROM ({sql}) AS s (id)) AS q"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(
            statement,
            [
                label(queryset.model),
                str(op),
                *(str(v) if v is not None else None for v in (territory, district, region)),
                user,
                timezone.now(),
                *params,
            ],
        )
        return cursor.rowcount


def register_dependents(model, fn) -> None:
    """When a `model` row is logged, also log the rows of the querysets `fn(rows)` returns
    (records whose scope `model` decides). `rows` may be deleted instances: use their fields."""
    _dependents.setdefault(model, []).append(fn)


def register_self_scoping(*models) -> None:
    """Models whose own fields decide who sees them (an alignment's territory, an absence's
    rep): their saves are logged as scope changes."""
    _self_scoping.update(models)


def _log_dependents(model, rows, place, depth=0):
    if depth >= MAX_DEPTH:
        return
    for fn in _dependents.get(model, ()):
        for queryset in fn(rows):
            if queryset.model in _dependents:
                # a child with a place of its own (a district's territories) takes its subtree
                # there: a district's new DM is no news to the reps of its other territories
                groups: dict = {}
                for child in queryset.distinct():
                    own = place_of(queryset.model, child)
                    groups.setdefault(place if own == NO_PLACE else own, []).append(child)
                for child_place, children in groups.items():
                    record(
                        queryset.model, [row.pk for row in children], ChangeOp.SCOPE, child_place
                    )
                    _log_dependents(queryset.model, children, child_place, depth + 1)
            else:
                record_queryset(queryset, ChangeOp.SCOPE, place)


def log_rows(model, rows, op: str = ChangeOp.UPSERT, places=None) -> None:
    """Log `rows` and the records whose scope they decide, a batch per place of the rows (or
    per place of `places`, {row pk: [place, ...]}, for rows that moved)."""
    if op == ChangeOp.UPSERT and model not in _dependents:
        record(model, [row.pk for row in rows], op)
        return
    by_place: dict = {}
    for row in rows:
        for where in (places or {}).get(row.pk) or places_of(model, row):
            by_place.setdefault(where, []).append(row)
    for where, batch in by_place.items():
        record(model, [row.pk for row in batch], op, where)
        _log_dependents(model, batch, where)


def log_written(model, ids, op: str = ChangeOp.UPSERT, places=None) -> None:
    """`log_rows` for rows as they now are in the table, named by their ids (a bulk write that
    built no instances): `places` {id: [place, ...]} as in `log_rows`, by default each row's.

    On PostgreSQL, rows with places of their own log themselves and their dependents in one
    statement: each dependents function is called once, with a stand-in row whose id and foreign
    keys are placeholders; the querysets it returns are joined to every row (LATERAL) with the
    placeholders replaced by the row's columns — what `log_rows` logs place by place, without
    a query (nor a list of ids) per place. Where that cannot be done (a function reads another
    field of the rows, or a dependent has dependents of its own), the rows are read back and
    logged by `log_rows`."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return
    if op == ChangeOp.UPSERT and model not in _dependents:
        record(model, ids, op)
        return
    using = router.db_for_write(ChangeLog)
    dependents = None
    if _is_postgres(using) and places and all(places.get(pk) for pk in ids):
        dependents = _set_based_dependents(model)
    if dependents is None:
        rows = model._base_manager.using(using).in_bulk(ids)
        log_rows(model, [rows[pk] for pk in ids if pk in rows], op, places)
        return
    _log_set_based(model, ids, op, places, dependents, using)


class _NotSetBased(Exception):
    pass


class _StandIn:
    """Every row of a set-based `log_written` at once: its id and foreign keys (the fields a
    dependents function filters on) are placeholder UUIDs, each standing for a column."""

    def __init__(self, model):
        self._columns = {}
        for field in model._meta.concrete_fields:
            target = field.target_field if field.is_relation else field
            if target.get_internal_type() == "UUIDField":
                self._columns[field.attname] = (uuid.uuid4(), field.column)
        if model._meta.pk.attname in self._columns:
            self._columns["pk"] = self._columns[model._meta.pk.attname]

    def __getattr__(self, name):
        if name.startswith("_") or name not in self._columns:
            raise _NotSetBased(name)
        return self._columns[name][0]

    def columns(self):
        return dict(self._columns.values())


ROW_ALIAS = "_changelog_row"


def _set_based_dependents(model):
    """[(model label, SQL, params)] of the dependents' querysets over the stand-in row (its
    placeholders as AsIs column references), or None where they cannot be built so."""
    from psycopg2.extensions import AsIs

    stand_in = _StandIn(model)
    columns = stand_in.columns()
    found = []
    try:
        for fn in _dependents.get(model, ()):
            for queryset in fn([stand_in]):
                if queryset.model in _dependents:
                    return None
                sql, params = (
                    queryset.order_by().values_list("pk", flat=True).query.sql_with_params()
                )
                params = [
                    AsIs(f'"{ROW_ALIAS}"."{columns[p]}"')
                    if isinstance(p, uuid.UUID) and p in columns
                    else p
                    for p in params
                ]
                found.append((label(queryset.model), sql, params))
    except _NotSetBased:
        return None
    return found


def _log_set_based(model, ids, op, places, dependents, using):
    numbers: dict = {}  # place → its number, in the order of `log_rows`' batches
    row_ids, row_places = [], []
    for pk in ids:
        for where in dict.fromkeys(_as_place(p) for p in places.get(pk) or ()):
            row_ids.append(str(pk))
            row_places.append(numbers.setdefault(where, len(numbers)))
    if not row_ids:
        return
    table = connections[using].ops.quote_name(model._meta.db_table)
    row = f'"{ROW_ALIAS}"'
    parts = ["SELECT r.place_n, 0 AS part, r.n, r.id AS object_id, %s AS model FROM _rows AS r"]
    params = [label(model)]
    for part, (name, sql, sql_params) in enumerate(dependents, start=1):
        parts.append(
            f"SELECT d.place_n, {part}, 0, d.id, %s FROM (SELECT DISTINCT r.place_n, q.id "  # noqa: S608
            f"FROM _rows AS r JOIN {table} AS {row} ON {row}.{model._meta.pk.column} = r.id "
            f"CROSS JOIN LATERAL ({sql}) AS q (id)) AS d"
        )
        params += [name, *sql_params]
    # The table names are the models', the queries the ORM's.
    statement = (
        "WITH _places (place_n, territory, district, region, scope_user) AS ("  # noqa: S608
        "SELECT t.n, t.territory, t.district, t.region, t.scope_user FROM unnest("
        "%s::uuid[], %s::uuid[], %s::uuid[], %s::bigint[]) WITH ORDINALITY "
        "AS t (territory, district, region, scope_user, n)), "
        "_rows (id, place_n, n) AS (SELECT t.id, t.place_n, t.n FROM unnest(%s::uuid[], "
        "%s::int[]) WITH ORDINALITY AS t (id, place_n, n)) "
        f"INSERT INTO {TABLE} (txid, model, object_id, op, scope_territory, "
        "scope_district, scope_region, scope_user, created_at) "
        "SELECT pg_current_xact_id()::text::bigint, e.model, e.object_id, %s, p.territory, "
        "p.district, p.region, p.scope_user, %s "
        f"FROM ({' UNION ALL '.join(parts)}) AS e JOIN _places AS p ON p.place_n = e.place_n "
        "ORDER BY e.place_n, e.part, e.n"
    )
    ordered = list(numbers)
    columns = [[str(p[i]) if p[i] is not None else None for p in ordered] for i in range(3)]
    with connections[using].cursor() as cursor:
        cursor.execute(
            statement,
            [
                *columns,
                [p[3] for p in ordered],
                row_ids,
                [n + 1 for n in row_places],  # WITH ORDINALITY counts from 1
                str(op),
                timezone.now(),
                *params,
            ],
        )


def _saving(sender, instance, raw=False, **kwargs):
    """Remember the places a self-scoping row is in before a save moves it."""
    if raw or sender not in _self_scoping or instance._state.adding:
        return
    if _moves_with.get(sender):
        before = sender._base_manager.filter(pk=instance.pk).first()
        if before is not None and any(
            getattr(before, name) != getattr(instance, name) for name in _moves_with[sender]
        ):
            instance._changelog_places_before = places_of(sender, before)
        return
    fields = place_fields(sender)
    if not fields:
        return
    before = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
    instance._changelog_places_before = [place_of(sender, before)] if before else None


def _saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if sender not in _self_scoping:
        log_rows(sender, [instance], ChangeOp.UPSERT)
        return
    places = places_of(sender, instance)
    before = instance.__dict__.pop("_changelog_places_before", None) or []
    places = list(dict.fromkeys([*before, *places]))
    log_rows(sender, [instance], ChangeOp.SCOPE, places={instance.pk: places})


def _deleted(sender, instance, **kwargs):
    log_rows(sender, [instance], ChangeOp.DELETE)


def connect(models) -> None:
    """Log saves and deletes of every synced model among `models` (CoreConfig.ready)."""
    for model in models:
        if issubclass(model, SyncedModel) and not model._meta.abstract:
            uid = f"changelog:{label(model)}"
            pre_save.connect(_saving, sender=model, dispatch_uid=uid)
            post_save.connect(_saved, sender=model, dispatch_uid=uid)
            post_delete.connect(_deleted, sender=model, dispatch_uid=uid)


# Who held a place: the sync sends a delete only to them.


class Places:
    """The places a user holds or held (`places_held`); `None` sets: every place (admins)."""

    def __init__(self, territories=None, districts=None, regions=None, user=None):
        self.territories, self.districts, self.regions = territories, districts, regions
        self.user = user

    def holds(self, territory, district, region, user=None) -> bool:
        if self.territories is None:
            return True
        return (
            (territory is not None and territory in self.territories)
            or (district is not None and district in self.districts)
            or (region is not None and region in self.regions)
            or (user is not None and user == self.user)
        )


_places_held: list = []


def register_places_held(fn) -> None:
    """`fn(user)` → the `Places` `user` holds or held (the organisation's resolver, registered
    in `OrgConfig.ready()`: it knows the users, territories, districts and regions)."""
    _places_held[:] = [fn]


def places_held(user) -> Places:
    """The places `user` holds or held, as the registered resolver answers; without one, only
    the places naming `user` themselves (nobody is sent another's deletes)."""
    if _places_held:
        return _places_held[0](user)
    return Places(set(), set(), set(), user.pk)


# Reading positions: (txid, id) pairs.

MAX_ID = 2**63 - 1


# The oldest transaction still running, but the reader's own (its entries are visible to it)
# and those known to run in another database of the cluster (they cannot write this change
# log: xids are cluster-wide, and one long job elsewhere would hold every sync back); else the
# next transaction id to be handed out. A transaction is only left out on positive knowledge
# (pg_stat_activity shows its xid in another database): a doubt keeps it, which is safe.
HORIZON_SQL = """
WITH snapshot AS (SELECT pg_current_snapshot() AS s)
SELECT COALESCE(
    (SELECT min(xip::text::bigint)
     FROM snapshot, pg_snapshot_xip(snapshot.s) AS xip
     WHERE xip IS DISTINCT FROM pg_current_xact_id_if_assigned()
       AND NOT EXISTS (
           SELECT 1 FROM pg_stat_activity AS other
           WHERE other.datname IS DISTINCT FROM current_database()
             AND other.backend_xid::text::bigint = xip::text::bigint % 4294967296
       )),
    (SELECT pg_snapshot_xmax(snapshot.s)::text::bigint FROM snapshot)
), pg_current_xact_id_if_assigned()::text::bigint
"""


def horizon(using="default"):
    """`(bound, own)`: entries with `txid` below `bound` are final; `own` is the reader's own
    transaction id if it has one (its entries are visible to it). `(None, None)` on SQLite."""
    if not _is_postgres(using):
        return None, None
    with connections[using].cursor() as cursor:
        cursor.execute(HORIZON_SQL)
        return cursor.fetchone()


def start_position(using="default") -> tuple[int, int]:
    """The position an initial sync (read after this call) has covered: every final entry."""
    bound, own = horizon(using)
    if bound is not None:
        return (min(bound, own if own is not None else bound) - 1, MAX_ID)
    last = ChangeLog.objects.using(using).order_by("-id").values_list("id", flat=True).first()
    return (0, last or 0)


def entries_after(position, *, models, limit, using="default"):
    """Up to `limit` final entries of `models` after `position`, in (txid, id) order."""
    txid, pk = position
    entries = ChangeLog.objects.using(using).filter(
        Q(txid__gt=txid) | Q(txid=txid, id__gt=pk), model__in=models
    )
    bound, own = horizon(using)
    if bound is not None:
        entries = entries.filter(Q(txid__lt=bound) | Q(txid=own) if own else Q(txid__lt=bound))
    return list(
        entries.order_by("txid", "id").values_list(
            "txid",
            "id",
            "model",
            "object_id",
            "op",
            "scope_territory",
            "scope_district",
            "scope_region",
            "scope_user",
        )[:limit]
    )
