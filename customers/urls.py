from django.urls import path

from .views import customers, imports, segmentation

app_name = "customers"
urlpatterns = [
    path("", customers.customer_list, name="list"),
    path("new/", customers.customer_create, name="create"),
    path("<uuid:pk>/", customers.customer_detail, name="detail"),
    path("<uuid:pk>/edit/", customers.customer_edit, name="edit"),
    path("<uuid:pk>/consent/", customers.customer_consent, name="consent"),
    path("<uuid:pk>/overrides/new/", customers.override_create, name="override_create"),
    path(
        "<uuid:pk>/overrides/<uuid:override_pk>/clear/",
        customers.override_clear,
        name="override_clear",
    ),
    path("institutions/", customers.institution_list, name="institution_list"),
    path("institutions/<uuid:pk>/", customers.institution_detail, name="institution_detail"),
    path("departments/<uuid:pk>/", customers.department_detail, name="department_detail"),
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
