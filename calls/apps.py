from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Calls")

    def ready(self):
        from core import changelog
        from customers import privacy
        from org.models import Territory

        from .models import Call
        from .selectors import personal_calls
        from .services.privacy import scrub_calls

        # A customer's privacy: the calls they attended, in their export and their erasure.
        privacy.register_export_part("calls", personal_calls)
        privacy.register_scrubber(scrub_calls)

        # A territory handed to another rep takes its calls with it.
        changelog.register_dependents(
            Territory, lambda rows: [Call.objects.filter(territory__in=[row.pk for row in rows])]
        )
