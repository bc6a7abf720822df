"""Write paths of planning, one module per sub-domain:

- `plans`: the quarterly plan and its transitions (create, update, submit, approve, return,
  revise), each with its PlanEvent sent on commit;
- `targets`: the plan's focus customers and the monthly update, and their pre-fill;
- `weeks`: the weekly itinerary (planned calls through calls.services);
- `joint`: joint-call proposals;
- `permissions`: who may plan and who decides;
- `settings`: the planning settings (the capacity floor), admins only.

States: draft → submitted → approved, or submitted → returned → (edited) → submitted …; an
approved plan is read-only until `plan_revise` takes it back to draft (the approved version is
kept as a PlanVersion). Each transition locks the plan row (select_for_update) and checks the
state inside its transaction, so of two concurrent decisions exactly one wins.

Errors: ValidationError (400), core.concurrency.Conflict (409: illegal state change),
core.concurrency.Stale (412: `expected_version` is not the plan's, checked under the row lock),
PermissionDenied (403: the role or person may not do this), Http404 (not in scope).

Callers write `from planning import services` and `services.plan_submit(...)`.
"""

from .joint import joint_call_decide, joint_call_propose
from .permissions import can_decide, can_plan
from .plans import (
    STALE_PLAN,
    TEXT_FIELDS,
    plan_approve,
    plan_create,
    plan_return,
    plan_revise,
    plan_submit,
    plan_update,
)
from .settings import planning_settings_save
from .targets import PREFILL_CLASSES, PREFILL_LIMIT, class_targets, default_targets, rep_territory
from .weeks import customers_by_ids, itinerary_add, itinerary_remove

__all__ = [
    "PREFILL_CLASSES",
    "PREFILL_LIMIT",
    "STALE_PLAN",
    "TEXT_FIELDS",
    "can_decide",
    "can_plan",
    "class_targets",
    "customers_by_ids",
    "default_targets",
    "itinerary_add",
    "itinerary_remove",
    "joint_call_decide",
    "joint_call_propose",
    "plan_approve",
    "plan_create",
    "plan_return",
    "plan_revise",
    "plan_submit",
    "plan_update",
    "planning_settings_save",
    "rep_territory",
]
