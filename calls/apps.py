from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Calls")

    def ready(self):
        from core import changelog
        from org.models import Territory

        from .models import Call

        # A territory handed to another rep takes its calls with it.
        changelog.register_dependents(
            Territory, lambda rows: [Call.objects.filter(territory__in=[row.pk for row in rows])]
        )
