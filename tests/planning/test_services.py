"""Plan transitions (legal and illegal), scope, versions and diff, the itinerary and joint calls."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from calls import services as call_services
from calls.models import Call, CallStatus
from core.concurrency import Conflict
from planning import selectors, services
from planning.models import (
    JointCallStatus,
    Plan,
    PlanAction,
    PlanEvent,
    PlanStatus,
    PlanVersion,
)
from planning.signals import plan_event
from tests.planning.conftest import QUARTER
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db


def new_plan(pw, **kwargs):
    kwargs.setdefault("targets", [{"customer": pw.cx}, {"customer": pw.cx2, "calls_per_month": 2}])
    return services.plan_create(by=pw.rep_x, quarter=QUARTER, goals="Grow Oncovia", **kwargs)


def test_a_rep_starts_a_draft_with_the_class_requirement_as_default(pw):
    plan = new_plan(pw)

    assert plan.status == PlanStatus.DRAFT
    assert plan.territory == pw.tx
    rows = {t.customer_id: t.calls_per_month for t in plan.targets.all()}
    assert rows == {pw.cx.pk: 4, pw.cx2.pk: 2}  # A requires 4 a month; cx2 given explicitly
    assert PlanEvent.objects.get(plan=plan).action == PlanAction.CREATED


def test_the_default_follows_the_teams_own_requirement(pw):
    from reports.models import Requirement

    Requirement.objects.create(team=pw.tx.team, klass="C", calls_per_month=3)
    plan = new_plan(pw, targets=[{"customer": pw.cx2}])

    assert plan.targets.get().calls_per_month == 3


def test_one_plan_per_rep_and_quarter(pw):
    new_plan(pw)
    with pytest.raises(Conflict):
        new_plan(pw)
    assert Plan.objects.count() == 1


def test_a_plan_is_prefilled_from_last_quarters_plan(pw):
    from core.periods import parse

    previous = parse(QUARTER, "quarter").previous().key
    make_plan(pw.rep_x, pw.tx, quarter=previous, targets=[(pw.cx2, 3)])
    plan = services.plan_create(by=pw.rep_x, quarter=QUARTER)

    assert [(t.customer, t.calls_per_month) for t in plan.targets.all()] == [(pw.cx2, 1)]


def test_a_first_plan_starts_with_the_a_and_b_targets(pw):
    plan = services.plan_create(by=pw.rep_x, quarter=QUARTER)

    assert [(t.customer, t.calls_per_month) for t in plan.targets.all()] == [(pw.cx, 4)]


def test_only_a_rep_with_a_territory_plans(pw):
    with pytest.raises(PermissionDenied):
        services.plan_create(by=pw.dm_x, quarter=QUARTER)
    with pytest.raises(ValidationError):
        services.plan_create(by=pw.rep_x2, quarter=QUARTER)
    with pytest.raises(ValidationError):
        services.plan_create(by=pw.rep_x, quarter="2026-13")


def test_focus_customers_come_from_the_reps_territory(pw):
    with pytest.raises(ValidationError) as error:
        new_plan(pw, targets=[{"customer": pw.cy}])
    assert "not a customer of your territory" in str(error.value)
    assert not Plan.objects.exists()  # nothing half-written


def test_bad_calls_per_month_is_refused(pw):
    with pytest.raises(ValidationError):
        new_plan(pw, targets=[{"customer": pw.cx, "calls_per_month": 40}])


def test_the_full_journey_submit_return_revise_resubmit_approve(pw):
    plan = new_plan(pw)
    sent = []

    def receiver(**kwargs):
        sent.append(kwargs["action"])

    plan_event.connect(receiver)
    try:
        services.plan_submit(by=pw.rep_x, plan=plan)
        services.plan_return(by=pw.dm_x, plan=plan, comment="Add the Renji PIM")
        plan.refresh_from_db()
        assert plan.status == PlanStatus.RETURNED
        assert plan.comment == "Add the Renji PIM"
        services.plan_update(by=pw.rep_x, plan=plan, goals="Grow Oncovia; Renji PIM monthly")
        services.plan_submit(by=pw.rep_x, plan=plan)
        services.plan_approve(by=pw.dm_x, plan=plan)
    finally:
        plan_event.disconnect(receiver)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    version = PlanVersion.objects.get(plan=plan)
    assert version.number == 1 and version.approved_by == pw.dm_x
    assert version.snapshot["goals"] == "Grow Oncovia; Renji PIM monthly"
    events = list(plan.events.order_by("created_at", "pk").values_list("action", "actor__username"))
    assert events == [
        ("created", "rep_x"),
        ("submitted", "rep_x"),
        ("returned", "dm_x"),
        ("submitted", "rep_x"),
        ("approved", "dm_x"),
    ]
    assert selectors.latest_return(selectors.plan_get(pw.rep_x, plan.pk)).comment == (
        "Add the Renji PIM"
    )


def test_on_commit_signal_for_notifications(pw, django_capture_on_commit_callbacks):
    plan = new_plan(pw)
    sent = []

    def receiver(**kwargs):
        sent.append(kwargs["action"])

    plan_event.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.plan_submit(by=pw.rep_x, plan=plan)
    finally:
        plan_event.disconnect(receiver)
    assert sent == ["submitted"]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (PlanStatus.SUBMITTED, "submit"),
        (PlanStatus.APPROVED, "submit"),
        (PlanStatus.DRAFT, "approve"),
        (PlanStatus.RETURNED, "approve"),
        (PlanStatus.APPROVED, "approve"),
        (PlanStatus.DRAFT, "return"),
        (PlanStatus.APPROVED, "return"),
        (PlanStatus.RETURNED, "return"),
        (PlanStatus.DRAFT, "revise"),
        (PlanStatus.SUBMITTED, "revise"),
        (PlanStatus.RETURNED, "revise"),
        (PlanStatus.SUBMITTED, "update"),
        (PlanStatus.APPROVED, "update"),
    ],
)
def test_illegal_transitions_conflict_and_change_nothing(pw, status, action):
    plan = make_plan(pw.rep_x, pw.tx, status=status, targets=[(pw.cx, 4)])
    calls = {
        "submit": lambda: services.plan_submit(by=pw.rep_x, plan=plan),
        "approve": lambda: services.plan_approve(by=pw.dm_x, plan=plan),
        "return": lambda: services.plan_return(by=pw.dm_x, plan=plan, comment="No"),
        "revise": lambda: services.plan_revise(by=pw.rep_x, plan=plan),
        "update": lambda: services.plan_update(by=pw.rep_x, plan=plan, goals="x"),
    }
    with pytest.raises(Conflict):
        calls[action]()
    plan.refresh_from_db()
    assert plan.status == status and plan.version == 1
    assert not PlanEvent.objects.exists()


def test_a_revision_goes_back_to_draft_keeping_the_approved_version(pw):
    plan = new_plan(pw)
    services.plan_submit(by=pw.rep_x, plan=plan)
    services.plan_approve(by=pw.dm_x, plan=plan)

    services.plan_revise(by=pw.rep_x, plan=plan)
    services.plan_update(
        by=pw.rep_x,
        plan=plan,
        goals="Grow Oncovia in Renji",
        targets=[{"customer": pw.cx, "calls_per_month": 5, "objective": "Speaker for the PIM"}],
        months=[{"focus": [pw.cx], "meetings": "Renji PIM: Wang, Chen"}],
    )

    plan = selectors.plan_get(pw.rep_x, plan.pk)
    assert plan.status == PlanStatus.DRAFT
    version, changes = selectors.diff_to_last_approved(plan)
    assert version.number == 1
    assert changes["fields"] == [("goals", "Grow Oncovia", "Grow Oncovia in Renji")]
    assert [t["name"] for t in changes["removed"]] == [str(pw.cx2)]
    assert changes["changed"] == [
        (str(pw.cx), [("calls_per_month", 4, 5), ("objective", "", "Speaker for the PIM")])
    ]
    assert changes["months"][0][2]["meetings"] == "Renji PIM: Wang, Chen"
    services.plan_submit(by=pw.rep_x, plan=plan)
    services.plan_approve(by=pw.dm_x, plan=plan)
    assert list(plan.versions.values_list("number", flat=True)) == [2, 1]
    assert plan.versions.get(number=1).snapshot["goals"] == "Grow Oncovia"


def test_a_return_needs_a_comment(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    with pytest.raises(ValidationError):
        services.plan_return(by=pw.dm_x, plan=plan, comment="  ")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_a_plan_without_focus_customers_cannot_be_submitted(pw):
    plan = new_plan(pw, targets=[])
    with pytest.raises(ValidationError):
        services.plan_submit(by=pw.rep_x, plan=plan)


# --- scope ------------------------------------------------------------------------------------


def test_a_dm_cannot_decide_another_districts_plan(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    with pytest.raises(Http404):
        services.plan_approve(by=pw.dm_y, plan=plan)
    with pytest.raises(Http404):
        services.plan_return(by=pw.dm_y, plan=plan, comment="No")


def test_the_regional_manager_sees_but_does_not_decide(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    with pytest.raises(PermissionDenied):
        services.plan_approve(by=pw.regional, plan=plan)


def test_an_admin_decides_any_plan(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    services.plan_approve(by=pw.admin, plan=plan)
    assert PlanVersion.objects.get().approved_by == pw.admin


def test_a_rep_cannot_approve_their_own_plan(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    with pytest.raises(PermissionDenied):
        services.plan_approve(by=pw.rep_x, plan=plan)


def test_a_colleague_reads_but_never_edits_an_approved_plan(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.APPROVED, targets=[(pw.cx, 4)])
    assert selectors.plan_get(pw.mate_x, plan.pk) == plan
    with pytest.raises(PermissionDenied):
        services.plan_revise(by=pw.mate_x, plan=plan)
    with pytest.raises(PermissionDenied):
        services.plan_update(by=pw.mate_x, plan=plan, goals="mine now")


def test_a_draft_plan_is_not_shared(pw):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.DRAFT, targets=[(pw.cx, 4)])
    with pytest.raises(Http404):
        services.plan_update(by=pw.mate_x, plan=plan, goals="mine now")
    assert not Plan.objects.for_user(pw.mate_x).exists()


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("rep_x", True),
        ("mate_x", True),  # same team (approved only)
        ("far_mate", False),  # same team, other district: nothing of other districts
        ("cv_x", False),  # same district, other team
        ("rep_y", False),
        ("outsider_rep", False),
        ("dm_x", True),
        ("dm_y", False),
        ("regional", True),
        ("admin", True),
    ],
)
def test_who_sees_an_approved_plan(pw, persona, sees):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.APPROVED)
    assert Plan.objects.for_user(getattr(pw, persona)).filter(pk=plan.pk).exists() == sees


# --- the itinerary ----------------------------------------------------------------------------


def test_the_itinerary_plans_calls_that_show_on_today_and_become_completed(pw):
    from calls.selectors import planned_today

    today = timezone.localdate()
    make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)]).targets.update(objective="PFS data")
    calls = services.itinerary_add(by=pw.rep_x, day=today, customers=[pw.cx, pw.cx2])

    assert [c.status for c in calls] == [CallStatus.PLANNED] * 2
    assert calls[0].objective == "PFS data"
    itinerary = planned_today(pw.rep_x, today)
    assert itinerary[0][0] == pw.hx
    assert sum(len(c) for _inst, deps in itinerary for _d, c in deps) == 2

    call_services.call_complete(by=pw.rep_x, call=calls[0])
    assert Call.objects.get(pk=calls[0].pk).status == CallStatus.COMPLETED

    services.itinerary_remove(by=pw.rep_x, call=calls[1])
    assert Call.objects.get(pk=calls[1].pk).status == CallStatus.CANCELLED
    assert planned_today(pw.rep_x, today) == []


def test_the_itinerary_refuses_the_past_and_other_territories(pw):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.itinerary_add(
            by=pw.rep_x, day=today - datetime.timedelta(days=1), customers=[pw.cx]
        )
    with pytest.raises(ValidationError):
        services.itinerary_add(by=pw.rep_x, day=today, customers=[pw.cy])
    assert not Call.objects.exists()


def test_suggestions_put_the_furthest_below_frequency_first(pw):
    today = timezone.localdate()
    make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4), (pw.cx2, 1)])
    services.itinerary_add(by=pw.rep_x, day=today, customers=[pw.cx])

    rows = selectors.suggestions(pw.rep_x, today)
    assert [(r.customer, r.gap) for r in rows] == [(pw.cx, 3), (pw.cx2, 1)]


def test_colleagues_itineraries_are_shared_in_the_district_only(pw):
    today = timezone.localdate()
    mine = services.itinerary_add(by=pw.mate_x, day=today, customers=[pw.cm])[0]
    other = services.itinerary_add(by=pw.rep_y, day=today, customers=[pw.cy])[0]

    assert set(selectors.shared_calls(pw.rep_x)) == {mine}
    assert set(selectors.shared_calls(pw.cv_x)) == {mine}
    assert set(selectors.shared_calls(pw.far_mate)) == {other}
    assert not selectors.shared_calls(pw.outsider_rep).exists()


def test_a_joint_call_is_proposed_and_accepted(pw):
    today = timezone.localdate()
    call = services.itinerary_add(by=pw.mate_x, day=today, customers=[pw.cm])[0]

    proposal = services.joint_call_propose(by=pw.rep_x, call=call, note="Bring the PFS data")
    with pytest.raises(Conflict):
        services.joint_call_propose(by=pw.rep_x, call=call)
    with pytest.raises(Http404):
        services.joint_call_decide(by=pw.rep_x, proposal=proposal, accept=True)
    services.joint_call_decide(by=pw.mate_x, proposal=proposal, accept=True)

    proposal.refresh_from_db()
    assert proposal.status == JointCallStatus.ACCEPTED
    with pytest.raises(Conflict):
        services.joint_call_decide(by=pw.mate_x, proposal=proposal, accept=False)


def test_a_joint_call_outside_the_district_is_not_found(pw):
    call = services.itinerary_add(by=pw.rep_y, day=timezone.localdate(), customers=[pw.cy])[0]
    with pytest.raises(Http404):
        services.joint_call_propose(by=pw.rep_x, call=call)
