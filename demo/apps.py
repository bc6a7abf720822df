from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company (`python manage.py seed_demo`): above every app, it builds the
    organisation, customers, calls, plans and notifications through their services."""

    name = "demo"
    verbose_name = "Demo data"
