"""plans/ over REST: create (idempotent), update with If-Match, the actions, bad input, scope."""

import uuid

import pytest

from planning.models import Plan, PlanStatus
from tests.planning.conftest import QUARTER
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/"


def body(pw, **extra):
    return {
        "quarter": QUARTER,
        "goals": "Grow Oncovia",
        "targets": [
            {"customer": str(pw.cx.pk), "objective": "PFS data"},
            {"customer": str(pw.cx2.pk), "calls_per_month": 2, "activities": "Speaker at PIM"},
        ],
        **extra,
    }


def test_a_rep_creates_a_plan_with_defaults_from_the_requirements(pw, api):
    response = api(pw.rep_x).post(URL, body(pw), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft" and data["quarter"] == QUARTER
    assert data["rep"] == pw.rep_x.pk and data["version"] == 1
    assert response["ETag"] == '"1"'
    assert {t["customer"]: t["calls_per_month"] for t in data["targets"]} == {
        str(pw.cx.pk): 4,
        str(pw.cx2.pk): 2,
    }
    assert data["versions"] == [] and data["comment"] == ""


def test_create_is_idempotent_with_the_clients_id(pw, api):
    client = api(pw.rep_x)
    plan_id = str(uuid.uuid4())
    first = client.post(URL, body(pw, id=plan_id), format="json")
    again = client.post(URL, body(pw, id=plan_id), format="json")
    other = client.post(URL, body(pw, id=plan_id, goals="Other"), format="json")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["id"] == plan_id
    assert Plan.objects.count() == 1


def test_a_second_plan_of_the_quarter_conflicts(pw, api):
    client = api(pw.rep_x)
    client.post(URL, body(pw), format="json")
    response = client.post(URL, body(pw), format="json")
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quarter": "2026-Q5"}, "quarter"),
        ({"quarter": "2026-10"}, "quarter"),
        ({"targets": [{"customer": "not-a-uuid"}]}, "targets"),
        ({"targets": [{"customer": None}]}, "targets"),
        ({"targets": "cx"}, "targets"),
    ],
)
def test_bad_input_answers_400_with_the_field(pw, api, change, field):
    response = api(pw.rep_x).post(URL, body(pw, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Plan.objects.exists()


def test_bad_calls_per_month_and_foreign_customers_answer_400(pw, api):
    client = api(pw.rep_x)
    many = body(pw, targets=[{"customer": str(pw.cx.pk), "calls_per_month": 99}])
    assert client.post(URL, many, format="json").status_code == 400
    foreign = body(pw, targets=[{"customer": str(pw.cy.pk)}])
    assert client.post(URL, foreign, format="json").status_code == 400
    twice = body(pw, targets=[{"customer": str(pw.cx.pk)}, {"customer": str(pw.cx.pk)}])
    response = client.post(URL, twice, format="json")
    assert response.status_code == 400 and "targets" in response.json()["errors"]


@pytest.mark.parametrize("persona", ["dm_x", "regional", "admin"])
def test_only_reps_create_plans(pw, api, persona):
    response = api(getattr(pw, persona)).post(URL, body(pw), format="json")
    assert response.status_code == 403


def test_anonymous_is_401(pw, api):
    assert api(None).get(URL).status_code == 401


def test_update_with_if_match(pw, api):
    client = api(pw.rep_x)
    plan_id = client.post(URL, body(pw), format="json").json()["id"]

    ok = client.patch(f"{URL}{plan_id}/", {"goals": "New"}, format="json", HTTP_IF_MATCH='"1"')
    stale = client.patch(f"{URL}{plan_id}/", {"goals": "Lost"}, format="json", HTTP_IF_MATCH='"1"')

    assert ok.status_code == 200 and ok.json()["goals"] == "New" and ok["ETag"] == '"2"'
    assert stale.status_code == 412
    assert stale.json()["goals"] == "New" and stale.json()["version"] == 2
    moved = client.patch(f"{URL}{plan_id}/", {"quarter": "2027-Q1"}, format="json")
    assert moved.status_code == 400


def test_the_journey_over_the_api(pw, api):
    rep, dm = api(pw.rep_x), api(pw.dm_x)
    plan_id = rep.post(URL, body(pw), format="json").json()["id"]
    plan_url = f"{URL}{plan_id}/"

    assert rep.post(f"{plan_url}submit/").json()["status"] == "submitted"
    assert rep.patch(plan_url, {"goals": "x"}, format="json").status_code == 409
    no_comment = dm.post(f"{plan_url}return/", {}, format="json")
    assert no_comment.status_code == 400 and "comment" in no_comment.json()["errors"]
    returned = dm.post(f"{plan_url}return/", {"comment": "More B customers"}, format="json")
    assert returned.status_code == 200
    assert returned.json()["status"] == "returned"
    assert returned.json()["comment"] == "More B customers"
    assert dm.post(f"{plan_url}approve/").status_code == 409
    assert rep.patch(plan_url, {"goals": "Revised"}, format="json").status_code == 200
    assert rep.post(f"{plan_url}submit/").status_code == 200
    approved = dm.post(f"{plan_url}approve/")
    assert approved.status_code == 200
    data = approved.json()
    assert data["status"] == "approved"
    assert [v["number"] for v in data["versions"]] == [1]
    assert data["versions"][0]["snapshot"]["goals"] == "Revised"
    assert rep.post(f"{plan_url}revise/").json()["status"] == "draft"


def test_actions_honour_if_match(pw, api):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    dm = api(pw.dm_x)
    # Two tabs read version 1; the first approves, the second's return is stale.
    first = dm.post(f"{URL}{plan.pk}/approve/", HTTP_IF_MATCH='"1"')
    second = dm.post(
        f"{URL}{plan.pk}/return/", {"comment": "No"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert first.status_code == 200
    assert second.status_code == 412 and second.json()["status"] == "approved"


def test_a_rep_cannot_decide(pw, api):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    assert api(pw.rep_x).post(f"{URL}{plan.pk}/approve/").status_code == 403
    assert api(pw.regional).post(f"{URL}{plan.pk}/approve/").status_code == 403


def test_scope_of_the_actions(pw, api):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    assert api(pw.dm_y).post(f"{URL}{plan.pk}/approve/").status_code == 404
    assert api(pw.outsider_rep).post(f"{URL}{plan.pk}/submit/").status_code == 404
    assert api(pw.mate_x).get(f"{URL}{plan.pk}/").status_code == 404  # not approved: not shared
    assert api(pw.admin).post(f"{URL}{plan.pk}/approve/").status_code == 200
    # Approved: the colleague reads, never writes.
    mate = api(pw.mate_x)
    assert mate.get(f"{URL}{plan.pk}/").status_code == 200
    assert mate.post(f"{URL}{plan.pk}/revise/").status_code == 403
    assert mate.patch(f"{URL}{plan.pk}/", {"goals": "x"}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("rep_x", {"x", "mate"}),
        ("mate_x", {"mate"}),
        ("cv_x", {"draft_x"}),
        ("rep_y", set()),
        ("outsider_rep", set()),
        ("dm_x", {"x", "mate", "draft_x"}),
        ("dm_y", set()),
        ("regional", {"x", "mate", "draft_x"}),
        ("admin", {"x", "mate", "draft_x"}),
    ],
)
def test_the_list_is_scoped(pw, api, persona, visible, django_assert_max_num_queries):
    plans = {  # draft_x: cv_x's draft in district X
        "x": make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)]),
        "mate": make_plan(pw.mate_x, pw.tmate, status=PlanStatus.APPROVED, targets=[(pw.cm, 1)]),
        "draft_x": make_plan(pw.cv_x, pw.tcv, status=PlanStatus.DRAFT),
    }
    if persona == "rep_x":
        plans.pop("mate")  # rep_x sees mate's approved plan too
        visible = visible | {"mate"}
        plans["mate"] = Plan.objects.get(rep=pw.mate_x)
    client = api(getattr(pw, persona))
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    ids = {r["id"] for r in response.json()["results"]}
    assert ids == {str(plans[k].pk) for k in visible}


def test_list_queries_do_not_grow(pw, api, django_assert_max_num_queries):
    from tests.factories import CustomerFactory, TerritoryFactory, UserFactory

    for i in range(6):
        rep = UserFactory(username=f"r{i}")
        territory = TerritoryFactory(district=pw.district_x, holder=rep)
        customers = [CustomerFactory(territory=territory) for _ in range(3)]
        make_plan(rep, territory, targets=[(c, 2) for c in customers])
    with django_assert_max_num_queries(12):
        response = api(pw.dm_x).get(URL + "?status=draft")
    assert len(response.json()["results"]) == 6


def test_filters(pw, api):
    make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED)
    client = api(pw.dm_x)
    assert len(client.get(URL + "?status=submitted").json()["results"]) == 1
    assert client.get(URL + "?status=approved").json()["results"] == []
    assert len(client.get(URL + f"?quarter={QUARTER}").json()["results"]) == 1
