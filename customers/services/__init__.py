"""Write paths for customers, alignments and segmentation: one transaction each, validated like
the forms.

By sub-domain: `customers` (profiles), `alignments`, `segmentation` (measures, thresholds,
reclassification jobs), `overrides`, `imports` (measures from CSV/XLSX), `stewardship` (master
data: verify, merge, reject, change requests). Callers use this
package: `from customers import services; services.customer_create(...)`.
"""

from .alignments import ENDED_LOOKBACK_DAYS, alignment_save, alignments_log_ended
from .customers import (
    CONSENT_FIELDS,
    CUSTOMER_FIELDS,
    can_edit_customers,
    customer_consent_save,
    customer_create,
    customer_update,
)
from .imports import measures_import
from .overrides import override_clear, override_create
from .privacy import can_erase_customers, customer_erase
from .segmentation import (
    RECLASSIFICATION_BATCH,
    can_edit_segmentation,
    can_override_classes,
    measure_save,
    reclassification_run,
    reclassification_start,
    reclassify_all,
    threshold_save,
)
from .stewardship import (
    Outcome,
    can_steward,
    change_request_accept,
    change_request_reject,
    customer_merge,
    customer_reject,
    customer_verify,
)

__all__ = [
    "CONSENT_FIELDS",
    "CUSTOMER_FIELDS",
    "ENDED_LOOKBACK_DAYS",
    "RECLASSIFICATION_BATCH",
    "Outcome",
    "alignment_save",
    "alignments_log_ended",
    "can_edit_customers",
    "can_edit_segmentation",
    "can_erase_customers",
    "can_override_classes",
    "can_steward",
    "change_request_accept",
    "change_request_reject",
    "customer_consent_save",
    "customer_create",
    "customer_erase",
    "customer_merge",
    "customer_reject",
    "customer_update",
    "customer_verify",
    "measure_save",
    "measures_import",
    "override_clear",
    "override_create",
    "reclassification_run",
    "reclassification_start",
    "reclassify_all",
    "threshold_save",
]
