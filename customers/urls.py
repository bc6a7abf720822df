from django.urls import path

from . import import_views, segmentation_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<uuid:pk>/", views.customer_detail, name="detail"),
    path("<uuid:pk>/edit/", views.customer_edit, name="edit"),
    path("<uuid:pk>/overrides/new/", views.override_create, name="override_create"),
    path(
        "<uuid:pk>/overrides/<uuid:override_pk>/clear/",
        views.override_clear,
        name="override_clear",
    ),
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/<uuid:pk>/", views.institution_detail, name="institution_detail"),
    path("departments/<uuid:pk>/", views.department_detail, name="department_detail"),
    path("segmentation/", segmentation_views.segmentation, name="segmentation"),
    path("segmentation/import/", import_views.measure_import, name="measure_import"),
    path(
        "segmentation/import/apply/",
        import_views.measure_import_apply,
        name="measure_import_apply",
    ),
    path(
        "segmentation/jobs/<uuid:pk>/",
        segmentation_views.segmentation_job,
        name="segmentation_job",
    ),
    path(
        "segmentation/jobs/<uuid:pk>/status/",
        segmentation_views.segmentation_job_status,
        name="segmentation_job_status",
    ),
    path(
        "segmentation/<uuid:pk>/",
        segmentation_views.segmentation_product,
        name="segmentation_product",
    ),
]
