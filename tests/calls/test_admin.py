"""The admin: call settings (grace, backdating, sample limit) and the catalogues are editable;
every calls model has a searchable changelist."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from calls.models import CallSettings
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db


def superuser(cw):
    cw.admin.is_superuser = cw.admin.is_staff = True
    cw.admin.save()
    return cw.admin


def test_every_calls_model_has_a_searchable_changelist(cw, client):
    make_call(cw.tx, [cw.cx], products=[(cw.px, [cw.km1], "ok")], materials=[(cw.leaflet, 1)])
    CallSettings.load()
    client.force_login(superuser(cw))

    for model in apps.get_app_config("calls").get_models():
        if model.__name__.startswith("Historical") or model not in admin.site._registry:
            continue
        assert admin.site._registry[model].search_fields, model
        url = reverse(f"admin:calls_{model._meta.model_name}_changelist")
        assert client.get(url, {"q": "王"}).status_code == 200, model


def test_an_admin_edits_the_grace_and_backdating_periods(cw, client):
    settings_ = CallSettings.load()
    client.force_login(superuser(cw))

    response = client.post(
        reverse("admin:calls_callsettings_change", args=[settings_.pk]),
        {"grace_days": 3, "backdating_days": 14, "sample_limit_per_quarter": 5},
    )

    assert response.status_code == 302
    settings_.refresh_from_db()
    assert (settings_.grace_days, settings_.backdating_days) == (3, 14)
    assert settings_.sample_limit_per_quarter == 5
