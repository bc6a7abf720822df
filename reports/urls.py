from django.urls import path

from . import exports, opportunity_views, settings_views, views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("targets/", views.targets, name="targets"),
    path("opportunity/", opportunity_views.opportunity, name="opportunity"),
    # Settings part: requirements, recompute now, exports.
    path("settings/requirements/", settings_views.requirements, name="requirements"),
    path("settings/recompute/", settings_views.recompute, name="recompute"),
    path("settings/recompute/<uuid:pk>/", settings_views.recompute_job, name="recompute_job"),
    path(
        "settings/recompute/<uuid:pk>/status/",
        settings_views.recompute_job_status,
        name="recompute_job_status",
    ),
    path("export/", exports.compliance_export, name="export"),
]
