"""plans/ keeps API.md's promises when requests arrive at the same moment: of several PATCHes
(or actions) with the same `If-Match` exactly one succeeds, the others answer 412 with the
winner's plan; several copies of one create store one plan and all answer it; the same id with
other content is a 409. Races on PostgreSQL; the rule (compared under the lock) anywhere."""

from functools import partial

import pytest

from core.concurrency import Stale
from planning import services
from planning.api import PlanViewSet
from planning.models import Plan, PlanEvent, PlanStatus
from tests.calls.test_api_concurrency import WRITERS, postgres_only, send_at_once
from tests.planning.factories import make_plan
from tests.planning.test_api import URL, body


def _codes(responses):
    return sorted(r.status_code for r in responses)


@postgres_only
@pytest.mark.parametrize("repeat", range(3))
def test_concurrent_patches_with_one_if_match_have_one_winner(pw, api, repeat):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    url = f"{URL}{plan.pk}/"
    clients = [api(pw.rep_x) for _ in range(WRITERS)]

    responses = send_at_once(
        [
            partial(c.patch, url, {"goals": f"writer {i}"}, format="json", HTTP_IF_MATCH='"1"')
            for i, c in enumerate(clients)
        ]
    )

    assert _codes(responses) == [200] + [412] * (WRITERS - 1), [r.json() for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    plan.refresh_from_db()
    assert (plan.version, plan.goals) == (2, winner["goals"])
    for loser in (r for r in responses if r.status_code == 412):
        assert (loser.json()["version"], loser.json()["goals"]) == (2, winner["goals"])
        assert loser.json()["errors"] == {} and loser["ETag"] == '"2"'


@postgres_only
def test_a_patch_and_a_submit_with_one_if_match_have_one_winner(pw, api):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    url = f"{URL}{plan.pk}/"
    editor, submitter = api(pw.rep_x), api(pw.rep_x)

    responses = send_at_once(
        [
            partial(editor.patch, url, {"goals": "late edit"}, format="json", HTTP_IF_MATCH='"1"'),
            partial(submitter.post, f"{url}submit/", HTTP_IF_MATCH='"1"'),
        ]
    )

    assert _codes(responses) == [200, 412]
    plan.refresh_from_db()
    assert plan.version == 2
    submitted = plan.status == PlanStatus.SUBMITTED
    assert submitted == (plan.goals == ""), "the submitted plan is what the DM reads"


@postgres_only
def test_concurrent_identical_creates_store_one_plan_and_all_answer_it(pw, api):
    data = body(pw, id="0d4c2b8e-3f7a-4d2e-9c61-5a0e7b9f1c01")
    clients = [api(pw.rep_x) for _ in range(WRITERS)]

    responses = send_at_once([partial(c.post, URL, data, format="json") for c in clients])

    assert _codes(responses) == [200] * (WRITERS - 1) + [201], [r.json() for r in responses]
    assert {r.json()["id"] for r in responses} == {data["id"]}
    assert Plan.objects.count() == 1
    assert PlanEvent.objects.count() == 1  # one "created"


@postgres_only
def test_concurrent_creates_of_one_id_with_other_content_store_one_and_refuse_the_rest(pw, api):
    plan_id = "0d4c2b8e-3f7a-4d2e-9c61-5a0e7b9f1c02"
    clients = [api(pw.rep_x) for _ in range(WRITERS)]

    responses = send_at_once(
        [
            partial(c.post, URL, body(pw, id=plan_id, goals=f"writer {i}"), format="json")
            for i, c in enumerate(clients)
        ]
    )

    assert _codes(responses) == [201] + [409] * (WRITERS - 1), [r.json() for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert Plan.objects.get().goals == winner["goals"]


# --- on any database: the rule ---------------------------------------------------------------


@pytest.fixture
def someone_writes_after_the_read(monkeypatch):
    """Right after the request's first read of the plan another writer changes it."""
    original = PlanViewSet.get_object
    done = []

    def get_object(self):
        plan = original(self)
        if not done:
            done.append(True)
            services.plan_update(by=plan.rep, plan=plan, goals="the other writer's")
        return plan

    monkeypatch.setattr(PlanViewSet, "get_object", get_object)


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["patch", "submit"])
def test_a_change_between_the_read_and_the_lock_is_a_412_and_kept(
    pw, api, someone_writes_after_the_read, how
):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    client = api(pw.rep_x)

    if how == "patch":
        response = client.patch(
            f"{URL}{plan.pk}/", {"goals": "mine"}, format="json", HTTP_IF_MATCH='"1"'
        )
    else:
        response = client.post(f"{URL}{plan.pk}/submit/", HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert (response.json()["version"], response.json()["goals"]) == (2, "the other writer's")
    plan.refresh_from_db()
    assert (plan.version, plan.goals, plan.status) == (2, "the other writer's", PlanStatus.DRAFT)


@pytest.mark.django_db
def test_the_services_refuse_a_stale_expected_version_and_save_nothing(pw):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    services.plan_update(by=pw.rep_x, plan=plan, goals="first", expected_version=1)

    with pytest.raises(Stale):
        services.plan_update(by=pw.rep_x, plan=plan, goals="second", expected_version=1)
    with pytest.raises(Stale):
        services.plan_submit(by=pw.rep_x, plan=plan, expected_version=1)

    plan.refresh_from_db()
    assert (plan.version, plan.goals, plan.status) == (2, "first", PlanStatus.DRAFT)
    services.plan_submit(by=pw.rep_x, plan=plan, expected_version=2)
    with pytest.raises(Stale):
        services.plan_approve(by=pw.dm_x, plan=plan, expected_version=2)
    with pytest.raises(Stale):
        services.plan_return(by=pw.dm_x, plan=plan, comment="No", expected_version=2)
    assert services.plan_approve(by=pw.dm_x, plan=plan, expected_version=3).status == "approved"
