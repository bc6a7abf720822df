"""`/api/v1/amendments/`: a rep asks to correct a locked call, the call's DM sees the change
field by field and approves or rejects it, as in the browser. Bad input is a 400 with nothing
written, a decided amendment a 409, another district's amendment a 404, a rep's decision a 403;
of two DMs deciding at once one wins."""

import datetime
from functools import partial

import pytest
from django.utils import timezone

from calls.models import Amendment, AmendmentStatus, Call
from notifications.models import Notification
from tests.calls.factories import make_call
from tests.concurrency import WRITERS, postgres_only, send_at_once
from tests.concurrency import codes as _codes
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/amendments/"


def today():
    return timezone.localdate()


def proposal(cw, call, **changes):
    return {
        "call": str(call.pk),
        "reason": "Recorded the wrong day",
        "changes": changes
        or {
            "date": (call.date - datetime.timedelta(days=1)).isoformat(),
            "notes": "Met him before the ward round",
            "customers": [str(cw.cx.pk), str(cw.cx2.pk)],
        },
    }


def requested(cw, api, call, **changes):
    response = api(cw.rep_x).post(URL, proposal(cw, call, **changes), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_rep_requests_and_the_dm_reads_the_change_field_by_field(
    cw, api, locked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = requested(cw, api, locked)
    assert (body["status"], body["call"], body["requested_by"]) == (
        "pending",
        str(locked.pk),
        cw.rep_x.pk,
    )
    assert body["original"]["notes"] == "" and body["changes"]["notes"].startswith("Met")
    assert {row["label"] for row in body["diff"]} == {"Date", "Notes", "Attendees"}

    detail = api(cw.dm_x).get(f"{URL}{body['id']}/").json()
    diff = {row["label"]: (row["before"], row["after"]) for row in detail["diff"]}
    assert diff["Notes"] == ("", "Met him before the ward round")
    assert diff["Date"] == (
        locked.date.isoformat(),
        (locked.date - datetime.timedelta(1)).isoformat(),
    )
    assert diff["Attendees"] == ("Wang Jianguo", "Chen Fang、Wang Jianguo")
    # Nothing changed on the call yet; the DM is told once.
    locked.refresh_from_db()
    assert locked.notes == ""
    assert Notification.objects.filter(user=cw.dm_x, kind="amendment_requested").count() == 1


def test_the_dm_approves_the_call_changes_and_a_second_decision_is_a_409(cw, api, locked):
    amendment = requested(cw, api, locked)
    dm = api(cw.dm_x)

    approved = dm.post(f"{URL}{amendment['id']}/approve/", {"comment": "OK"}, format="json")

    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["decision_comment"]) == ("approved", "OK")
    locked.refresh_from_db()
    assert locked.notes == "Met him before the ward round"
    assert locked.date == today() - datetime.timedelta(days=21)
    assert {c.pk for c in locked.customers.all()} == {cw.cx.pk, cw.cx2.pk}
    for again in ("approve", "reject"):
        response = dm.post(f"{URL}{amendment['id']}/{again}/", {"comment": "x"}, format="json")
        assert response.status_code == 409
        assert response.json()["detail"] == "This amendment has been decided already."
    assert Amendment.objects.get(pk=amendment["id"]).decision_comment == "OK"
    # The diff is kept after the decision (before → after as requested).
    kept = dm.get(f"{URL}{amendment['id']}/").json()["diff"]
    assert ("Notes", "", "Met him before the ward round") in [
        (r["label"], r["before"], r["after"]) for r in kept
    ]


def test_a_rejection_needs_a_comment_and_leaves_the_call_as_it_was(cw, api, locked):
    amendment = requested(cw, api, locked)
    dm = api(cw.dm_x)

    missing = dm.post(f"{URL}{amendment['id']}/reject/", {}, format="json")
    assert missing.status_code == 400
    assert Amendment.objects.get(pk=amendment["id"]).status == AmendmentStatus.PENDING

    rejected = dm.post(f"{URL}{amendment['id']}/reject/", {"comment": "Wrong"}, format="json")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    locked.refresh_from_db()
    assert locked.notes == ""


def test_another_district_sees_nothing_and_a_rep_cannot_decide(cw, api, locked):
    amendment = requested(cw, api, locked)
    for user in (cw.dm_y, cw.rep_y):
        assert api(user).get(f"{URL}{amendment['id']}/").status_code == 404
        assert api(user).get(URL).json()["results"] == []
        response = api(user).post(f"{URL}{amendment['id']}/approve/", {}, format="json")
        assert response.status_code == 404
    assert (
        api(cw.rep_x).post(f"{URL}{amendment['id']}/approve/", {}, format="json").status_code == 403
    )
    assert api(cw.dm_x).post(URL, proposal(cw, locked), format="json").status_code == 403
    assert Amendment.objects.get(pk=amendment["id"]).status == AmendmentStatus.PENDING


@pytest.mark.parametrize(
    "change, field",
    [
        ({"changes": "not a dict"}, "changes"),
        ({"changes": {"territory": None}}, "changes"),
        ({"changes": {"date": "yesterday"}}, "changes"),
        ({"changes": {"duration_minutes": -5}}, "changes"),
        ({"changes": {"customers": ["not-a-uuid"]}}, "changes"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
        ({"call": "00000000-0000-0000-0000-000000000000"}, "call"),
    ],
)
def test_bad_requests_are_400_and_write_nothing(cw, api, locked, change, field):
    body = {**proposal(cw, locked), **change}
    response = api(cw.rep_x).post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"] or field == "changes"
    assert not Amendment.objects.exists()


def test_a_status_or_territory_change_is_refused(cw, api, locked):
    response = api(cw.rep_x).post(URL, proposal(cw, locked, status="cancelled"), format="json")
    assert response.status_code == 400
    assert not Amendment.objects.exists()


def test_nothing_to_change_an_unlocked_call_and_another_territorys_call(cw, api, locked):
    rep = api(cw.rep_x)
    nothing = rep.post(URL, proposal(cw, locked, notes=""), format="json")
    assert nothing.status_code == 400
    recent = make_call(cw.tx, [cw.cx], date=today())
    unlocked = rep.post(URL, proposal(cw, recent, notes="x"), format="json")
    assert unlocked.status_code == 409, unlocked.json()
    theirs = make_call(cw.ty, [cw.cy], date=today() - datetime.timedelta(days=20))
    foreign = rep.post(URL, proposal(cw, theirs, notes="x"), format="json")
    assert foreign.status_code == 400 and "call" in foreign.json()["errors"]
    requested(cw, api, locked)
    second = rep.post(URL, proposal(cw, locked, notes="again"), format="json")
    assert second.status_code == 409, second.json()
    assert Amendment.objects.count() == 1


def test_the_list_is_paged_and_costs_the_same_for_more_amendments(cw, api, locked):
    requested(cw, api, locked)
    dm = api(cw.dm_x)
    one = count_queries(dm, URL)
    for days in (30, 40, 50):
        call = make_call(cw.tx, [cw.cx], date=today() - datetime.timedelta(days=days))
        Call.objects.filter(pk=call.pk).update(
            completed_at=timezone.now() - datetime.timedelta(days=days)
        )
        requested(cw, api, call, notes=f"{days}")
    rows = dm.get(URL, {"status": "pending"}).json()["results"]
    assert len(rows) == 4 and all(row["diff"] is None for row in rows)
    assert count_queries(dm, URL) == one


@postgres_only
def test_two_dms_deciding_at_once_have_one_winner(cw, api, locked):
    amendment = requested(cw, api, locked)
    clients = [api(cw.dm_x) for _ in range(WRITERS)]
    decisions = ["approve", "reject"] * (WRITERS // 2)

    responses = send_at_once(
        [
            partial(c.post, f"{URL}{amendment['id']}/{d}/", {"comment": "c"}, format="json")
            for c, d in zip(clients, decisions, strict=True)
        ]
    )

    assert _codes(responses) == [200] + [409] * (WRITERS - 1), [r.json() for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert Amendment.objects.get(pk=amendment["id"]).status == winner["status"]
