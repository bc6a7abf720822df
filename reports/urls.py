from django.urls import path

from . import exports
from .views import dashboards, opportunity, settings

app_name = "reports"
urlpatterns = [
    path("", dashboards.dashboard, name="dashboard"),
    path("targets/", dashboards.targets, name="targets"),
    path("activity/", dashboards.activity, name="activity"),
    path("adoption/", dashboards.adoption, name="adoption"),
    path("opportunity/", opportunity.opportunity, name="opportunity"),
    # Settings part: requirements, recompute now, exports.
    path("settings/requirements/", settings.requirements, name="requirements"),
    path(
        "settings/requirements/<int:pk>/history/",
        settings.requirement_history,
        name="requirement_history",
    ),
    path("settings/recompute/", settings.recompute, name="recompute"),
    path("settings/recompute/<uuid:pk>/", settings.recompute_job, name="recompute_job"),
    path(
        "settings/recompute/<uuid:pk>/status/",
        settings.recompute_job_status,
        name="recompute_job_status",
    ),
    path("export/", exports.compliance_export, name="export"),
]
