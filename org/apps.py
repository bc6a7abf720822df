from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")

    def ready(self):
        from . import changelog
        from .models import Absence, District, Region, Territory

        changelog.connect(apps.get_models())
        changelog.register_self_scoping(Region, District, Territory, Absence)
        # A new DM or regional manager changes who sees the district's or region's records.
        changelog.register_dependents(
            Region, lambda rows: [District.objects.filter(region__in=[r.pk for r in rows])]
        )
        changelog.register_dependents(
            District, lambda rows: [Territory.objects.filter(district__in=[r.pk for r in rows])]
        )
