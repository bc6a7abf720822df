from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")

    def ready(self):
        from core import changelog

        from . import places
        from .models import Absence, District, Region, Territory

        changelog.register_self_scoping(Region, District, Territory, Absence)
        # Who held a place: the sync sends a delete only to them.
        changelog.register_places_held(places.places_held)
        # A territory, district or region is its own place (its own id is enough: `places_held`
        # follows them through the history of the districts and regions they were in).
        changelog.register_place(Territory, lambda row: changelog.place(territory=row.pk))
        changelog.register_place(District, lambda row: changelog.place(district=row.pk))
        changelog.register_place(Region, lambda row: changelog.place(region=row.pk))
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
