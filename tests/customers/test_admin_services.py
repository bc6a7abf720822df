"""The customers admin saves through customers.services, as the pages and the API do: a new
customer is aligned to its territory, a change of kind classes the customer again, alignments
keep the service's rules."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Alignment, Customer

pytestmark = pytest.mark.django_db
D = datetime.date


def customer_form(customer=None, **changes):
    """The admin form as the browser posts it (the alignments inline shows no rows)."""
    data = {
        "name": "",
        "kind": "prescriber",
        "institution": "",
        "role_group": "",
        "alignments-TOTAL_FORMS": 0,
        "alignments-INITIAL_FORMS": 0,
        "alignments-MIN_NUM_FORMS": 0,
        "alignments-MAX_NUM_FORMS": 1000,
    }
    if customer is not None:
        data |= {
            "name": customer.name,
            "kind": customer.kind,
            "institution": customer.institution_id,
            "department": customer.department_id or "",
        }
    return data | changes


def test_a_customer_added_in_the_admin_is_aligned_to_its_territory(world, world_admin_client):
    url = reverse("admin:customers_customer_add")
    body = customer_form(name="张伟", institution=world.hx.pk)

    added = world_admin_client.post(url, body | {"territory": world.tx.pk})

    assert added.status_code == 302, added.content.decode()[:2000]
    customer = Customer.objects.get(name="张伟")
    assert list(customer.alignments.values_list("territory", "valid_from")) == [
        (world.tx.pk, timezone.localdate())
    ]


def test_a_customer_added_in_the_admin_without_a_territory_is_aligned_nowhere(
    world, world_admin_client
):
    """Master data: an admin aligns it later, from any date (the alignments' page)."""
    url = reverse("admin:customers_customer_add")

    added = world_admin_client.post(url, customer_form(name="张伟", institution=world.hx.pk))

    assert added.status_code == 302, added.content.decode()[:2000]
    assert not Customer.objects.get(name="张伟").alignments.exists()


def test_a_customer_changed_in_the_admin_goes_through_the_service(world, world_admin_client):
    version = world.cx.version

    response = world_admin_client.post(
        reverse("admin:customers_customer_change", args=[world.cx.pk]),
        customer_form(world.cx, name="王建华"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    world.cx.refresh_from_db()
    assert (world.cx.name, world.cx.version) == ("王建华", version + 1)


def test_an_ended_alignment_is_not_reopened_in_the_admin(world, world_admin_client):
    ended = Alignment.objects.create(
        customer=world.cx, territory=world.ty, valid_from=D(2026, 1, 1), valid_to=D(2026, 3, 31)
    )
    url = reverse("admin:customers_alignment_change", args=[ended.pk])
    body = {"customer": world.cx.pk, "territory": world.ty.pk, "valid_from": "2026-01-01"}

    reopened = world_admin_client.post(url, body | {"valid_to": ""})
    shortened = world_admin_client.post(url, body | {"valid_to": "2026-02-28"})

    assert reopened.status_code == 200
    assert shortened.status_code == 302
    ended.refresh_from_db()
    assert ended.valid_to == D(2026, 2, 28)


def test_customers_and_alignments_are_not_deleted_in_the_admin(world, world_admin_client):
    """No service deletes either: a delete would skip the refresh event, the sync and history."""
    alignment = Alignment.objects.filter(customer__isnull=False).first()
    customer = alignment.customer
    for url in (
        reverse("admin:customers_alignment_delete", args=[alignment.pk]),
        reverse("admin:customers_customer_delete", args=[customer.pk]),
    ):
        assert world_admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Alignment.objects.filter(pk=alignment.pk).exists()
    assert Customer.objects.filter(pk=customer.pk).exists()
