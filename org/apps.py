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
        # An absence was seen by its rep and by the managers of the rep's territories.
        changelog.register_place(
            Absence,
            lambda absence: [
                changelog.place(user=absence.rep_id),
                *(
                    changelog.place(territory=pk)
                    for pk in Territory.objects.filter(rep=absence.rep_id).values_list(
                        "pk", flat=True
                    )
                ),
            ],
            moves_with=("rep_id",),
        )
        # A new DM or regional manager changes who sees the district's or region's records.
        changelog.register_dependents(
            Region, lambda rows: [District.objects.filter(region__in=[r.pk for r in rows])]
        )
        changelog.register_dependents(
            District, lambda rows: [Territory.objects.filter(district__in=[r.pk for r in rows])]
        )
