"""The desk runs the same number of queries whatever the number of reps (a DM) or districts (a
regional manager), each rep with something waiting and a snapshot."""

import pytest
from django.urls import reverse

from org.models import Role
from tests.desk.conftest import snapshot, waiting
from tests.factories import (
    CustomerFactory,
    DistrictFactory,
    RegionFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def district(region, reps, *, tag):
    dm = UserFactory(username=f"dm_{tag}", role=Role.DM)
    place = DistrictFactory(region=region, dm=dm, code=f"D{tag}")
    team = TeamFactory()
    for i in range(reps):
        rep = UserFactory(username=f"rep_{tag}_{i}")
        territory = TerritoryFactory(district=place, holder=rep, code=f"T{tag}{i}", team=team)
        customer = CustomerFactory(territory=territory)
        waiting(None, territory, rep, customer, days_ago=i)
        snapshot(territory, calls=5 * i, days=5, a=(4, i % 4), b=(6, i % 6))
    return dm


def test_a_dms_desk_is_flat_in_the_number_of_reps(client):
    region = RegionFactory()
    small, large = district(region, 2, tag="s"), district(region, 6, tag="l")

    client.force_login(small)
    two = count_queries(client, reverse("home"))
    client.force_login(large)
    six = count_queries(client, reverse("home"))

    assert two == six <= 30, (two, six)


def test_a_regional_managers_desk_is_flat_in_the_number_of_districts(client):
    one_rm = UserFactory(username="rm_one", role=Role.REGIONAL)
    three_rm = UserFactory(username="rm_three", role=Role.REGIONAL)
    one = RegionFactory(manager=one_rm)
    three = RegionFactory(manager=three_rm)
    district(one, 2, tag="a")
    for tag in ("b", "c", "d"):
        district(three, 2, tag=tag)

    client.force_login(one_rm)
    with_one = count_queries(client, reverse("home"))
    client.force_login(three_rm)
    with_three = count_queries(client, reverse("home"))

    assert with_one == with_three <= 30, (with_one, with_three)


def test_the_coaching_list_is_flat_in_the_number_of_calls(client):
    region = RegionFactory()
    small, large = district(region, 2, tag="s"), district(region, 6, tag="l")

    client.force_login(small)
    two = count_queries(client, reverse("desk:coaching"))
    client.force_login(large)
    six = count_queries(client, reverse("desk:coaching"))

    assert two == six <= 30, (two, six)
