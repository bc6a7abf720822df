from django.urls import path

from . import views, views_settings

app_name = "calls"
# `calls:today` (/calls/today/) is added by config/urls.py: Today reads the compliance rules of
# reports, above calls (reports.views.today).
urlpatterns = [
    path("", views.call_list, name="list"),
    path("week/", views.call_week, name="week"),
    path("new/", views.call_new, name="new"),
    path("search/", views.customer_search, name="customer_search"),
    path("feedback/", views.feedback, name="feedback"),
    path("customer/<uuid:pk>/", views.customer_history, name="customer_history"),
    path("<uuid:pk>/", views.call_detail, name="detail"),
    path("<uuid:pk>/edit/", views.call_edit, name="edit"),
    path("<uuid:pk>/history/", views.call_history, name="history"),
    path("<uuid:pk>/log/", views.call_log, name="log"),
    path("<uuid:pk>/amend/", views.call_amend, name="amend"),
    path("<uuid:pk>/cancel/", views.call_cancel, name="cancel"),
    path("<uuid:pk>/delete/", views.call_delete, name="delete"),
    path("<uuid:pk>/comment/", views.call_comment, name="comment"),
    path("amendments/<uuid:pk>/", views.amendment_detail, name="amendment"),
    path("amendments/<uuid:pk>/decide/", views.amendment_decide, name="amendment_decide"),
]

# The admin's settings of calls (calls.views_settings).
urlpatterns += [
    path("settings/", views_settings.call_settings, name="settings"),
    path("settings/catalogue/", views_settings.catalogue, name="catalogue"),
    path(
        "settings/catalogue/key-messages/new/",
        views_settings.key_message_edit,
        name="key_message_new",
    ),
    path(
        "settings/catalogue/key-messages/<uuid:pk>/",
        views_settings.key_message_edit,
        name="key_message_edit",
    ),
    path(
        "settings/catalogue/key-messages/<uuid:pk>/delete/",
        views_settings.key_message_delete,
        name="key_message_delete",
    ),
    path("settings/catalogue/materials/new/", views_settings.material_edit, name="material_new"),
    path(
        "settings/catalogue/materials/<uuid:pk>/",
        views_settings.material_edit,
        name="material_edit",
    ),
    path(
        "settings/catalogue/materials/<uuid:pk>/delete/",
        views_settings.material_delete,
        name="material_delete",
    ),
]
