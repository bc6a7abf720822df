"""The change log the sync reads (`GET /api/v1/sync/`, org.sync): what changed, in an order that
never lets a cursor skip a change.

Recording
---------
Every save and delete of a `SyncedModel` writes one `ChangeLog` row (model label, object id, op)
in the same transaction as the change (post_save / post_delete receivers, connected per synced
model in `OrgConfig.ready()`; a write that rolls back takes its entry with it). Write paths that
bypass signals (`bulk_create`, `QuerySet.update`) call `record()` / `record_queryset()` themselves,
set-based. The entry does not copy the record: the sync reads the record as it is when it answers
(so ten saves of one call send it once, in its latest state).

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

from django.db import connections, router, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save

from .models import ChangeLog, ChangeOp, SyncedModel

MAX_DEPTH = 3  # district → territories → customers, calls, …
BATCH_SIZE = 2000
_dependents: dict = {}
_self_scoping: set = set()


def label(model) -> str:
    return model._meta.label_lower


def _is_postgres(using) -> bool:
    return connections[using].vendor == "postgresql"


def _txid(using):
    """The inserting transaction's id on PostgreSQL (evaluated by the INSERT itself)."""
    if _is_postgres(using):
        return RawSQL("pg_current_xact_id()::text::bigint", [])
    return 0


def record(model, ids, op: str = ChangeOp.UPSERT) -> int:
    """Log a change of the `model` rows `ids` (set-based, in the caller's transaction)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    using = router.db_for_write(ChangeLog)
    name = label(model)
    with transaction.atomic(using=using):
        for start in range(0, len(ids), BATCH_SIZE):
            ChangeLog.objects.using(using).bulk_create(
                [
                    ChangeLog(txid=_txid(using), model=name, object_id=pk, op=op)
                    for pk in ids[start : start + BATCH_SIZE]
                ]
            )
    return len(ids)


def record_queryset(queryset, op: str = ChangeOp.UPSERT) -> int:
    """Log every row of `queryset` (e.g. before or after a `QuerySet.update`)."""
    # No DISTINCT (record() drops repeats): the queryset may be a SELECT … FOR UPDATE.
    return record(queryset.model, queryset.values_list("pk", flat=True), op)


def register_dependents(model, fn) -> None:
    """When a `model` row is logged, also log the rows of the querysets `fn(rows)` returns
    (records whose scope `model` decides). `rows` may be deleted instances: use their fields."""
    _dependents.setdefault(model, []).append(fn)


def register_self_scoping(*models) -> None:
    """Models whose own fields decide who sees them (an alignment's territory, an absence's
    rep): their saves are logged as scope changes."""
    _self_scoping.update(models)


def _log_dependents(model, rows, depth=0):
    if depth >= MAX_DEPTH:
        return
    for fn in _dependents.get(model, ()):
        for queryset in fn(rows):
            if queryset.model in _dependents:
                children = list(queryset.distinct())
                record(queryset.model, [row.pk for row in children], ChangeOp.SCOPE)
                _log_dependents(queryset.model, children, depth + 1)
            else:
                record_queryset(queryset, ChangeOp.SCOPE)


def log_rows(model, rows, op: str = ChangeOp.UPSERT) -> None:
    """Log `rows` and the records whose scope they decide."""
    record(model, [row.pk for row in rows], op)
    _log_dependents(model, rows)


def _saved(sender, instance, raw=False, **kwargs):
    if not raw:
        log_rows(sender, [instance], ChangeOp.SCOPE if sender in _self_scoping else ChangeOp.UPSERT)


def _deleted(sender, instance, **kwargs):
    log_rows(sender, [instance], ChangeOp.DELETE)


def connect(models) -> None:
    """Log saves and deletes of every synced model among `models` (OrgConfig.ready)."""
    for model in models:
        if issubclass(model, SyncedModel) and not model._meta.abstract:
            uid = f"changelog:{label(model)}"
            post_save.connect(_saved, sender=model, dispatch_uid=uid)
            post_delete.connect(_deleted, sender=model, dispatch_uid=uid)


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
        entries.order_by("txid", "id").values_list("txid", "id", "model", "object_id", "op")[:limit]
    )
