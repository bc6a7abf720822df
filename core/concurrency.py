"""Optimistic concurrency for every record with a `version` (API.md: `If-Match` / 412).

A writer names the version it read (`expected_version`; None: it names none, the last writer
wins). The version is compared with the stored one *under the row lock*, in the writing
transaction (`select_for_update`), so of several writers that read the same version exactly one
passes; the others get `Stale` (API: 412 with the current record). Services that lock the row
themselves call `check_version` right after the lock; write paths without a service of their
own (a plain ModelSerializer save) use `lock_for_update`.

`Conflict` is the other refusal a service gives: the record's state forbids the change (API: 409).
"""

from django.utils.translation import gettext_lazy


class Conflict(Exception):
    """The record's state forbids this change (API: 409)."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


class Stale(Exception):
    """The caller changed a record from an older version than the stored one (a lost update
    prevented; API: 412 with the current object). Raised under the row lock."""

    def __init__(self, message, version):
        self.message = message
        self.version = version
        super().__init__(message)


STALE_RECORD = gettext_lazy("This record has changed since you read it (version %(v)s).")


def has_version(model) -> bool:
    """Whether `model` rows carry a `version` (core.models.SyncedModel)."""
    return any(field.name == "version" for field in model._meta.concrete_fields)


def check_version(record, expected_version, message=STALE_RECORD):
    """Optimistic concurrency: `expected_version` (None: the caller names none) must be the
    version of `record` — read under the row lock (select_for_update) in the writing
    transaction, so of several writers that read the same version exactly one passes.
    `message` takes `%(v)s`, the current version."""
    if expected_version is not None and expected_version != record.version:
        raise Stale(message % {"v": record.version}, record.version)


def lock_for_update(record, expected_version=None, message=STALE_RECORD):
    """`record` read again under the row lock (call it inside the writing transaction), after
    checking `expected_version` against it. Write on the row this returns: its version and
    fields are the stored ones, so a change made meanwhile is neither lost nor counted twice."""
    model = type(record)
    locked = model._base_manager.select_for_update().get(pk=record.pk)
    check_version(locked, expected_version, message)
    return locked
