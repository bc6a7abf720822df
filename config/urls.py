from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from calls import api as calls_api
from calls import urls as calls_urls
from core import api as core_api
from core import health
from customers import api as customers_api
from notifications import api as notifications_api
from org import api as org_api
from org import views as org_views
from planning import api as plans_api
from reports import api as reports_api
from reports.views import today as reports_today

router = DefaultRouter()
router.register("users", org_api.UserViewSet, basename="user")
router.register("regions", org_api.RegionViewSet, basename="region")
router.register("districts", org_api.DistrictViewSet, basename="district")
router.register("products", org_api.ProductViewSet, basename="product")
router.register("teams", org_api.TeamViewSet, basename="team")
router.register("territories", org_api.TerritoryViewSet, basename="territory")
router.register("absences", org_api.AbsenceViewSet, basename="absence")
router.register("tokens", org_api.ApiTokenViewSet, basename="api-token")
router.register("institutions", customers_api.InstitutionViewSet, basename="institution")
router.register("departments", customers_api.DepartmentViewSet, basename="department")
router.register("customers", customers_api.CustomerViewSet, basename="customer")
router.register("alignments", customers_api.AlignmentViewSet, basename="alignment")
router.register("measures", customers_api.MeasureViewSet, basename="measure")
router.register("thresholds", customers_api.ThresholdViewSet, basename="threshold")
router.register(
    "reclassifications", customers_api.ReclassificationViewSet, basename="reclassification"
)
router.register("overrides", customers_api.OverrideViewSet, basename="override")
router.register("change-requests", customers_api.ChangeRequestViewSet, basename="change-request")
router.register("calls", calls_api.CallViewSet, basename="call")
router.register("amendments", calls_api.AmendmentViewSet, basename="amendment")
router.register("requirements", reports_api.RequirementViewSet, basename="requirement")
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")
router.register("plans", plans_api.PlanViewSet, basename="plan")

api_v1 = [
    path("auth/token/", org_api.TokenView.as_view(), name="token"),
    path("me/", org_api.MeView.as_view(), name="me"),
    path("sync/", core_api.SyncView.as_view(), name="sync"),
    path(
        "measures/import/",
        customers_api.MeasureImportView.as_view({"post": "create"}),
        name="measure-import",
    ),
    path("imports/", customers_api.ImportView.as_view(), name="imports"),
    path("imports/<str:id>/", customers_api.ImportJobView.as_view(), name="import-job"),
    path("reports/compliance/", reports_api.ComplianceReportView.as_view(), name="compliance"),
    path("reports/recompute/", reports_api.RecomputeView.as_view(), name="recompute"),
    path(
        "reports/recompute/<str:id>/",
        reports_api.RecomputeJobView.as_view(),
        name="recompute-job",
    ),
    *router.urls,
]

# Today reads calls and the compliance rules of reports, so its view lives in reports; its address
# stays in the calls namespace (calls must not import reports).
calls_pages = [
    path("today/", reports_today.today, name="today"),
    *calls_urls.urlpatterns,
]

admin.site.site_header = _("Baifang administration")
admin.site.site_title = _("Baifang")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # "home" (/): a rep's Today; a DM's or regional manager's desk (inbox and pulse); an admin's
    # overview. Included by name: config and desk are independent layers.
    path("", include("desk.urls")),
    path("language/", org_views.language_set, name="language_set"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("account/devices/", org_views.devices, name="devices"),
    path("settings/", org_views.settings_hub, name="settings"),
    path("settings/teams/", org_views.team_targets, name="team_targets"),
    path("settings/users/<int:pk>/history/", org_views.user_history, name="user_history"),
    path("settings/compliance/", org_views.compliance_settings, name="compliance_settings"),
    path("customers/", include("customers.urls")),
    path("calls/", include((calls_pages, "calls"))),
    path("reports/", include("reports.urls")),
    path("notifications/", include("notifications.urls")),
    path("plans/", include("planning.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs page needs a login (the schema too: SERVE_PERMISSIONS). Its script is served from
    # its own address (the split view), so the CSP only relaxes the styles Swagger UI inlines.
    path(
        "api/docs/",
        login_required(
            csp_update({"style-src": ["'unsafe-inline'"]})(
                SpectacularSwaggerSplitView.as_view(url_name="schema")
            )
        ),
        name="api-docs",
    ),
]

handler404 = "core.api.not_found"
