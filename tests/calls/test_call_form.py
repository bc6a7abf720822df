"""The short call form: a planned call logged in three taps (the form opens filled in and an
untouched submit stores it), materials of the team only with the sample allowance left, the
next appointment that plans the next call, the attendee picker, bad input, scope and queries."""

import datetime
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from calls import services
from calls.models import Call, CallSettings, CallStatus, MaterialKind
from core.concurrency import Conflict
from tests.calls.factories import KeyMessageFactory, MaterialFactory, make_call
from tests.concurrency import at_once, postgres_only
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    InstitutionFactory,
    ProductFactory,
    classify,
)
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


class _FormValues(HTMLParser):
    """What a browser posts for the first POST form of a page when nobody touches it."""

    def __init__(self):
        super().__init__()
        self.data, self._in_form, self._textarea, self._select = {}, False, None, None
        self._select_first = {}

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post":
            self._in_form = True
        if not self._in_form or ("name" not in a and tag in ("input", "textarea", "select")):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button"):
                self._add(a["name"], a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._add(a["name"], "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select:
            self._select_first.setdefault(self._select, a.get("value", ""))
            if "selected" in a:
                self._add(self._select, a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea:
            value = self.data[self._textarea][-1]
            self.data[self._textarea][-1] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "select" and self._select:
            if self._select not in self.data:
                self._add(self._select, self._select_first.get(self._select, ""))
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def untouched(response):
    parser = _FormValues()
    parser.feed(response.content.decode())
    return parser.data


def log_url(call):
    return reverse("calls:log", args=[call.pk])


def new_url(customer, extra=""):
    return reverse("calls:new") + f"?customer={customer.pk}{extra}"


def chinese(user):
    user.language = "zh-hans"
    user.save()
    return user


# --- three taps: the planned call opens filled in; an untouched submit stores it -----------


def test_the_log_form_of_a_planned_call_opens_with_the_plan(cw, login):
    planned = make_call(
        cw.tx,
        [cw.cx],
        status=CallStatus.PLANNED,
        start_time=datetime.time(14, 30),
        objective="Introduce the PFS data",
        products=[(cw.px, [], "")],
    )

    page = login(cw.rep_x).get(log_url(planned))

    html = page.content.decode()
    values = untouched(page)
    assert values["date"] == [TODAY().isoformat()]
    assert values["start_time"] == ["14:30"]
    assert values["customers"] == [str(cw.cx.pk)]
    assert values["objective"] == ["Introduce the PFS data"]
    assert values["p0_on"] == ["on"]  # the plan's product
    assert "Renji Hospital · Oncology" in html  # institution and department, in English


def test_a_plan_without_products_ticks_the_products_the_customer_is_classed_for(cw, login):
    pz = ProductFactory(name="Zeta", code="ONC-2")
    cw.tx.team.products.add(pz)
    classify(cw.cx, pz, "B")
    planned = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)

    values = untouched(login(cw.rep_x).get(log_url(planned)))

    assert "p0_on" not in values  # ONC-1: not classed
    assert values["p1_on"] == ["on"]  # ONC-2: class B


def test_a_plan_without_products_ticks_the_teams_only_product(cw, login):
    planned = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)

    values = untouched(login(cw.rep_x).get(log_url(planned)))

    assert values["p0_on"] == ["on"]


@pytest.mark.parametrize(
    ("planned_on", "stored_on"),
    [(0, 0), (-3, -3), (-30, 0), (2, 0)],
    ids=["today", "3-days-ago-inside-the-limit", "30-days-ago-beyond-it", "tomorrow"],
)
def test_submitting_the_untouched_form_stores_the_completed_call(cw, login, planned_on, stored_on):
    planned = make_call(
        cw.tx,
        [cw.cx],
        status=CallStatus.PLANNED,
        date=TODAY() + planned_on * DAY,
        objective="Introduce the PFS data",
        products=[(cw.px, [], "")],
    )
    client = login(cw.rep_x)

    response = client.post(log_url(planned), untouched(client.get(log_url(planned))))

    assert response.status_code == 302
    assert response.url == reverse("calls:today")
    planned.refresh_from_db()
    assert planned.status == CallStatus.COMPLETED
    assert planned.date == TODAY() + stored_on * DAY
    assert planned.objective == "Introduce the PFS data"
    assert [row.product for row in planned.call_products.all()] == [cw.px]
    assert Call.objects.count() == 1


def test_the_service_logs_an_old_plan_today_and_a_recent_one_on_its_day(cw):
    old = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, date=TODAY() - 20 * DAY)
    recent = make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED, date=TODAY() - 2 * DAY)

    services.call_complete(by=cw.rep_x, call=old)
    services.call_complete(by=cw.rep_x, call=recent)

    old.refresh_from_db(), recent.refresh_from_db()
    assert (old.date, recent.date) == (TODAY(), TODAY() - 2 * DAY)


# --- materials of the team, the sample allowance ----------------------------------------


def test_materials_offered_are_those_of_the_teams_products_and_of_no_product(cw, login):
    MaterialFactory(name="Oncovia study reprint", code="ONC-R", product=cw.px)
    MaterialFactory(name="Cardiplex leaflet", code="CV-L", product=cw.py)

    page = login(cw.rep_x).get(new_url(cw.cx))

    names = [m.name for m in page.context["form"].materials]
    assert "Oncovia study reprint" in names
    assert "Product leaflet" in names  # no product: for everybody
    assert "Cardiplex leaflet" not in names  # another team's product
    assert "Old leaflet" not in names  # inactive


def given_samples(cw, customer, quantity, day=None):
    make_call(cw.tx, [customer], date=day or TODAY(), materials=[(cw.sample, quantity)])


def test_each_sample_shows_the_allowance_left_this_quarter(cw, login):
    given_samples(cw, cw.cx, 7)
    given_samples(cw, cw.cx, 50, day=TODAY() - 120 * DAY)  # another quarter
    given_samples(cw, cw.cx2, 9)  # another customer

    html = login(cw.rep_x).get(new_url(cw.cx)).content.decode()

    assert "3 left this quarter" in html  # 10 − 7


def test_a_sample_over_the_allowance_is_refused_next_to_it_and_nothing_is_saved(cw, login):
    given_samples(cw, cw.cx, 7)
    client = login(cw.rep_x)
    page = client.get(new_url(cw.cx))
    field = next(r["field"].name for r in page.context["form"].material_rows() if r["left"])
    data = untouched(page)

    response = client.post(new_url(cw.cx), {**data, field: "4"})

    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert "would receive 11 samples this quarter; the limit is 10" in errors[0]
    assert Call.objects.count() == 1
    # Within the allowance it is stored.
    assert client.post(new_url(cw.cx), {**data, field: "3"}).status_code == 302


def test_the_allowance_rule_has_one_home(cw):
    """The form's figure and the service's check read the same function."""
    from calls import selectors

    given_samples(cw, cw.cx, 4)
    left = selectors.sample_allowance_left([cw.cx, cw.cx2], TODAY(), 10)

    assert left == {cw.cx.pk: 6, cw.cx2.pk: 10}
    assert selectors.sample_allowance_left([cw.cx], TODAY(), None) == {}


# --- the next appointment -----------------------------------------------------------------


def test_a_next_appointment_date_plans_the_next_call_once(cw, login):
    client = login(cw.rep_x)
    data = untouched(client.get(new_url(cw.cx)))
    later = TODAY() + 7 * DAY
    data.update(next_appointment_date=later.isoformat(), next_objective="Discuss the trial")

    assert client.post(new_url(cw.cx), data).status_code == 302
    assert client.post(new_url(cw.cx), data).status_code == 302  # the same again

    completed = Call.objects.filter(status=CallStatus.COMPLETED)
    assert completed.count() == 2
    planned = Call.objects.get(status=CallStatus.PLANNED)
    assert (planned.date, planned.objective) == (later, "Discuss the trial")
    assert list(planned.customers.all()) == [cw.cx]
    assert (planned.territory, planned.rep) == (cw.tx, cw.rep_x)
    # Editing the logged call within its grace period does not plan it again.
    call = completed.first()
    services.call_update(by=cw.rep_x, call=call, notes="edited", next_appointment_date=later)
    assert Call.objects.filter(status=CallStatus.PLANNED).count() == 1


def test_logging_a_planned_call_with_a_next_appointment_plans_the_follow_up(cw, login):
    planned = make_call(cw.tx, [cw.cx, cw.cx2], status=CallStatus.PLANNED, is_pim=True)
    client = login(cw.rep_x)
    data = untouched(client.get(log_url(planned)))
    data["next_appointment_date"] = (TODAY() + 14 * DAY).isoformat()

    assert client.post(log_url(planned), data).status_code == 302

    follow_up = Call.objects.get(status=CallStatus.PLANNED)
    assert follow_up.date == TODAY() + 14 * DAY
    assert set(follow_up.customers.all()) == {cw.cx, cw.cx2}


@pytest.mark.parametrize("offset", [0, -1])
def test_a_next_appointment_not_after_the_call_is_refused(cw, login, offset):
    client = login(cw.rep_x)
    data = untouched(client.get(new_url(cw.cx)))
    data["next_appointment_date"] = (TODAY() + offset * DAY).isoformat()

    response = client.post(new_url(cw.cx), data)

    assert response.status_code == 200
    assert response.context["form"].errors["next_appointment_date"] == [
        "The next appointment must be after the call's date."
    ]
    assert not Call.objects.exists()


def test_the_next_appointment_error_is_translated(cw, login):
    client = login(chinese(cw.rep_x))
    data = untouched(client.get(new_url(cw.cx)))
    data["next_appointment_date"] = TODAY().isoformat()

    html = client.post(new_url(cw.cx), data).content.decode()

    assert "下次预约必须在本次拜访日期之后。" in html
    assert not Call.objects.exists()


def test_logging_the_same_planned_call_twice_is_a_conflict_with_one_follow_up(cw, login):
    planned = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)
    client = login(cw.rep_x)
    data = untouched(client.get(log_url(planned)))
    data["next_appointment_date"] = (TODAY() + 7 * DAY).isoformat()

    first = client.post(log_url(planned), data)
    second = client.post(log_url(planned), data, follow=True)

    assert first.status_code == 302
    assert "This call cannot be changed." in second.content.decode()
    assert Call.objects.filter(status=CallStatus.COMPLETED).count() == 1
    assert Call.objects.filter(status=CallStatus.PLANNED).count() == 1


@postgres_only
def test_two_tabs_logging_one_planned_call_at_once(cw):
    planned = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)
    later = TODAY() + 7 * DAY
    results = []

    def log():
        try:
            results.append(
                services.call_complete(by=cw.rep_x, call=planned, next_appointment_date=later)
            )
        except Conflict as error:
            results.append(error)

    assert at_once(log, log) == []
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert Call.objects.filter(status=CallStatus.COMPLETED).count() == 1
    assert Call.objects.filter(status=CallStatus.PLANNED, date=later).count() == 1


# --- the API --------------------------------------------------------------------------------


def test_the_api_reads_and_writes_the_next_appointment_date(cw, api):
    client = api(cw.rep_x)
    later = TODAY() + 5 * DAY
    body = {
        "customers": [str(cw.cx.pk)],
        "next_appointment_date": later.isoformat(),
        "next_objective": "Bring the reprint",
    }

    response = client.post("/api/v1/calls/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["next_appointment_date"] == later.isoformat()
    planned = Call.objects.get(status=CallStatus.PLANNED)
    assert (planned.date, planned.objective) == (later, "Bring the reprint")
    again = client.get(f"/api/v1/calls/{response.json()['id']}/").json()
    assert again["next_appointment_date"] == later.isoformat()


def test_the_api_refuses_a_next_appointment_not_after_the_call(cw, api):
    response = api(cw.rep_x).post(
        "/api/v1/calls/",
        {"customers": [str(cw.cx.pk)], "next_appointment_date": TODAY().isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert "next_appointment_date" in str(response.json())
    assert not Call.objects.exists()


# --- the attendee picker --------------------------------------------------------------------


def test_the_picker_offers_the_institution_first_then_the_territory_with_class_badges(cw, login):
    elsewhere = InstitutionFactory(name="瑞金医院", name_en="Ruijin Hospital")
    ward = DepartmentFactory(institution=elsewhere, name="乳腺科", name_en="Breast")
    far = CustomerFactory(name="赵雷", institution=elsewhere, department=ward, territory=cw.tx)
    classify(cw.cx2, cw.px, "A")

    page = login(cw.rep_x).get(new_url(cw.cx, "&group=1"))

    groups = page.context["form"].attendee_groups()
    assert [(g["institution"], g["department"], g["here"]) for g in groups] == [
        (cw.hx, cw.dx2, True),
        (elsewhere, ward, False),
    ]
    assert [person for _choice, person in groups[0]["choices"]] == [cw.cx2]
    assert [person for _choice, person in groups[1]["choices"]] == [far]
    html = page.content.decode()
    assert 'class="badge klass-A"' in html
    assert "data-picker-search" in html
    assert cw.cy.name not in html  # another territory's customer


def test_a_group_call_with_customers_of_two_hospitals_is_stored(cw, login):
    elsewhere = InstitutionFactory()
    far = CustomerFactory(institution=elsewhere, territory=cw.tx)
    client = login(cw.rep_x)
    data = untouched(client.get(new_url(cw.cx)))
    data["customers"] = [str(cw.cx.pk), str(cw.cx2.pk), str(far.pk)]
    data["is_pim"] = "on"

    assert client.post(new_url(cw.cx), data).status_code == 302

    call = Call.objects.get()
    assert set(call.customers.all()) == {cw.cx, cw.cx2, far}
    assert call.institution == cw.hx


def test_the_service_refuses_an_attendee_of_another_territory(cw):
    with pytest.raises(ValidationError) as error:
        services.call_create(by=cw.rep_x, territory=cw.tx, customers=[cw.cx, cw.cy])

    assert "not a customer of territory" in str(error.value)
    assert not Call.objects.exists()


# --- bad input and scope --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "english", "chinese_text"),
    [
        (2, "A completed call cannot be dated in the future.", "已完成的拜访不能使用将来的日期。"),
        (-30, "cannot be dated more than 7 days back.", "不能早于 7 天前"),
    ],
    ids=["future", "beyond-the-backdating-limit"],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_bad_date_is_shown_next_to_the_date_and_nothing_is_saved(
    cw, login, offset, english, chinese_text, language
):
    if language == "zh-hans":
        chinese(cw.rep_x)
    client = login(cw.rep_x)
    data = untouched(client.get(new_url(cw.cx)))
    data["date"] = (TODAY() + offset * DAY).isoformat()

    response = client.post(new_url(cw.cx), data)

    assert response.status_code == 200
    [error] = response.context["form"].errors["date"]
    assert (english if language == "en" else chinese_text) in error
    assert not Call.objects.exists()


def test_a_sample_over_the_allowance_is_explained_in_chinese(cw, login):
    given_samples(cw, cw.cx, 9)
    client = login(chinese(cw.rep_x))
    page = client.get(new_url(cw.cx))
    field = next(r["field"].name for r in page.context["form"].material_rows() if r["left"])

    response = client.post(new_url(cw.cx), {**untouched(page), field: "2"})

    assert "本季度" in response.context["form"].errors[field][0]
    assert "本季度剩余 1" in page.content.decode()
    assert Call.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        lambda cw: reverse("calls:new") + "?customer=abc",
        lambda cw: reverse("calls:new") + "?customer=12345678-1234-1234-1234-1234567890zz",
        lambda cw: reverse("calls:new") + f"?customer={cw.cy.pk}",  # another territory
        lambda cw: "/calls/abc/log/",
        lambda cw: reverse("calls:log", args=["00000000-0000-0000-0000-000000000000"]),
    ],
    ids=["malformed-customer", "almost-a-uuid", "other-territory", "malformed-call", "no-call"],
)
def test_a_bad_or_foreign_id_answers_404(cw, login, url):
    client = login(cw.rep_x)

    assert client.get(url(cw)).status_code == 404
    assert client.post(url(cw), {}).status_code == 404
    assert not Call.objects.exists()


def test_another_reps_planned_call_cannot_be_logged(cw, login):
    planned = make_call(cw.ty, [cw.cy], status=CallStatus.PLANNED)
    client = login(cw.rep_x)

    assert client.get(log_url(planned)).status_code == 404
    assert client.post(log_url(planned), {"customers": [str(cw.cy.pk)]}).status_code == 404
    planned.refresh_from_db()
    assert planned.status == CallStatus.PLANNED


# --- the short form -------------------------------------------------------------------------


def test_optional_sections_stay_closed_until_used_and_open_on_an_error(cw, login):
    client = login(cw.rep_x)
    page = client.get(new_url(cw.cx))
    sections = page.context["form"].open_sections()
    assert not any(sections.values())

    data = untouched(page)
    data.update(notes="Busy clinic", next_appointment_date=TODAY().isoformat())
    response = client.post(new_url(cw.cx), data)

    sections = response.context["form"].open_sections()
    assert sections["notes"] and sections["commitments"]
    assert not sections["co_visit"]


def test_amend_mode_opens_every_section(cw, login):
    call = make_call(
        cw.tx,
        [cw.cx],
        date=TODAY() - 20 * DAY,
        completed_at=timezone.now() - 20 * DAY,
    )

    page = login(cw.rep_x).get(reverse("calls:amend", args=[call.pk]))

    assert all(page.context["form"].open_sections().values())
    assert untouched(page)["date"] == [(TODAY() - 20 * DAY).isoformat()]


# --- queries ------------------------------------------------------------------------------


def grow(cw, n):
    """n more customers of tx at new hospitals (with classes), materials, samples given, key
    messages and calls."""
    for i in range(n):
        institution = InstitutionFactory()
        department = DepartmentFactory(institution=institution)
        customer = CustomerFactory(institution=institution, department=department, territory=cw.tx)
        classify(customer, cw.px, "ABCD"[i % 4])
        MaterialFactory(kind=MaterialKind.SAMPLE, product=cw.px)
        MaterialFactory()
        KeyMessageFactory(product=cw.px)
        make_call(cw.tx, [cw.cx, customer], materials=[(cw.sample, 1)])


def test_the_call_form_runs_the_same_queries_whatever_the_data(cw, login):
    CallSettings.load()
    planned = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)
    client = login(cw.rep_x)
    urls = [new_url(cw.cx), new_url(cw.cx, "&group=1"), log_url(planned)]
    grow(cw, 2)
    small = [count_queries(client, url) for url in urls]

    grow(cw, 12)

    assert [count_queries(client, url) for url in urls] == small


def test_the_call_page_shows_the_next_appointment_date(cw, login):
    call = make_call(
        cw.tx,
        [cw.cx],
        commitment_next_appointment="After the clinic",
        next_appointment_date=TODAY() + 3 * DAY,
    )

    html = login(cw.rep_x).get(reverse("calls:detail", args=[call.pk])).content.decode()

    assert f"After the clinic · {(TODAY() + 3 * DAY).isoformat()}" in html
