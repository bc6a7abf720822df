"""China's rules for reps and consent on calls (calls.services.guardrails), each with its admin
setting on and off, through the API and the call form: registration (备案), the institution's
visiting days, the customer's consent per channel — and nothing written when refused."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from calls.models import PERMITTED_FORMS, Call, CallStatus, Channel, PromotionForm
from customers.models import RepVisits
from org.models import ComplianceSettings, InstitutionRule, RegistrationStatus
from org.services import compliance_settings_save
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db

URL = "/api/v1/calls/"
TODAY = timezone.localdate


def payload(cw, **overrides):
    data = {
        "customers": [str(cw.cx.pk)],
        "date": TODAY().isoformat(),
        "start_time": "09:30",
        "channel": "face_to_face",
        "status": "completed",
        "objective": "Introduce the PFS data",
    }
    data.update(overrides)
    return data


def form_data(cw, **overrides):
    data = {
        "customers": [str(cw.cx.pk)],
        "date": TODAY().isoformat(),
        "start_time": "10:15",
        "channel": "face_to_face",
        "objective": "",
        "co_visitor": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def rules(cw, **fields):
    compliance_settings_save(by=cw.admin, **fields)


def unregister(rep, **fields):
    for name, value in fields.items():
        setattr(rep, name, value)
    rep.save()


def a_day_not(weekday):
    """A recent day (within the backdating limit) whose ISO weekday is not `weekday`."""
    day = TODAY()
    while day.isoweekday() == weekday:
        day -= datetime.timedelta(days=1)
    return day


# Registration (备案)


def test_the_defaults_are_a_chinese_companys():
    rules_ = ComplianceSettings.load()
    assert rules_.require_registration is True
    assert rules_.show_measures_to_reps is False  # LANGUAGE_CODE zh-hans
    assert rules_.institution_rule == InstitutionRule.REFUSE
    assert rules_.enforce_consent is False


@pytest.mark.parametrize(
    ("registration", "message"),
    [
        (
            {"registration_status": RegistrationStatus.NOT_REGISTERED},
            "is not registered as a medical representative (备案: Not registered)",
        ),
        (
            {"registration_valid_to": datetime.date(2024, 12, 31)},
            "expired on 2024-12-31",
        ),
        (
            {"registration_status": RegistrationStatus.REVOKED},
            "备案: Registration revoked",
        ),
    ],
    ids=["unregistered", "expired", "revoked"],
)
def test_an_unregistered_or_expired_rep_cannot_record_a_completed_call(
    cw, api, registration, message
):
    unregister(cw.rep_x, **registration)

    response = api(cw.rep_x).post(URL, payload(cw), format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]["non_field_errors"]
    assert message in errors[0] and "you can still plan calls" in errors[0]
    assert not Call.objects.exists()


def test_an_unregistered_rep_still_plans_calls_but_cannot_log_them(cw, api):
    unregister(cw.rep_x, registration_status=RegistrationStatus.PENDING)
    client = api(cw.rep_x)

    planned = client.post(URL, payload(cw, status="planned"), format="json")
    assert planned.status_code == 201, planned.json()
    logged = client.patch(f"{URL}{planned.json()['id']}/", {"status": "completed"}, format="json")

    assert logged.status_code == 400
    assert "备案: Registration pending" in logged.json()["errors"]["non_field_errors"][0]
    assert Call.objects.get().status == CallStatus.PLANNED


def test_with_the_rule_off_an_unregistered_rep_records_completed_calls(cw, api):
    unregister(cw.rep_x, registration_status=RegistrationStatus.NOT_REGISTERED)
    rules(cw, require_registration=False)

    response = api(cw.rep_x).post(URL, payload(cw), format="json")

    assert response.status_code == 201, response.json()


def test_the_call_form_says_why_an_expired_rep_cannot_log_and_writes_nothing(cw, login):
    unregister(cw.rep_x, registration_valid_to=TODAY() - datetime.timedelta(days=1))
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}"

    response = client.post(url, form_data(cw))

    html = response.content.decode()
    assert response.status_code == 200  # the form again, with its error
    assert "Your rep registration (备案)" in html and "Ask your administrator to renew it" in html
    assert not Call.objects.exists()


def test_the_call_form_explains_in_chinese(cw, login):
    unregister(cw.rep_x, registration_status=RegistrationStatus.NOT_REGISTERED)
    cw.rep_x.language = "zh-hans"
    cw.rep_x.save()
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}"

    with translation.override("zh-hans"):
        html = client.post(url, form_data(cw), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "未备案" in html and "不能记录已完成的拜访" in html
    assert not Call.objects.exists()


# The institution's visiting days


def test_a_visit_to_an_institution_that_admits_no_reps_is_refused_but_a_phone_call_is_not(cw, api):
    cw.hx.rep_visits = RepVisits.REFUSED
    cw.hx.save()
    client = api(cw.rep_x)

    visit = client.post(URL, payload(cw), format="json")
    phone = client.post(URL, payload(cw, channel="phone"), format="json")

    assert visit.status_code == 400
    assert visit.json()["errors"]["date"] == ["Renji Hospital does not admit rep visits."]
    assert phone.status_code == 201
    assert Call.objects.get().channel == Channel.PHONE


def test_on_set_days_a_visit_on_another_weekday_is_refused_and_one_on_the_day_allowed(cw, api):
    other = a_day_not(TODAY().isoweekday())
    cw.hx.rep_visits = RepVisits.SET_DAYS
    cw.hx.rep_visit_days = str(TODAY().isoweekday())
    cw.hx.save()
    client = api(cw.rep_x)

    refused = client.post(URL, payload(cw, date=other.isoformat()), format="json")
    allowed = client.post(URL, payload(cw), format="json")

    assert refused.status_code == 400
    assert "Renji Hospital admits reps only on" in refused.json()["errors"]["date"][0]
    assert allowed.status_code == 201
    assert allowed.json()["outside_visiting_days"] is False
    assert Call.objects.count() == 1


def test_the_call_form_refuses_a_visit_on_a_day_the_institution_is_closed_to_reps(cw, login):
    cw.hx.rep_visits = RepVisits.SET_DAYS
    cw.hx.rep_visit_days = str(a_day_not(TODAY().isoweekday()).isoweekday())
    cw.hx.save()
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}"

    response = client.post(url, form_data(cw))

    assert "Renji Hospital admits reps only on" in response.content.decode()
    assert not Call.objects.exists()
    assert client.post(url, form_data(cw, channel="phone")).status_code == 302


def test_with_the_flag_rule_the_call_is_recorded_and_flagged_on_its_page(cw, api, login):
    cw.hx.rep_visits = RepVisits.REFUSED
    cw.hx.save()
    rules(cw, institution_rule=InstitutionRule.FLAG)

    response = api(cw.rep_x).post(URL, payload(cw), format="json")

    assert response.status_code == 201
    assert response.json()["outside_visiting_days"] is True
    page = login(cw.dm_x).get(reverse("calls:detail", args=[response.json()["id"]]))
    assert "Flagged: recorded on a day the institution does not admit rep visits." in (
        page.content.decode()
    )


# The customer's consent per channel


def test_with_consent_enforced_a_call_without_consent_is_refused(cw, api):
    rules(cw, enforce_consent=True)
    client = api(cw.rep_x)

    nothing = client.post(URL, payload(cw), format="json")
    cw.cx.consent_visits, cw.cx.consent_phone = True, True
    cw.cx.consent_date, cw.cx.consent_source = TODAY(), "written"
    cw.cx.save()
    face = client.post(URL, payload(cw, status="planned"), format="json")
    phone = client.post(URL, payload(cw, channel="phone"), format="json")

    assert nothing.status_code == 400
    assert nothing.json()["errors"]["channel"] == ["王建国 has not agreed to rep visits."]
    assert face.status_code == 400  # planned calls too
    assert face.json()["errors"]["channel"] == ["王建国 has not agreed to calls by face to face."]
    assert phone.status_code == 201
    assert list(Call.objects.values_list("channel", flat=True)) == ["phone"]


def test_without_enforcement_consent_is_not_checked(cw, api):
    cw.cx.consent_visits = False
    cw.cx.consent_date, cw.cx.consent_source = TODAY(), "verbal"
    cw.cx.save()

    response = api(cw.rep_x).post(URL, payload(cw), format="json")

    assert response.status_code == 201


def test_the_form_refuses_a_call_without_consent_and_writes_nothing(cw, login):
    rules(cw, enforce_consent=True)
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}"

    response = client.post(url, form_data(cw, channel="video"))

    assert "王建国 has not agreed to rep visits." in response.content.decode()
    assert not Call.objects.exists()


def test_another_territorys_call_is_still_a_404_whatever_the_rules(cw, api):
    rules(cw, enforce_consent=True, require_registration=False)
    call = make_call(cw.ty, [cw.cy], status=CallStatus.PLANNED)

    response = api(cw.rep_x).patch(f"{URL}{call.pk}/", {"status": "completed"}, format="json")

    assert response.status_code == 404


# Promotion forms


def test_every_channel_is_a_permitted_form_and_the_api_values_are_unchanged():
    assert Channel.values == ["face_to_face", "phone", "video", "meeting"]  # API.md
    assert set(PERMITTED_FORMS) == set(Channel)
    assert set(PERMITTED_FORMS.values()) | {PromotionForm.ACADEMIC_MATERIALS} == set(PromotionForm)
