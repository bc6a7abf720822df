"""The landing page (`/`, named "home") and the desk's pages (`desk:`). config.urls includes this
module by name: config and desk are independent layers (pyproject.toml)."""

from django.urls import include, path

from . import views

pages = [
    path("coaching/", views.coaching, name="coaching"),
    path("choices/<slug:kind>/", views.filter_choices, name="filter_choices"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("desk/", include((pages, "desk"))),
]
