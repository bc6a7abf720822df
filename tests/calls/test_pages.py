"""The pages of call logging: Today, the form (log, plan, group call, bad input), list, week,
detail with its history, amendments, coaching, feedback, a customer's history — and scope."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Amendment, Call, CallSettings, CallStatus, CoachingComment
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def form_data(cw, **overrides):
    """What the form posts for an ordinary visit to cx (product px = index 0)."""
    data = {
        "customers": [str(cw.cx.pk)],
        "date": TODAY().isoformat(),
        "start_time": "10:15",
        "duration_minutes": "15",
        "channel": "face_to_face",
        "objective": "",
        "p0_on": "on",
        "p0_km": [str(cw.km1.pk)],
        "p0_feedback": "Asked for the study",
        "p0_stage": "interested",
        "commitment_measurable": "Try on 3 patients",
        "commitment_next_appointment": "Next Thursday",
        "next_objective": "Follow up",
        "co_visitor": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def material_field(response, material):
    """The form field name of a material (m0, m1, … in catalogue order)."""
    form = response.context["form"]
    return next(f"m{i}" for i, m in enumerate(form.materials) if m == material)


def test_a_reps_home_is_today_with_the_itinerary_by_hospital_and_department(cw, login):
    make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, objective="Introduce PFS data")
    make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED, objective="Follow up trial")
    make_call(cw.tx, [cw.cx], date=TODAY() - datetime.timedelta(days=1), notes="yesterday")
    make_call(cw.ty, [cw.cy], status=CallStatus.PLANNED, objective="Not mine")

    page = login(cw.rep_x).get(reverse("home"))

    html = page.content.decode()
    assert page.templates[0].name == "calls/today.html"
    [(institution, departments)] = page.context["itinerary"]
    assert institution == cw.hx
    assert [d for d, _calls in departments] == sorted([cw.dx, cw.dx2], key=lambda d: d.name)
    assert "Introduce PFS data" in html
    assert "Not mine" not in html
    assert len(page.context["recent"]) == 1
    assert reverse("calls:new") in html  # search to log an unplanned call
    assert cw.tx.name in html


def test_a_managers_home_is_the_desk_and_an_admins_the_territory_overview(cw, login):
    assert login(cw.dm_x).get(reverse("home")).templates[0].name == "desk/home.html"
    assert login(cw.admin).get(reverse("home")).templates[0].name == "org/home.html"


def test_navigation_shows_calls(cw, login):
    html = login(cw.dm_x).get(reverse("home")).content.decode()

    assert f'href="{reverse("calls:list")}"' in html


def test_a_rep_logs_a_call_from_the_form_with_defaults(cw, login):
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}"

    page = client.get(url)
    form = page.context["form"]
    assert form.initial["date"] == TODAY()
    assert form.initial["customers"] == [cw.cx.pk]
    assert [p.code for p in form.products] == ["ONC-1"]  # active products of the team only
    assert "Old claim" not in page.content.decode()
    data = form_data(cw, **{material_field(page, cw.leaflet): "2"})

    response = client.post(url, data)

    assert response.status_code == 302
    assert response.url == reverse("calls:today")
    call = Call.objects.get()
    assert (call.status, call.institution, call.department) == ("completed", cw.hx, cw.dx)
    assert call.call_products.get().feedback == "Asked for the study"
    assert call.call_materials.get().quantity == 2


def test_a_group_call_from_the_form_is_one_record_for_each_attendee(cw, login):
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}&group=1"
    page = client.get(url)
    assert str(cw.cx2) in page.content.decode()  # offered as an attendee

    response = client.post(
        url, form_data(cw, customers=[str(cw.cx.pk), str(cw.cx2.pk)], is_pim="on")
    )

    assert response.status_code == 302
    call = Call.objects.get()
    assert call.is_pim
    assert set(call.customers.all()) == {cw.cx, cw.cx2}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            lambda cw: {"date": (TODAY() + datetime.timedelta(days=2)).isoformat()},
            "A completed call cannot be dated in the future.",
        ),
        (
            lambda cw: {"date": (TODAY() - datetime.timedelta(days=30)).isoformat()},
            "cannot be dated more than 7 days back.",
        ),
        (lambda cw: {"customers": []}, "Choose at least one customer."),
        (lambda cw: {"co_visitor": str(cw.dm_x.pk), "m_neg": "-1"}, "must be at least 1"),
    ],
    ids=["future", "backdated", "no-customer", "negative-quantity"],
)
def test_bad_input_on_the_form_is_shown_and_nothing_is_written(cw, login, overrides, message):
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}"
    data = form_data(cw, **overrides(cw))
    if "m_neg" in data:
        data[material_field(client.get(url), cw.leaflet)] = data.pop("m_neg")

    response = client.post(url, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Call.objects.exists()


def test_a_rep_plans_a_call_and_logs_it_from_today(cw, login):
    client = login(cw.rep_x)
    url = reverse("calls:new") + f"?customer={cw.cx.pk}&plan=1"
    response = client.post(
        url,
        {
            "customers": [str(cw.cx.pk)],
            "date": TODAY().isoformat(),
            "start_time": "14:00",
            "channel": "face_to_face",
            "objective": "Probe concerns about side effects",
        },
    )
    call = Call.objects.get()
    assert response.status_code == 302
    assert call.status == CallStatus.PLANNED
    today = client.get(reverse("calls:today")).content.decode()
    assert reverse("calls:log", args=[call.pk]) in today

    log_page = client.get(reverse("calls:log", args=[call.pk]))
    assert "Probe concerns about side effects" in log_page.content.decode()
    response = client.post(reverse("calls:log", args=[call.pk]), form_data(cw))

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == CallStatus.COMPLETED


def test_a_planned_call_can_be_cancelled(cw, login):
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)

    login(cw.rep_x).post(reverse("calls:cancel", args=[call.pk]))

    call.refresh_from_db()
    assert call.status == CallStatus.CANCELLED


def test_a_locked_call_sends_the_rep_to_an_amendment_the_dm_approves(cw, login):
    call = make_call(
        cw.tx,
        [cw.cx],
        date=TODAY() - datetime.timedelta(days=20),
        completed_at=timezone.now() - datetime.timedelta(days=20),
        products=[(cw.px, [cw.km1], "old feedback")],
    )
    client = login(cw.rep_x)

    assert client.get(reverse("calls:edit", args=[call.pk])).url == reverse(
        "calls:amend", args=[call.pk]
    )
    response = client.post(
        reverse("calls:amend", args=[call.pk]),
        form_data(
            cw,
            date=call.date.isoformat(),
            p0_feedback="new feedback",
            reason="Recorded the wrong feedback",
        ),
    )
    assert response.status_code == 302
    amendment = Amendment.objects.get()

    dm = login(cw.dm_x)
    detail = dm.get(reverse("calls:detail", args=[call.pk])).content.decode()
    assert "Recorded the wrong feedback" in detail
    assert reverse("calls:amendment", args=[amendment.pk]) in detail
    dm.post(reverse("calls:amendment_decide", args=[amendment.pk]), {"decision": "approve"})

    call.refresh_from_db()
    assert call.call_products.get().feedback == "new feedback"
    history = dm.get(reverse("calls:detail", args=[call.pk])).content.decode()
    assert "old feedback" in history and "new feedback" in history


def test_the_dm_coaches_and_the_rep_sees_it_in_recent_feedback(cw, login):
    call = make_call(cw.tx, [cw.cx])
    login(cw.dm_x).post(
        reverse("calls:comment", args=[call.pk]), {"text": "Ask about the 3 patients"}
    )

    assert CoachingComment.objects.get().author == cw.dm_x
    client = login(cw.rep_x)
    assert "Ask about the 3 patients" in client.get(reverse("calls:feedback")).content.decode()
    detail = client.get(reverse("calls:detail", args=[call.pk])).content.decode()
    assert "Ask about the 3 patients" in detail
    assert reverse("calls:comment", args=[call.pk]) not in detail  # reps do not coach


def test_the_list_filters_and_the_week_view(cw, login):
    make_call(cw.tx, [cw.cx], products=[(cw.px, [], "")], notes="A")
    make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED)
    client = login(cw.rep_x)
    url = reverse("calls:list")

    assert client.get(url).context["page"].paginator.count == 2
    assert client.get(url, {"status": "planned"}).context["page"].paginator.count == 1
    assert client.get(url, {"product": cw.px.pk}).context["page"].paginator.count == 1
    assert client.get(url, {"customer": cw.cx2.pk}).context["page"].paginator.count == 1
    assert client.get(url, {"q": "Chen"}).context["page"].paginator.count == 1
    assert client.get(url, {"institution": cw.hx.pk}).context["page"].paginator.count == 2
    future = (TODAY() + datetime.timedelta(days=1)).isoformat()
    assert client.get(url, {"date_from": future}).context["page"].paginator.count == 0
    week = client.get(reverse("calls:week"))
    assert sum(len(calls) for _day, calls in week.context["days"]) == 2
    last_week = (TODAY() - datetime.timedelta(days=7)).isoformat()
    week = client.get(reverse("calls:week"), {"start": last_week})
    assert sum(len(calls) for _day, calls in week.context["days"]) == 0


def test_a_customers_call_history_shows_what_was_discussed_and_committed(cw, login):
    make_call(
        cw.tx,
        [cw.cx, cw.cx2],
        products=[(cw.px, [cw.km1], "Wants more data")],
        commitment_measurable="Try on 3 patients",
        is_pim=True,
    )
    make_call(cw.tx, [cw.cx2], objective="Only Chen")

    html = login(cw.rep_x).get(reverse("calls:customer_history", args=[cw.cx.pk])).content
    html = html.decode()

    assert "Longer progression-free survival" in html
    assert "Wants more data" in html
    assert "Try on 3 patients" in html
    assert "Only Chen" not in html


# --- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("rep_x", {"x"}),
        ("rep_y", {"y"}),
        ("dm_x", {"x"}),
        ("dm_y", {"y"}),
        ("regional", {"x", "y"}),
        ("admin", {"x", "y"}),
        ("outsider_rep", set()),
    ],
)
def test_call_pages_are_scoped(cw, login, persona, sees):
    calls = {"x": make_call(cw.tx, [cw.cx]), "y": make_call(cw.ty, [cw.cy])}
    client = login(getattr(cw, persona))

    listed = client.get(reverse("calls:list")).content.decode()
    for key, call in calls.items():
        link = reverse("calls:detail", args=[call.pk])
        assert (link in listed) == (key in sees)
        expected = 200 if key in sees else 404
        assert client.get(link).status_code == expected
        customer = call.customers.get()
        history = client.get(reverse("calls:customer_history", args=[customer.pk]))
        assert history.status_code == expected


def test_a_rep_cannot_log_for_or_edit_another_territorys_customer_or_call(cw, login):
    theirs = make_call(cw.ty, [cw.cy], status=CallStatus.PLANNED)
    client = login(cw.rep_x)

    assert client.get(reverse("calls:new") + f"?customer={cw.cy.pk}").status_code == 404
    assert client.post(reverse("calls:edit", args=[theirs.pk]), {}).status_code == 404
    assert client.post(reverse("calls:log", args=[theirs.pk]), {}).status_code == 404
    assert client.post(reverse("calls:cancel", args=[theirs.pk])).status_code == 404
    # A forged attendee from another territory is refused.
    url = reverse("calls:new") + f"?customer={cw.cx.pk}"
    response = client.post(url, form_data(cw, customers=[str(cw.cx.pk), str(cw.cy.pk)]))
    assert response.status_code == 200
    assert Call.objects.count() == 1
    theirs.refresh_from_db()
    assert theirs.status == CallStatus.PLANNED


def test_managers_read_calls_but_do_not_log_them(cw, login):
    client = login(cw.dm_x)

    assert client.get(reverse("calls:new") + f"?customer={cw.cx.pk}").status_code == 403


def test_the_grace_period_shows_on_the_call(cw, login):
    settings_ = CallSettings.load()
    call = make_call(cw.tx, [cw.cx])

    html = login(cw.rep_x).get(reverse("calls:detail", args=[call.pk])).content.decode()

    assert "Editable until" in html
    assert settings_.grace_days == 7
