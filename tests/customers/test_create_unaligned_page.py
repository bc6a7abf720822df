"""The customer form: an admin may leave the territory empty (the customer is created without
an alignment, aligned later from any date); a rep's or DM's new customer is always aligned."""

import pytest
from django.urls import reverse

from customers.models import Alignment, Customer
from tests.customers.test_forms import form_data
from tests.factories import TerritoryFactory

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_customer_without_a_territory(world, login):
    client = login(world.admin)
    form = client.get(reverse("customers:create")).context["form"]
    assert form.fields["territory"].required is False

    response = client.post(reverse("customers:create"), form_data(world, territory=""))

    customer = Customer.objects.get(name="张伟")
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[customer.pk])
    assert not Alignment.objects.filter(customer=customer).exists()
    assert login(world.admin).get(response.url).status_code == 200


def test_a_dm_must_choose_one_of_several_territories_and_nothing_is_written(world, login):
    TerritoryFactory(district=world.district_x, code="TX2")
    before = Customer.objects.count(), Alignment.objects.count()

    response = login(world.dm_x).post(reverse("customers:create"), form_data(world, territory=""))

    assert response.status_code == 200
    assert "This field is required." in response.context["form"].errors["territory"][0]
    assert (Customer.objects.count(), Alignment.objects.count()) == before
