"""Pages do not run more queries when there is more data (no N+1)."""

import datetime

import pytest
from django.urls import reverse

from customers import services
from tests.factories import CustomerFactory, DepartmentFactory, ProductFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def add_customers(world, n):
    for _ in range(n):
        department = DepartmentFactory(institution=world.hx)
        CustomerFactory(
            institution=world.hx, department=department, territory=world.tx, is_kol=True
        )


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "admin"])
@pytest.mark.parametrize(
    "url_of",
    [
        lambda w: reverse("customers:list"),
        lambda w: reverse("customers:list") + "?q=医生&kind=prescriber&is_kol=true",
        lambda w: reverse("customers:detail", args=[w.cx.pk]),
        lambda w: reverse("customers:institution_list"),
        lambda w: reverse("customers:institution_detail", args=[w.hx.pk]),
        lambda w: reverse("customers:department_detail", args=[w.dx.pk]),
        lambda w: reverse("customers:create"),
        lambda w: reverse("customers:edit", args=[w.cx.pk]),
        lambda w: reverse("home"),
    ],
    ids=[
        "list",
        "search",
        "detail",
        "institutions",
        "institution",
        "department",
        "create",
        "edit",
        "today",
    ],
)
def test_page_queries_do_not_grow_with_the_data(world, login, persona, url_of):
    client = login(getattr(world, persona))
    url = url_of(world)
    add_customers(world, 3)
    small = count_queries(client, url)

    add_customers(world, 30)
    large = count_queries(client, url)

    assert large == small
    # The profile also reads this month's calls, the next and the last calls and the plans.
    assert small <= (20 if url == reverse("customers:detail", args=[world.cx.pk]) else 12)


def add_classes(world, n):
    """n more products of tx's team, each with thresholds, two measures of cx (two history
    rows), an override of cx by dm_x, and a measured new customer of tx."""
    day = datetime.date(2026, 1, 1)
    for _ in range(n):
        product = ProductFactory()
        world.tx.team.products.add(product)
        services.threshold_save(
            by=world.admin, product=product, potential_min=10, support_min=10, valid_from=day
        )
        doctor = CustomerFactory(institution=world.hx, department=world.dx, territory=world.tx)
        for customer, potential, month in [(world.cx, 20, 2), (world.cx, 5, 5), (doctor, 30, 3)]:
            services.measure_save(
                by=world.admin,
                customer=customer,
                product=product,
                potential=potential,
                support=15,
                valid_from=day.replace(month=month),
            )
        services.override_create(
            by=world.dm_x,
            customer=world.cx,
            product=product,
            klass="B",
            reason="Trial lead",
            valid_from=day.replace(month=9),
        )


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "admin"])
@pytest.mark.parametrize(
    "url_of",
    [
        lambda w: reverse("customers:list"),
        lambda w: reverse("customers:list") + "?klass=B",
        lambda w: reverse("customers:list") + f"?territory={w.tx.pk}&klass=none",
        lambda w: reverse("customers:detail", args=[w.cx.pk]),
        lambda w: reverse("customers:institution_detail", args=[w.hx.pk]),
        lambda w: reverse("customers:department_detail", args=[w.dx.pk]),
    ],
    ids=["list", "list-klass", "list-territory-klass", "detail", "institution", "department"],
)
def test_class_pages_queries_do_not_grow_with_products_and_history(world, login, persona, url_of):
    client = login(getattr(world, persona))
    url = url_of(world)
    add_classes(world, 2)
    small = count_queries(client, url)

    add_classes(world, 8)
    large = count_queries(client, url)

    assert large == small
    # The profile also reads this month's calls, the next and the last calls and the plans.
    assert small <= (22 if url == reverse("customers:detail", args=[world.cx.pk]) else 14)


@pytest.mark.parametrize("persona", ["dm_x", "admin"])
def test_override_form_queries_do_not_grow_with_products_and_history(world, login, persona):
    client = login(getattr(world, persona))
    url = reverse("customers:override_create", args=[world.cx.pk])
    add_classes(world, 2)
    small = count_queries(client, url)

    add_classes(world, 8)
    large = count_queries(client, url)

    assert large == small
    assert small <= 14
