"""Every date, time and datetime input of the product renders a value its HTML type accepts, in
zh-Hans (the default language) and in English.

A browser's `<input type="date">` shows an empty field for any value that is not ISO
(`2026-11-30`); Django's zh-Hans input format (`2026/11/30`) used to empty every call form's date.
Two checks: every form class of the project (forms, model forms, filter sets) declares its date and
time fields with a picker type and renders them in ISO; and the pages with such inputs, rendered
in both languages, carry accepted values (the call forms open with their date filled in)."""

import datetime as dt
import importlib
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from calls.models import CallSettings, CallStatus
from org.models import Role
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.factories import ProductFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "org", "customers", "calls", "reports", "plans", "planning", "notifications"]
LANGUAGES = ["zh-hans", "en"]

# What each HTML type accepts (https://html.spec.whatwg.org/#valid-date-string and friends).
ACCEPTED = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "time": re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "week": re.compile(r"^\d{4}-W\d{2}$"),
}
PICKER_TYPE = {
    forms.DateTimeField: "datetime-local",
    forms.DateField: "date",
    forms.TimeField: "time",
}
SAMPLE = {
    "date": dt.date(2026, 11, 30),
    "time": dt.time(9, 5),
    "datetime-local": dt.datetime(2026, 11, 30, 9, 5),
}


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ACCEPTED:
            self.inputs.append(attrs)


def date_inputs(html):
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs


def _project_modules():
    for app in APPS:
        package_dir = ROOT / app
        if not package_dir.is_dir():
            continue
        for info in pkgutil.walk_packages([str(package_dir)], prefix=f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_date_fields():
    """(form class, field name, field, picker type) of every date/time field of every form and
    filter set the project defines."""
    _project_modules()
    found = []
    for form_class in set(_subclasses(forms.BaseForm)):
        if form_class.__module__.split(".")[0] not in APPS:
            continue
        for name, field in form_class.base_fields.items():
            found.extend(_typed(form_class, name, field))
    for filterset in set(_subclasses(django_filters.FilterSet)):
        if filterset.__module__.split(".")[0] not in APPS:
            continue
        for name, filter_ in filterset.base_filters.items():
            found.extend(_typed(filterset, name, filter_.field))
    return found


def _typed(owner, name, field):
    for field_class, input_type in PICKER_TYPE.items():
        if isinstance(field, field_class):
            return [(owner, name, field, input_type)]
    return []


def test_the_project_has_date_and_time_fields_to_check():
    owners = {owner.__name__ for owner, *_ in _project_date_fields()}
    # The call form, the calls filter, the segmentation and override forms, the reminder rules.
    assert {"CallForm", "CallFilter", "ThresholdForm", "OverrideForm", "RuleSettingForm"} <= owners


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_date_and_time_field_renders_a_picker_with_an_accepted_value(language):
    wrong = []
    with translation.override(language):
        for owner, name, field, input_type in _project_date_fields():
            html = str(field.widget.render(name, SAMPLE[input_type]))
            inputs = date_inputs(html)
            if len(inputs) != 1 or inputs[0].get("type") != input_type:
                wrong.append(f"{owner.__name__}.{name}: {html}")
            elif not ACCEPTED[input_type].match(inputs[0].get("value", "")):
                wrong.append(f"{owner.__name__}.{name}: {inputs[0].get('value')!r}")
    assert wrong == []


def _get(client, user, url, language):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _assert_accepted(html, url):
    inputs = date_inputs(html)
    assert inputs, f"{url} has no date or time input"
    for attrs in inputs:
        value = attrs.get("value", "")
        assert value == "" or ACCEPTED[attrs["type"]].match(value), (url, attrs)
    return {attrs["name"]: attrs.get("value", "") for attrs in inputs}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_call_forms_open_with_their_date_and_time_filled_in(client, cw, language):  # noqa: F811
    today = timezone.localdate()
    planned = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, start_time=dt.time(14, 30))
    settings_ = CallSettings.load()
    locked = make_call(cw.tx, [cw.cx], date=today - dt.timedelta(days=settings_.grace_days + 3))

    pages = {
        "new": reverse("calls:new") + f"?customer={cw.cx.pk}",
        "plan": reverse("calls:new") + f"?customer={cw.cx.pk}&plan=1",
        "log": reverse("calls:log", args=[planned.pk]),
        "edit": reverse("calls:edit", args=[planned.pk]),
        "amend": reverse("calls:amend", args=[locked.pk]),
    }
    values = {
        page: _assert_accepted(_get(client, cw.rep_x, url, language), url)
        for page, url in pages.items()
    }

    assert values["new"]["date"] == today.isoformat()
    assert values["new"]["start_time"] != ""
    assert values["plan"]["date"] == today.isoformat()
    assert values["log"]["date"] == today.isoformat()
    assert values["log"]["start_time"] == "14:30"
    assert values["edit"]["date"] == today.isoformat()
    # An amendment opens with the original date: nothing to retype.
    assert values["amend"]["date"] == locked.date.isoformat()


@pytest.mark.parametrize("language", LANGUAGES)
def test_filters_keep_the_dates_they_were_given(client, cw, language):  # noqa: F811
    url = reverse("calls:list") + "?date_from=2026-11-01&date_to=2026-11-30"
    values = _assert_accepted(_get(client, cw.rep_x, url, language), url)
    assert values == {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_forms_with_dates_render_accepted_values(client, db, language):
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    product = ProductFactory()
    pages = [
        reverse("customers:segmentation_product", args=[product.pk]),
        reverse("notifications:rules"),
    ]
    for url in pages:
        values = _assert_accepted(_get(client, admin, url, language), url)
        assert any(values.values()), (url, values)
