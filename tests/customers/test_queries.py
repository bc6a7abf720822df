"""Pages do not run more queries when there is more data (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CustomerFactory, DepartmentFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


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
    assert small <= 12
