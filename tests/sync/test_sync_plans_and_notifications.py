"""Plans and notifications in the sync: a rep receives their own plans and notifications and the
approved plans of colleagues of the same team and district; a plan revised (no longer approved)
leaves the colleague as a delete; reading all notifications reaches the client."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from notifications import services as notification_services
from notifications.models import Rule
from planning import services as plan_services
from planning.models import PlanStatus
from tests.factories import TerritoryFactory, UserFactory
from tests.planning.factories import make_plan
from tests.sync.conftest import apply, sync_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def mates(world):
    mate = UserFactory(username="mate_x")
    tmate = TerritoryFactory(district=world.district_x, team=world.tx.team, holder=mate)
    world.mate, world.tmate = mate, tmate
    return world


def test_plans_sync_to_their_rep_and_approved_ones_to_colleagues(mates, api):
    w = mates
    plan = make_plan(w.rep_x, w.tx, status=PlanStatus.SUBMITTED)
    mine, _cursor = sync_all(api(w.rep_x), types="plans")
    theirs, cursor = sync_all(api(w.mate), types="plans")
    assert {c["data"]["id"] for c in mine} == {str(plan.pk)}
    assert apply({}, theirs) == {}  # not approved yet

    plan_services.plan_approve(by=w.dm_x, plan=plan)
    changes, cursor = sync_all(api(w.mate), since=cursor, types="plans")
    state = apply({}, changes)
    assert state[("plans", str(plan.pk))]["status"] == "approved"
    assert apply({}, sync_all(api(w.rep_y), types="plans")[0]) == {}  # another district

    plan.refresh_from_db()
    plan_services.plan_revise(by=w.rep_x, plan=plan)
    changes, _cursor = sync_all(api(w.mate), since=cursor, types="plans")
    assert apply(state, changes) == {}  # a revision in progress is no longer shared


def test_notifications_sync_to_their_owner_only(world, api):
    world.rep_x.email = ""
    world.rep_x.save()
    now = datetime.datetime(2026, 3, 27, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    notification_services.rule_run(Rule.NO_PIM, now=now)
    client = api(world.rep_x)

    changes, cursor = sync_all(client, types="notifications")
    state = apply({}, changes)
    assert [n["read"] for n in state.values()] == [False]
    assert not set(apply({}, sync_all(api(world.rep_y), types="notifications")[0])) & set(state)

    notification_services.notifications_read_all(user=world.rep_x)
    changes, _cursor = sync_all(client, since=cursor, types="notifications")
    assert [n["read"] for n in apply(state, changes).values()] == [True]
