"""`GET /api/v1/sync/`: every change in the caller's scope after a cursor, oldest first.

Registering a type
------------------
A type is an API resource: its name is the resource's path, its representation and scope are
its viewset's (`get_queryset()` — scoped by `for_user` — and `get_serializer()`), so a synced
record reads exactly as `GET /api/v1/<type>/<id>/` answers it. An app registers its types where
it declares its viewsets, e.g. the plans app, in `planning/api.py`::

    from core import sync

    sync.register("plans", PlanViewSet)

The model must be a `SyncedModel` (its saves and deletes are then logged, core.changelog); if a
write of another model changes who may see a plan, add `changelog.register_dependents(...)` in
the app's `AppConfig.ready()`; bulk writes call `changelog.record(...)`.

Reading
-------
Without a cursor the answer starts with a snapshot: every record in scope, type by type in
primary key order, over as many pages as needed, then the change log from the position taken
*before* the snapshot was read (so a change made meanwhile is sent again rather than lost). With
a cursor it reads the change log from there (core.changelog: `(txid, id)` positions below the
commit horizon, which never skips a change). For each logged record the answer is the record as
it is now if the caller can see it (`upsert`), else `delete` when the record was deleted or its
scope changed (re-alignment, a territory handed to another rep: it may have left the caller's
scope) in a place the caller held, else nothing (core.changelog: "The place a change happened").
A client may be sent a delete of a record it no longer had: it ignores it. The cursor is
opaque (base64 JSON) and tied to the requested types; a cursor of other types, or a damaged
one, answers 400.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import changelog

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class SyncType:
    name: str
    viewset: type

    @property
    def model(self):
        return self.viewset.model or self.viewset.queryset.model

    @property
    def label(self):
        return changelog.label(self.model)

    def view(self, request):
        """The resource's viewset, set up as for a list request of `request`'s user."""
        view = self.viewset(request=request, format_kwarg=None, action="list", kwargs={})
        view.args = ()
        view.headers = {}
        return view


_types: dict[str, SyncType] = {}


def register(name: str, viewset) -> None:
    """Sync the records of the API resource `name` as its `viewset` lists and shows them."""
    _types[name] = SyncType(name=name, viewset=viewset)


def type_names() -> list[str]:
    return sorted(_types)


def parse_types(value: str | None) -> list[SyncType]:
    """`customers,calls` → the registered types (all of them when empty); 400 when unknown."""
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    if not names:
        return [_types[name] for name in type_names()]
    unknown = sorted(set(names) - set(_types))
    if unknown:
        raise ValidationError(
            {
                "types": [
                    _("Unknown types: %(unknown)s. Known types: %(known)s.")
                    % {"unknown": ", ".join(unknown), "known": ", ".join(type_names())}
                ]
            }
        )
    return [_types[name] for name in sorted(set(names))]


# The cursor.


def _signature(types) -> str:
    return hashlib.sha256(",".join(t.name for t in types).encode()).hexdigest()[:12]


def encode_cursor(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _bad_cursor(message=None):
    return ValidationError(
        {"since": [message or _("This cursor is not valid: start again without one.")]}
    )


def decode_cursor(value: str, types) -> dict:
    try:
        state = json.loads(base64.urlsafe_b64decode(value.encode() + b"=" * (-len(value) % 4)))
    except (ValueError, binascii.Error, UnicodeError) as error:
        raise _bad_cursor() from error
    if not isinstance(state, dict):
        raise _bad_cursor()
    position = state.get("p")
    if not (
        isinstance(position, list)
        and len(position) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in position)
    ):
        raise _bad_cursor()
    if state.get("t") != _signature(types):
        raise _bad_cursor(_("This cursor was issued for other types: start again without one."))
    snapshot = state.get("s")
    if snapshot is not None and not (
        isinstance(snapshot, list)
        and len(snapshot) == 2
        and isinstance(snapshot[0], int)
        and 0 <= snapshot[0] < len(types)
        and (snapshot[1] is None or isinstance(snapshot[1], str))
    ):
        raise _bad_cursor()
    return state


def page_size(value, default=DEFAULT_PAGE_SIZE) -> int:
    """The requested page size, clamped to 1..MAX_PAGE_SIZE; 400 when not a number."""
    if value in (None, ""):
        return default
    try:
        size = int(value)
    except (TypeError, ValueError) as error:
        raise ValidationError({"page_size": [_("A whole number is required.")]}) from error
    return max(1, min(size, MAX_PAGE_SIZE))


# The page.


def _serialize(sync_type, request, queryset):
    view = sync_type.view(request)
    return view.get_serializer(queryset, many=True).data


def _snapshot(request, types, state, room, changes):
    """Fill `changes` from the snapshot; returns whether it is complete."""
    index, last = state["s"]
    while index < len(types) and room > 0:
        sync_type = types[index]
        queryset = sync_type.view(request).get_queryset().order_by("pk")
        if last is not None:
            try:
                queryset = queryset.filter(pk__gt=last)
            except (ValueError, ValidationError) as error:
                raise _bad_cursor() from error
        rows = list(queryset[:room])
        for data in _serialize(sync_type, request, rows):
            changes.append({"type": sync_type.name, "op": "upsert", "data": data})
        room -= len(rows)
        if rows and room == 0:
            state["s"] = [index, str(rows[-1].pk)]
            return False
        index, last = index + 1, None
    if index < len(types):
        state["s"] = [index, last]
        return False
    state.pop("s", None)
    return True


def _log(request, types, state, room, changes):
    """Fill `changes` from the change log; returns whether more entries are waiting."""
    by_label = {t.label: t for t in types}
    entries = changelog.entries_after(tuple(state["p"]), models=list(by_label), limit=room + 1)
    more = len(entries) > room
    entries = entries[:room]
    if not entries:
        return False
    state["p"] = list(entries[-1][:2])
    # (label, id) → the places of its deletes and scope changes (None: none, it is not gone),
    # in order of each record's last change
    latest = {}
    for _txid, _id, model, object_id, op, *place in entries:
        places = latest.pop((model, object_id), None)
        if op != changelog.ChangeOp.UPSERT:
            places = (places or set()) | {tuple(place)}
        latest[(model, object_id)] = places
    visible = {}
    for model, sync_type in by_label.items():
        ids = [object_id for label, object_id in latest if label == model]
        if ids:
            rows = sync_type.view(request).get_queryset().filter(pk__in=ids)
            for data in _serialize(sync_type, request, rows):
                visible[(model, str(data["id"]))] = data
    held = None
    for (model, object_id), places in latest.items():
        name = by_label[model].name
        data = visible.get((model, str(object_id)))
        if data is not None:
            changes.append({"type": name, "op": "upsert", "data": data})
        elif places:  # deleted, or it may have left the caller's scope: did the caller hold it?
            known = places - {changelog.NO_PLACE} or places
            if known != {changelog.NO_PLACE}:
                held = held or changelog.places_held(request.user)
                if not any(held.holds(*place) for place in known):
                    continue
            changes.append({"type": name, "op": "delete", "id": str(object_id)})
    return more


def sync_page(*, request, since: str | None, types_param: str | None, size: int) -> dict:
    """One page of changes for `request.user`: `{"changes", "cursor", "has_more"}`."""
    types = parse_types(types_param)
    if since:
        state = decode_cursor(since, types)
    else:
        state = {"p": list(changelog.start_position()), "t": _signature(types), "s": [0, None]}
    changes: list = []
    more = False
    if "s" in state:
        more = not _snapshot(request, types, state, size, changes)
    if not more and len(changes) < size:
        more = _log(request, types, state, size - len(changes), changes)
    return {"changes": changes, "cursor": encode_cursor(state), "has_more": more}
