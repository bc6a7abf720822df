"""Who held a place, for the sync (core.changelog, "The place a change happened"): the
organisation's resolver, registered in `OrgConfig.ready()`."""

from core.changelog import Places

from .models import District, Region, Role, Territory, TerritoryAssignment


def places_held(user) -> Places:
    """The territories, districts and regions `user` holds or manages now or did before (the
    holders of territories and the managers of districts and regions keep a history), with
    every territory and district that was in what they managed. A few queries, set-based."""
    if user.is_admin:
        return Places()
    regions = set(Region.objects.for_user(user).values_list("pk", flat=True))
    regions |= set(Region.history.filter(manager=user).values_list("id", flat=True))
    districts = set(District.objects.for_user(user).values_list("pk", flat=True))
    districts |= set(District.history.filter(dm=user).values_list("id", flat=True))
    if user.role == Role.REGIONAL:
        districts |= set(District.history.filter(region__in=regions).values_list("id", flat=True))
    territories = set(Territory.objects.for_user(user).values_list("pk", flat=True))
    territories |= set(
        TerritoryAssignment.objects.filter(rep=user).values_list("territory_id", flat=True)
    )
    territories |= set(Territory.history.filter(rep=user).values_list("id", flat=True))
    if user.role in (Role.DM, Role.REGIONAL):
        territories |= set(
            Territory.history.filter(district__in=districts).values_list("id", flat=True)
        )
    else:  # a rep sees the district (and region) records of their territories
        districts |= set(
            Territory.history.filter(id__in=territories).values_list("district_id", flat=True)
        )
    return Places(territories, districts, regions, user.pk)
