from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<uuid:pk>/", views.customer_detail, name="detail"),
    path("<uuid:pk>/edit/", views.customer_edit, name="edit"),
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/<uuid:pk>/", views.institution_detail, name="institution_detail"),
    path("departments/<uuid:pk>/", views.department_detail, name="department_detail"),
]
