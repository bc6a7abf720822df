"""No duplicates by accident: creating a customer warns of likely duplicates (same name or same
pinyin at the institution, the department's first) and creates only when the rep confirms; the
department must be of the institution; no raw "---------"."""

import pytest
from django.urls import reverse

from customers import selectors
from customers.models import Alignment, Customer
from tests.factories import CustomerFactory, DepartmentFactory, InstitutionFactory

from .test_forms import form_data

pytestmark = pytest.mark.django_db

CREATE = reverse("customers:create")


@pytest.fixture
def twins(world):
    """张伟 at hx in 骨科, 张伟 at hx in 肿瘤科 (dx), 章伟 (same pinyin) at hx, 张伟 at hy."""
    other_department = DepartmentFactory(institution=world.hx, name="骨科")
    elsewhere = CustomerFactory(name="张伟", institution=world.hx, department=other_department,
                                territory=world.tx)  # fmt: skip
    same = CustomerFactory(name="张伟", institution=world.hx, department=world.dx,
                           territory=world.tx, title="主治医师")  # fmt: skip
    sound = CustomerFactory(name="章伟", institution=world.hx, department=None, territory=world.tx)
    other_hospital = CustomerFactory(name="张伟", institution=world.hy, territory=world.ty)
    return same, elsewhere, sound, other_hospital


def test_the_rule_same_name_or_pinyin_at_the_institution_department_first(world, twins):
    same, elsewhere, sound, _other = twins

    found = selectors.likely_duplicates(
        world.rep_x, name=" 张伟 ", institution=world.hx, department=world.dx
    )

    assert found[0] == same
    assert set(found) == {same, elsewhere, sound}


def test_the_rule_sees_only_the_users_customers(world, twins):
    assert selectors.likely_duplicates(world.rep_y, name="张伟", institution=world.hx) == []


def test_a_likely_duplicate_is_shown_and_nothing_is_created(world, twins, login):
    same = twins[0]
    client = login(world.rep_x)
    before = Customer.objects.count(), Alignment.objects.count()

    response = client.post(CREATE, form_data(world))

    assert response.status_code == 200
    page = response.content.decode()
    assert "This customer may exist already" in page
    assert "Open this one" in page
    assert f'href="{reverse("customers:detail", args=[same.pk])}"' in page
    assert page.index(str(same.pk)) < page.index(str(twins[1].pk))  # same department first
    assert 'name="confirm"' in page and "Create anyway" in page
    assert (Customer.objects.count(), Alignment.objects.count()) == before


def test_the_warning_in_chinese(world, twins, login):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    client = login(world.rep_x)

    page = client.post(CREATE, form_data(world)).content.decode()

    assert "该客户可能已存在" in page
    assert "打开此客户" in page
    assert "仍然新建" in page


def test_create_anyway_creates(world, twins, login):
    client = login(world.rep_x)

    response = client.post(CREATE, {**form_data(world), "confirm": "1"})

    assert response.status_code == 302
    assert Customer.objects.filter(name="张伟", institution=world.hx).count() == 3


def test_no_warning_without_a_likely_duplicate(world, twins, login):
    client = login(world.rep_x)

    response = client.post(CREATE, form_data(world, name="孙悟空"))

    assert response.status_code == 302
    assert Customer.objects.filter(name="孙悟空").exists()


def test_a_department_of_another_institution_is_refused(world, login):
    client = login(world.rep_x)
    other = InstitutionFactory()
    CustomerFactory(institution=other, territory=world.tx)
    foreign = DepartmentFactory(institution=other)

    response = client.post(
        CREATE, {**form_data(world, name="孙悟空", department=foreign.pk), "confirm": "1"}
    )

    assert response.status_code == 200
    assert "another institution" in response.context["form"].errors["department"][0]
    assert not Customer.objects.filter(name="孙悟空").exists()


def test_the_form_has_no_raw_empty_labels_and_tags_departments(world, login):
    page = login(world.rep_x).get(CREATE).content.decode()

    assert "---------" not in page
    assert "— choose —" in page
    assert f'data-institution="{world.hx.pk}"' in page
    assert "js/customer_form.js" in page


def test_the_form_in_chinese_has_no_raw_empty_labels(world, login):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    page = login(world.rep_x).get(CREATE).content.decode()

    assert "---------" not in page
    assert "— 请选择 —" in page


def test_a_malformed_institution_in_the_query_string_is_ignored(world, login):
    response = login(world.rep_x).get(CREATE, {"institution": "abc", "department": "x"})
    assert response.status_code == 200
