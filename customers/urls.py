from django.urls import path

from .views import customers, imports, privacy, segmentation, steward

app_name = "customers"
urlpatterns = [
    path("", customers.customer_list, name="list"),
    path("new/", customers.customer_create, name="create"),
    path("<uuid:pk>/", customers.customer_detail, name="detail"),
    path("<uuid:pk>/edit/", customers.customer_edit, name="edit"),
    path("<uuid:pk>/export/", privacy.customer_export, name="export"),
    path("<uuid:pk>/erase/", privacy.customer_erase, name="erase"),
    path("<uuid:pk>/history/", customers.customer_history, name="history"),
    path("alignments/<uuid:pk>/history/", customers.alignment_history, name="alignment_history"),
    path(
        "segmentation/thresholds/<uuid:pk>/history/",
        segmentation.threshold_history,
        name="threshold_history",
    ),
    path("<uuid:pk>/consent/", customers.customer_consent, name="consent"),
    path("<uuid:pk>/overrides/new/", customers.override_create, name="override_create"),
    path(
        "<uuid:pk>/overrides/<uuid:override_pk>/clear/",
        customers.override_clear,
        name="override_clear",
    ),
    path("steward/", steward.steward_queue, name="steward"),
    path("steward/choices/", steward.steward_choices, name="steward_choices"),
    path("steward/<uuid:pk>/verify/", steward.steward_verify, name="steward_verify"),
    path("steward/<uuid:pk>/merge/", steward.steward_merge, name="steward_merge"),
    path("steward/<uuid:pk>/reject/", steward.steward_reject, name="steward_reject"),
    path(
        "steward/requests/<int:pk>/accept/",
        steward.change_request_accept,
        name="change_request_accept",
    ),
    path(
        "steward/requests/<int:pk>/reject/",
        steward.change_request_reject,
        name="change_request_reject",
    ),
    path("institutions/", customers.institution_list, name="institution_list"),
    path("institutions/<uuid:pk>/", customers.institution_detail, name="institution_detail"),
    path("departments/<uuid:pk>/", customers.department_detail, name="department_detail"),
    path("imports/", imports.import_list, name="imports"),
    path("imports/<uuid:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:pk>/status/", imports.import_status, name="import_status"),
    path("imports/<uuid:pk>/apply/", imports.import_apply, name="import_apply"),
    path(
        "imports/<uuid:pk>/rejected.<str:fmt>",
        imports.import_rejected,
        name="import_rejected",
    ),
    path("segmentation/", segmentation.segmentation, name="segmentation"),
    path("segmentation/import/", imports.measure_import, name="measure_import"),
    path(
        "segmentation/import/apply/",
        imports.measure_import_apply,
        name="measure_import_apply",
    ),
    path(
        "segmentation/jobs/<uuid:pk>/",
        segmentation.segmentation_job,
        name="segmentation_job",
    ),
    path(
        "segmentation/jobs/<uuid:pk>/status/",
        segmentation.segmentation_job_status,
        name="segmentation_job_status",
    ),
    path(
        "segmentation/<uuid:pk>/",
        segmentation.segmentation_product,
        name="segmentation_product",
    ),
]
