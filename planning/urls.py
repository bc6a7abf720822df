from django.urls import path

from . import views

app_name = "planning"  # the navigation's "Plans" entry (org.context_processors) names it
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_new, name="new"),
    path("settings/", views.planning_settings, name="settings"),
    path("week/", views.week, name="week"),
    path("week/<uuid:pk>/remove/", views.week_remove, name="week_remove"),
    path("joint/<uuid:pk>/", views.joint_propose, name="joint_propose"),
    path("joint/<int:pk>/decide/", views.joint_decide, name="joint_decide"),
    path("<uuid:pk>/", views.plan_detail, name="detail"),
    path("<uuid:pk>/edit/", views.plan_edit, name="edit"),
    path("<uuid:pk>/history/", views.plan_history, name="history"),
    path("<uuid:pk>/versions/<int:number>/", views.plan_version, name="version"),
    path("<uuid:pk>/<str:action>/", views.plan_transition, name="transition"),
]
