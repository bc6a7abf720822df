"""Filtering customers by class (the desk table, the rep's list and the API's `klass`) finds
exactly the customers whose badge shows that class: the highest class of the products the
customer's teams promote today, N for a non-prescriber, "unclassified" for none."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Alignment, CustomerKind
from tests.factories import CustomerFactory, ProductFactory, TeamFactory, TerritoryFactory, classify

pytestmark = pytest.mark.django_db

URL = reverse("customers:list")


@pytest.fixture
def classes(world):
    """In tx (team promoting p1, p2) and a second territory of district X, tz (team promoting
    p3), each customer's class as the admin and the DM of X see it (all their territories)."""
    today = timezone.localdate()
    p1, p2, p3 = ProductFactory(), ProductFactory(), ProductFactory()
    world.tx.team.products.add(p1, p2)
    tz = TerritoryFactory(district=world.district_x, team=TeamFactory(), code="TZ")
    tz.team.products.add(p3)

    def customer(name, territory=world.tx, **kwargs):
        return CustomerFactory(name=name, institution=world.hx, territory=territory, **kwargs)

    a = classify(classify(customer("甲"), p1, "C"), p2, "A")  # A beats C
    b = classify(classify(customer("乙"), p1, "B"), p3, "A")  # p3 is not promoted in tx
    both = classify(classify(customer("丙"), p1, "D"), p3, "A")  # A in tz, D in tx
    Alignment.objects.create(customer=both, territory=tz, valid_from=datetime.date(2025, 1, 1))
    c = classify(customer("丁"), p1, "A", since=datetime.date(2025, 1, 1))
    c.classes.update(valid_to=today - datetime.timedelta(days=1))
    classify(c, p1, "C", since=today)  # was A until yesterday
    none = customer("戊")  # no class
    later = customer("己", territory=None)  # aligned from tomorrow: no class yet
    Alignment.objects.create(
        customer=later, territory=world.tx, valid_from=today + datetime.timedelta(days=1)
    )
    classify(later, p1, "A")
    npr = customer("庚", kind=CustomerKind.NON_PRESCRIBER, role_group="N1")
    return {
        "A": {a, both},
        "B": {b},
        "C": {c},
        "D": set(),
        "N": {npr},
        "none": {none, later, world.cx},
        "tx": {"A": {a}, "D": {both}, "none": {none, later, world.cx}},
        "tz": tz,
    }


def listed(response):
    return {row.record for row in response.context["table"].paginated_rows}


@pytest.mark.parametrize("klass", ["A", "B", "C", "D", "N", "none"])
def test_the_desk_table_filtered_by_class_lists_exactly_that_class(classes, world, login, klass):
    response = login(world.dm_x).get(URL, {"klass": klass})
    assert listed(response) == classes[klass]
    badges = {row.get_cell_value("klass") for row in response.context["table"].paginated_rows}
    # A non-prescriber's badge shows the role group (N1–N3).
    assert {(badge or "-")[0] for badge in badges} <= {"-" if klass == "none" else klass}


@pytest.mark.parametrize("klass", ["A", "D", "none"])
def test_filtered_by_class_in_one_territory_takes_the_class_there(classes, world, login, klass):
    response = login(world.admin).get(URL, {"klass": klass, "territory": world.tx.pk})
    assert listed(response) == classes["tx"][klass]


@pytest.mark.parametrize("klass", ["A", "B", "C", "N"])
def test_the_api_filtered_by_class_lists_exactly_that_class(classes, world, api, klass):
    rows = api(world.admin).get("/api/v1/customers/", {"klass": klass}).json()["results"]
    assert {row["id"] for row in rows} == {str(c.pk) for c in classes[klass]}
    assert {row["klass"] for row in rows} == {klass}


def test_the_rep_filters_their_own_list_by_class(classes, world, login):
    response = login(world.rep_x).get(URL, {"klass": "A"})
    # The rep sees tx only: 丙 is D there, whatever class tz gives it.
    assert set(response.context["page"].object_list) == classes["tx"]["A"]


def test_another_districts_customer_of_the_class_is_not_listed(classes, world, login, api):
    product = world.tx.team.products.first()
    world.ty.team.products.add(product)
    classify(world.cy, product, "A")
    assert world.cy not in listed(login(world.dm_x).get(URL, {"klass": "A"}))
    assert world.cy in listed(login(world.dm_y).get(URL, {"klass": "A"}))
    rows = api(world.dm_x).get("/api/v1/customers/", {"klass": "A"}).json()["results"]
    assert str(world.cy.pk) not in {row["id"] for row in rows}
