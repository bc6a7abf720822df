"""The scope matrix: a rep sees only their territory, a DM their district, a regional manager
their region, an admin everything; out of scope answers 404 on every page."""

import pytest
from django.urls import reverse

from customers.models import Customer, Department, Institution
from tests.conftest import VISIBLE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", VISIBLE)
def test_customer_list_and_search_show_only_what_is_in_scope(world, login, persona):
    client = login(getattr(world, persona))

    listed = client.get(reverse("customers:list")).content.decode()
    searched_x = client.get(reverse("customers:list"), {"q": "Wang"}).content.decode()
    searched_y = client.get(reverse("customers:list"), {"q": "李明"}).content.decode()

    link_x = reverse("customers:detail", args=[world.cx.pk])
    link_y = reverse("customers:detail", args=[world.cy.pk])
    assert (link_x in listed) == ("cx" in VISIBLE[persona])
    assert (link_y in listed) == ("cy" in VISIBLE[persona])
    assert (link_x in searched_x) == ("cx" in VISIBLE[persona])
    assert (link_y in searched_y) == ("cy" in VISIBLE[persona])


@pytest.mark.parametrize("persona", VISIBLE)
@pytest.mark.parametrize("target", ["cx", "cy"])
def test_customer_pages_answer_404_out_of_scope(world, login, persona, target):
    client = login(getattr(world, persona))
    customer = getattr(world, target)
    expected = 200 if target in VISIBLE[persona] else 404

    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == expected
    institution = reverse("customers:institution_detail", args=[customer.institution_id])
    assert client.get(institution).status_code == expected
    department = reverse("customers:department_detail", args=[customer.department_id])
    assert client.get(department).status_code == expected


def test_a_rep_cannot_edit_another_territorys_customer(world, login):
    client = login(world.rep_x)

    response = client.post(
        reverse("customers:edit", args=[world.cy.pk]),
        {"name": "Hacked", "kind": "prescriber", "institution": world.hy.pk},
    )

    assert response.status_code == 404
    world.cy.refresh_from_db()
    assert world.cy.name == "李明"


def test_a_regional_manager_reads_but_does_not_edit(world, login):
    client = login(world.regional)

    assert client.get(reverse("customers:edit", args=[world.cx.pk])).status_code == 403
    assert client.get(reverse("customers:create")).status_code == 403


def test_a_rep_cannot_filter_by_another_territorys_institution(world, login):
    client = login(world.rep_x)

    response = client.get(reverse("customers:list"), {"institution": world.hy.pk})

    assert response.status_code == 200
    assert reverse("customers:detail", args=[world.cy.pk]) not in response.content.decode()
    assert response.context["filter"].errors  # not a valid choice for this rep


def test_institution_list_is_scoped(world, login):
    client = login(world.rep_x)

    page = client.get(reverse("customers:institution_list")).content.decode()

    assert "Renji Hospital" in page  # the English session's names
    assert "Huashan Hospital" not in page


def test_for_user_querysets_match_the_matrix(world):
    for persona, visible in VISIBLE.items():
        user = getattr(world, persona)
        customers = set(Customer.objects.for_user(user).values_list("name_en", flat=True))
        institutions = set(Institution.objects.for_user(user).values_list("name_en", flat=True))
        departments = set(Department.objects.for_user(user).values_list("name_en", flat=True))
        expected = {world.cx.name_en if c == "cx" else world.cy.name_en for c in visible}
        assert customers == expected, persona
        assert len(institutions) == len(visible) == len(departments), persona


def test_an_ended_alignment_takes_the_customer_out_of_scope(world, login):
    alignment = world.cx.alignments.get()
    alignment.valid_to = alignment.valid_from
    alignment.save()

    client = login(world.rep_x)

    assert client.get(reverse("customers:detail", args=[world.cx.pk])).status_code == 404


def test_a_deactivated_user_sees_nothing(world):
    world.rep_x.is_active = False
    world.rep_x.save()

    assert not Customer.objects.for_user(world.rep_x).exists()


def test_anonymous_users_are_sent_to_login(client, world):
    response = client.get(reverse("customers:detail", args=[world.cx.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_customer_detail_lists_only_alignments_in_scope(world, login):
    from customers.models import Alignment

    Alignment.objects.create(
        customer=world.cx, territory=world.ty, valid_from=world.cx.alignments.get().valid_from
    )
    client = login(world.rep_x)

    page = client.get(reverse("customers:detail", args=[world.cx.pk])).content.decode()

    assert world.tx.name in page
    assert world.ty.name not in page


def test_a_dm_filters_the_list_by_one_of_their_territories(world, login):
    from tests.factories import CustomerFactory, TerritoryFactory

    other = TerritoryFactory(district=world.district_x, holder=world.rep_x2)
    cz = CustomerFactory(name="赵敏", territory=other)
    client = login(world.dm_x)

    page = client.get(reverse("customers:list"), {"territory": other.pk}).content.decode()
    refused = client.get(reverse("customers:list"), {"territory": world.ty.pk})

    assert reverse("customers:detail", args=[cz.pk]) in page
    assert reverse("customers:detail", args=[world.cx.pk]) not in page
    assert "territory" in refused.context["filter"].errors


def test_out_of_scope_pages_say_so_and_lead_back(world, login, settings):
    settings.DEBUG = False
    client = login(world.rep_x)

    response = client.get(reverse("customers:detail", args=[world.cy.pk]))

    assert response.status_code == 404
    assert "outside your territory" in response.content.decode()
    assert "李明" not in response.content.decode()
