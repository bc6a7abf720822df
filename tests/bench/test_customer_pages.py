"""Benchmark: customer list, search and detail pages at 1× and 10× data (`make bench`).

Prints the time per request at both sizes and their ratio, measured in one run; a ratio near 1
means the page does not slow down with the territory's size (paging, indexes, no N+1).
"""

import time

import pytest
from django.urls import reverse

from customers.models import Alignment, Customer, Department, Institution
from org.models import Role
from tests.factories import DistrictFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def grow(territory, n):
    institutions = Institution.objects.bulk_create(
        Institution(name=f"医院{i}", name_en=f"Hospital {i}") for i in range(max(1, n // 50))
    )
    departments = Department.objects.bulk_create(
        Department(institution=h, name=f"科室{j}") for h in institutions for j in range(5)
    )
    customers = Customer.objects.bulk_create(
        Customer(name=f"医生{i}", name_en=f"Doctor {i}", institution=d.institution, department=d)
        for i in range(n)
        for d in [departments[i % len(departments)]]
    )
    Alignment.objects.bulk_create(
        Alignment(customer=c, territory=territory, valid_from="2026-01-01") for c in customers
    )


def per_request(client, url, repeat=20):
    client.get(url)
    start = time.perf_counter()
    for _ in range(repeat):
        assert client.get(url).status_code == 200
    return (time.perf_counter() - start) / repeat


def test_customer_pages_scale(client):
    rep = UserFactory(username="bench_rep", role=Role.REP)
    territory = TerritoryFactory(district=DistrictFactory(), holder=rep)
    client.force_login(rep)
    urls = {
        "list": reverse("customers:list"),
        "search": reverse("customers:list") + "?q=Doctor+1",
        "institutions": reverse("customers:institution_list"),
    }
    grow(territory, 600)
    small = {name: per_request(client, url) for name, url in urls.items()}
    grow(territory, 5400)
    large = {name: per_request(client, url) for name, url in urls.items()}

    print("\npage            600 customers   6000 customers   ratio")
    for name in urls:
        print(
            f"{name:<15} {small[name] * 1000:10.1f} ms {large[name] * 1000:12.1f} ms "
            f"{large[name] / small[name]:8.2f}"
        )
