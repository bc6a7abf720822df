from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.read_all, name="read_all"),
    path("<uuid:pk>/open/", views.notification_open, name="open"),
    path("settings/", views.email_settings, name="settings"),
    path("rules/", views.rules, name="rules"),
    path("rules/<str:rule>/", views.rule_edit, name="rule_edit"),
    path("rules/<str:rule>/run/", views.rule_run_now, name="rule_run"),
]
