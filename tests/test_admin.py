"""The Django admin: every model is registered, searchable, and scoped for non-superusers."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOCAL_APPS = ("org", "customers", "reports")  # calls: child rows are inlines


def test_every_model_of_ours_has_an_admin_with_search():
    for model in apps.get_models():
        if model._meta.app_label in LOCAL_APPS and not model.__name__.startswith("Historical"):
            model_admin = admin.site._registry.get(model)
            assert model_admin is not None, model
            assert model_admin.search_fields, model


@pytest.mark.parametrize(
    "model",
    [
        "customer",
        "institution",
        "department",
        "alignment",
        "territory",
        "region",
        "district",
        "product",
        "team",
        "user",
        "absence",
        "calendarday",
        "territoryassignment",
    ],
)
def test_a_superuser_can_open_every_changelist_and_search_it(client, world, model):
    world.admin.is_superuser = world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    app = (
        "org"
        if model not in ("customer", "institution", "department", "alignment")
        else "customers"
    )

    response = client.get(reverse(f"admin:{app}_{model}_changelist"), {"q": "王"})

    assert response.status_code == 200


def test_a_staff_dm_sees_only_their_district_in_the_admin(client, world):
    world.dm_x.is_staff = True
    world.dm_x.save()
    world.dm_x.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_customer", "view_alignment"])
    )
    client.force_login(world.dm_x)

    page = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    detail = client.get(reverse("admin:customers_customer_change", args=[world.cy.pk]))

    assert "王建国" in page
    assert "李明" not in page
    assert detail.status_code == 302  # Django admin: "doesn't exist. Perhaps it was deleted?"


@pytest.mark.parametrize("model", ["call", "amendment", "coachingcomment"])
def test_calls_are_read_in_the_admin_and_changed_only_through_the_product(client, world, model):
    """A call's rules (lock after the grace period, scope, sample limits, the sync's version and
    change log) live in calls.services: the admin shows calls, amendments and coaching, and
    offers neither add nor change nor delete."""
    from calls.models import Call

    call = Call.objects.create(
        territory=world.tx,
        rep=world.rep_x,
        institution=world.cx.institution,
        date=datetime.date(2026, 11, 2),
    )
    world.admin.is_superuser = world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)

    assert client.get(reverse(f"admin:calls_{model}_add")).status_code == 403
    if model == "call":
        page = client.get(reverse("admin:calls_call_change", args=[call.pk]))
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert client.post(reverse("admin:calls_call_delete", args=[call.pk])).status_code == 403
        assert Call.objects.filter(pk=call.pk).exists()
