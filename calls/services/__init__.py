"""Write paths for calls: create, update, complete, cancel, delete (planned calls only);
amendments of locked calls and coaching comments. One transaction each; every rule is checked
before anything is written and every change leaves a history row (django-simple-history)
naming who made it.

Errors: `ValidationError` (a field and a translated message; API 400), `Conflict` (the state of
the call forbids the change — a locked call, an illegal status change, a pending amendment;
API 409), `Stale` (the caller's `expected_version` is not the call's, compared under the row
lock; API 412), `PermissionDenied` (the role may not do this; API 403) and `Http404` (not in
scope). `Conflict` and `Stale` are `core.concurrency`'s (import them from there).

The write paths by sub-domain: `calls` (the life of a call), `amendments`, `coaching`,
`catalogue` (the admin's key messages, materials and samples, call settings), with
`permissions` (who may do what) and `validation` (field, date and sample rules) beside them.
Callers use this package: `from calls import services; services.call_create(...)`.
"""

from .amendments import (
    amendment_approve,
    amendment_reject,
    amendment_request,
    changes_from_json,
    changes_to_json,
)
from .calls import (
    CALL_FIELDS,
    RELATIONS,
    STALE_CALL,
    CallLocked,
    call_cancel,
    call_complete,
    call_create,
    call_delete,
    call_update,
)
from .catalogue import (
    BACKDATING_DAYS,
    GRACE_DAYS,
    SAMPLE_LIMIT,
    call_settings_save,
    key_message_delete,
    key_message_save,
    material_delete,
    material_save,
)
from .coaching import coaching_comment_create
from .permissions import (
    CO_VISITOR_INVALID,
    can_coach,
    can_decide_amendments,
    can_log_calls,
    co_visitor_allowed,
)
from .validation import log_date

__all__ = [
    "BACKDATING_DAYS",
    "CALL_FIELDS",
    "CO_VISITOR_INVALID",
    "GRACE_DAYS",
    "RELATIONS",
    "SAMPLE_LIMIT",
    "STALE_CALL",
    "CallLocked",
    "amendment_approve",
    "amendment_reject",
    "amendment_request",
    "call_cancel",
    "call_complete",
    "call_create",
    "call_delete",
    "call_settings_save",
    "call_update",
    "can_coach",
    "can_decide_amendments",
    "can_log_calls",
    "changes_from_json",
    "changes_to_json",
    "co_visitor_allowed",
    "coaching_comment_create",
    "key_message_delete",
    "key_message_save",
    "log_date",
    "material_delete",
    "material_save",
]
