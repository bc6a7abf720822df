"""Write paths for customers, alignments and segmentation: one transaction each, validated like
the forms.

By sub-domain: `customers` (profiles), `alignments`, `segmentation` (measures, thresholds,
reclassification jobs), `overrides`, `imports` (measures from CSV/XLSX). Callers use this
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

__all__ = [
    "CONSENT_FIELDS",
    "CUSTOMER_FIELDS",
    "ENDED_LOOKBACK_DAYS",
    "RECLASSIFICATION_BATCH",
    "alignment_save",
    "alignments_log_ended",
    "can_edit_customers",
    "can_edit_segmentation",
    "can_override_classes",
    "customer_consent_save",
    "customer_create",
    "customer_update",
    "measure_save",
    "measures_import",
    "override_clear",
    "override_create",
    "reclassification_run",
    "reclassification_start",
    "reclassify_all",
    "threshold_save",
]
