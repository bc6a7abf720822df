"""Two DMs (or two tabs) decide the same plan at the same moment: one wins, nothing is lost.
PostgreSQL only (SQLite serialises writers on the whole database, so there is no race to lose)."""

import threading

import pytest
from django.db import connection, connections

from core.concurrency import Conflict
from planning import services
from planning.models import PlanEvent, PlanStatus, PlanVersion
from tests.planning.factories import make_plan

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]


def race(*actions):
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait()
            results[i] = action()
        except Exception as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.parametrize("repeat", range(5))
def test_approve_and_return_at_once_have_one_winner(pw, repeat):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])

    results = race(
        lambda: services.plan_approve(by=pw.dm_x, plan=plan),
        lambda: services.plan_return(by=pw.admin, plan=plan, comment="Add B customers"),
    )

    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1, results
    plan.refresh_from_db()
    decisions = list(PlanEvent.objects.filter(plan=plan).values_list("action", flat=True))
    assert len(decisions) == 1
    if plan.status == PlanStatus.APPROVED:
        assert decisions == ["approved"] and PlanVersion.objects.filter(plan=plan).count() == 1
    else:
        assert plan.status == PlanStatus.RETURNED
        assert decisions == ["returned"] and plan.comment == "Add B customers"
        assert not PlanVersion.objects.exists()
    assert plan.version == 2  # one change, not two


def test_two_tabs_approving_keep_one_version(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    results = race(
        lambda: services.plan_approve(by=pw.dm_x, plan=plan),
        lambda: services.plan_approve(by=pw.dm_x, plan=plan),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_two_concurrent_creates_of_one_quarter_leave_one_plan(pw):
    from planning.models import Plan
    from tests.planning.conftest import QUARTER

    results = race(
        lambda: services.plan_create(by=pw.rep_x, quarter=QUARTER, targets=[]),
        lambda: services.plan_create(by=pw.rep_x, quarter=QUARTER, targets=[]),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert Plan.objects.count() == 1
