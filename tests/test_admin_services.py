"""Where a model's writes have a service, the admin's save and delete call it (the same
service as the pages, the API and the jobs), so a rule is kept whichever way the write comes."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from notifications.models import EmailOptOut, Rule, RuleSetting
from reports.models import Requirement

pytestmark = pytest.mark.django_db


def test_an_opt_out_is_added_and_removed_in_the_admin_through_the_service(
    world, world_admin_client
):
    EmailOptOut.objects.create(user=world.rep_x, rule=Rule.NO_PIM)

    added = world_admin_client.post(
        reverse("admin:notifications_emailoptout_add"),
        {"user": world.rep_x.pk, "rule": Rule.MONTH_END},
    )
    opt_out = EmailOptOut.objects.get(user=world.rep_x, rule=Rule.NO_PIM)
    page = world_admin_client.get(
        reverse("admin:notifications_emailoptout_change", args=[opt_out.pk])
    )
    removed = world_admin_client.post(
        reverse("admin:notifications_emailoptout_delete", args=[opt_out.pk]), {"post": "yes"}
    )

    assert added.status_code == 302
    assert b'name="_save"' not in page.content  # a row is replaced, not changed
    assert removed.status_code == 302
    assert set(EmailOptOut.objects.values_list("user", "rule")) == {
        (world.rep_x.pk, Rule.MONTH_END)
    }


def test_a_rule_setting_is_changed_in_the_admin_through_the_service(world, world_admin_client):
    setting = RuleSetting.objects.create(rule=Rule.PLAN_DUE, days=10, send_email=True)

    response = world_admin_client.post(
        reverse("admin:notifications_rulesetting_change", args=[setting.pk]),
        {"rule": Rule.PLAN_DUE, "is_active": "on", "days": "7", "weekday": "", "time": ""},
    )

    assert response.status_code == 302
    setting.refresh_from_db()
    assert (setting.days, setting.send_email) == (7, False)


def test_a_requirement_is_saved_in_the_admin_by_admins_only(world, world_admin_client):

    body = {
        "team": world.tx.team_id,
        "klass": "A",
        "monthly_coverage": "0.9",
        "calls_per_month": "3",
        "quarterly_coverage": "1",
    }

    world.dm_x.is_staff = True
    world.dm_x.save()
    world.dm_x.user_permissions.add(*Permission.objects.filter(codename="add_requirement"))
    staff_dm = Client()
    staff_dm.force_login(world.dm_x)

    assert staff_dm.get(reverse("admin:reports_requirement_add")).status_code == 200
    refused = staff_dm.post(reverse("admin:reports_requirement_add"), body)
    assert refused.status_code == 403  # the service's rule: admins only
    assert not Requirement.objects.filter(team=world.tx.team).exists()

    added = world_admin_client.post(reverse("admin:reports_requirement_add"), body)

    assert added.status_code == 302, added.content.decode()[:2000]
    assert Requirement.objects.get(team=world.tx.team, klass="A").calls_per_month == 3
