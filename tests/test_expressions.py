"""core.expressions.one_of: the rows `field__in` finds, on both databases (an array read first
on PostgreSQL), also when the set is empty and as one branch of an OR."""

import pytest
from django.db.models import Q

from core.expressions import one_of
from customers.models import Alignment, Customer
from org.models import Territory

pytestmark = pytest.mark.django_db


def test_the_same_rows_as_in(world):
    territories = Territory.objects.filter(code="TX")
    assert list(Alignment.objects.filter(one_of("territory", territories))) == list(
        Alignment.objects.filter(territory__in=territories)
    )
    assert {a.customer for a in Alignment.objects.filter(one_of("territory", territories))} == {
        world.cx
    }


def test_an_empty_set_finds_nothing_and_an_or_keeps_its_other_branch(world):
    nothing = Territory.objects.filter(code="nowhere")
    assert not Alignment.objects.filter(one_of("territory", nothing)).exists()
    either = Alignment.objects.filter(one_of("territory", nothing) | Q(customer=world.cy))
    assert [a.customer for a in either] == [world.cy]


def test_a_column_of_another_model(world):
    aligned_in_ty = Alignment.objects.filter(territory=world.ty)
    customers = Customer.objects.filter(one_of("institution", Customer.objects.none()))
    assert not customers.exists()
    found = Customer.objects.filter(
        one_of("department", aligned_in_ty, column="customer__department")
    )
    assert list(found) == [world.cy]
