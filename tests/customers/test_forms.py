"""Creating and editing customers in the browser: scope, defaults and bad input."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Alignment, Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def form_data(world, **overrides):
    data = {
        "name": "张伟",
        "name_en": "Zhang Wei",
        "kind": "prescriber",
        "role_group": "",
        "institution": world.hx.pk,
        "department": world.dx.pk,
        "title": "主治医师",
        "territory": world.tx.pk,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_a_rep_creates_a_customer_aligned_to_their_territory_from_today(world, login):
    client = login(world.rep_x)

    response = client.post(reverse("customers:create"), form_data(world))

    customer = Customer.objects.get(name="张伟")
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[customer.pk])
    alignment = Alignment.objects.get(customer=customer)
    assert alignment.territory == world.tx
    assert alignment.valid_from == timezone.localdate()
    assert customer.version == 1


def test_the_form_preselects_the_reps_only_territory(world, login):
    client = login(world.rep_x)

    form = client.get(reverse("customers:create")).context["form"]

    assert form.fields["territory"].initial == world.tx
    assert list(form.fields["territory"].queryset) == [world.tx]


def test_editing_a_customer_bumps_its_version_and_keeps_history(world, login):
    client = login(world.rep_x)

    response = client.post(
        reverse("customers:edit", args=[world.cx.pk]),
        form_data(world, name="王建国", title="副主任医师", territory=None),
    )

    assert response.status_code == 302
    world.cx.refresh_from_db()
    assert world.cx.title == "副主任医师"
    assert world.cx.version == 2
    assert world.cx.history.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        (
            {"kind": "non_prescriber", "role_group": ""},
            "role_group",
            "A non-prescriber needs a role group (N1, N2 or N3).",
        ),
        ({"role_group": "N1"}, "role_group", "Only non-prescribers have a role group."),
        ({"kind": "doctor"}, "kind", "Select a valid choice."),
        (
            {"patients_per_day": "-3"},
            "patients_per_day",
            "Ensure this value is greater than or equal to 0.",
        ),
        ({"patients_per_day": "many"}, "patients_per_day", "Enter a whole number."),
        ("other-territory", "territory", "Select a valid choice."),
        ("other-institution", "institution", "Select a valid choice."),
        ("foreign-department", "department", "This department belongs to another institution."),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_saved(
    world, login, overrides, field, message
):
    if overrides == "other-territory":
        overrides = {"territory": world.ty.pk}
    elif overrides == "other-institution":
        overrides = {"institution": world.hy.pk, "department": ""}
    elif overrides == "foreign-department":
        # Both institutions are in the rep's territory, but the department is not of hx.
        elsewhere = CustomerFactory(territory=world.tx)
        overrides = {"institution": world.hx.pk, "department": elsewhere.department_id}
    client = login(world.rep_x)
    before = Customer.objects.count(), Alignment.objects.count()

    response = client.post(reverse("customers:create"), form_data(world, **overrides))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert (Customer.objects.count(), Alignment.objects.count()) == before


def test_errors_are_translated_for_a_chinese_user(world, login):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    client = login(world.rep_x)

    response = client.post(
        reverse("customers:create"), form_data(world, kind="non_prescriber", role_group="")
    )

    assert "非处方客户需要一个角色组" in response.content.decode()
