from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The managers' home (desk): an inbox and the team's pulse. It reads planning, calls and
    reports, so it sits above them all (with config and demo)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "desk"
    verbose_name = _("Manager's desk")
