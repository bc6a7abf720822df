"""The plan pages: rep and DM journeys, translated messages for illegal changes, scope, and query
counts that do not grow with the data."""

import pytest
from django.utils import timezone

from calls.models import Call, CallStatus
from planning.models import JointCallProposal, Plan, PlanStatus
from tests.calls.factories import make_call
from tests.factories import CustomerFactory
from tests.planning.conftest import QUARTER
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db


def test_a_rep_starts_edits_and_submits_a_plan(pw, login):
    client = login(pw.rep_x)
    page = client.get("/plans/")
    assert f"Start the plan for {QUARTER}" in page.content.decode()

    response = client.post("/plans/new/", {"quarter": QUARTER})
    plan = Plan.objects.get()
    assert response.url == f"/plans/{plan.pk}/edit/"
    form = client.get(response.url).content.decode()
    assert "王建国" in form and "陈芳" in form  # candidates of the territory
    assert "赵伟" not in form  # a colleague's customer

    response = client.post(
        f"/plans/{plan.pk}/edit/",
        {"goals": "Grow Oncovia", "add": [str(pw.cx.pk), str(pw.cx2.pk)]},
    )
    assert response.status_code == 302
    assert {t.customer_id: t.calls_per_month for t in plan.targets.all()} == {
        pw.cx.pk: 4,
        pw.cx2.pk: 1,
    }
    key = str(pw.cx.pk)
    client.post(
        f"/plans/{plan.pk}/edit/",
        {
            "goals": "Grow Oncovia",
            f"n-{key}": "5",
            f"obj-{key}": "PFS data",
            f"act-{key}": "Speaker at the Renji PIM",
            f"remove-{pw.cx2.pk}": "1",
            "focus": [key],
            "meetings": "Renji PIM: Wang, Chen",
            "then": "submit",
        },
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    target = plan.targets.get()
    assert (target.calls_per_month, target.objective) == (5, "PFS data")
    month = plan.months.get()
    assert list(month.focus.all()) == [pw.cx] and month.meetings == "Renji PIM: Wang, Chen"


def test_bad_input_on_the_form_shows_a_message_and_keeps_the_plan(pw, login):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    response = login(pw.rep_x).post(
        f"/plans/{plan.pk}/edit/", {"goals": "x", f"n-{pw.cx.pk}": "many"}
    )
    assert response.status_code == 200
    assert "Planned calls per month are between 0 and 31." in response.content.decode()
    assert plan.targets.get().calls_per_month == 4


def test_the_dm_returns_and_the_rep_sees_the_comment(pw, login, client):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    dm = login(pw.dm_x)
    inbox = dm.get("/plans/").content.decode()
    assert f"/plans/{plan.pk}/" in inbox

    page = dm.get(f"/plans/{plan.pk}/").content.decode()
    assert "Approve" in page and "Return to the rep" in page
    dm.post(f"/plans/{plan.pk}/return/", {"comment": "Add the Renji PIM"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED

    page = login(pw.rep_x).get(f"/plans/{plan.pk}/").content.decode()
    assert "Add the Renji PIM" in page and 'role="alert"' in page


def test_an_illegal_change_in_the_browser_is_a_clear_message(pw, login):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.APPROVED, targets=[(pw.cx, 4)])
    response = login(pw.dm_x).post(f"/plans/{plan.pk}/approve/", follow=True)
    assert "Only a submitted plan can be approved; this one is approved." in (
        response.content.decode()
    )
    response = login(pw.rep_x).post(f"/plans/{plan.pk}/edit/", {"goals": "x"}, follow=True)
    assert "read-only" in response.content.decode()


def test_a_return_without_comment_is_refused(pw, login):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    response = login(pw.dm_x).post(f"/plans/{plan.pk}/return/", {"comment": ""}, follow=True)
    assert "Say what the rep should change." in response.content.decode()


def test_the_diff_against_the_approved_version_shows(pw, login):
    from planning import services

    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.SUBMITTED, targets=[(pw.cx, 4)])
    services.plan_approve(by=pw.dm_x, plan=plan)
    services.plan_revise(by=pw.rep_x, plan=plan)
    services.plan_update(
        by=pw.rep_x, plan=plan, targets=[{"customer": pw.cx}, {"customer": pw.cx2}]
    )
    services.plan_submit(by=pw.rep_x, plan=plan)
    page = login(pw.dm_x).get(f"/plans/{plan.pk}/").content.decode()
    assert "Changes since approved version 1" in page
    assert "+ 陈芳" in page
    version = login(pw.rep_x).get(f"/plans/{plan.pk}/versions/1/")
    assert version.status_code == 200 and "王建国" in version.content.decode()


@pytest.mark.parametrize(
    ("persona", "status_code"),
    [("rep_y", 404), ("dm_y", 404), ("outsider_rep", 404), ("cv_x", 404), ("mate_x", 404)],
)
def test_a_draft_plan_is_invisible_outside_scope(pw, login, persona, status_code):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    assert login(getattr(pw, persona)).get(f"/plans/{plan.pk}/").status_code == status_code


def test_a_colleague_reads_an_approved_plan_but_cannot_edit(pw, login):
    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.APPROVED, targets=[(pw.cx, 4)])
    client = login(pw.mate_x)
    assert "read only" in client.get(f"/plans/{plan.pk}/").content.decode()
    assert str(plan.pk) in client.get("/plans/").content.decode()
    assert client.get(f"/plans/{plan.pk}/edit/").status_code == 403
    assert client.post(f"/plans/{plan.pk}/revise/").status_code == 403
    assert client.post(f"/plans/{plan.pk}/approve/").status_code == 403


def test_the_week_itinerary_plans_a_visit_that_shows_on_today(pw, login):
    make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4), (pw.cx2, 1)])
    client = login(pw.rep_x)
    today = timezone.localdate()
    page = client.get("/plans/week/").content.decode()
    assert page.index("王建国") < page.index("陈芳")  # furthest below frequency first

    client.post("/plans/week/", {"day": today.isoformat(), "customers": [str(pw.cx.pk)]})
    call = Call.objects.get()
    assert call.status == CallStatus.PLANNED and call.date == today
    assert f"/calls/{call.pk}/log/" in client.get("/").content.decode()  # on Today

    client.post(f"/plans/week/{call.pk}/remove/")
    call.refresh_from_db()
    assert call.status == CallStatus.CANCELLED


def test_a_rep_proposes_a_joint_call_and_the_colleague_accepts(pw, login):
    today = timezone.localdate()
    call = make_call(pw.tmate, [pw.cm], status=CallStatus.PLANNED, date=today)
    rep = login(pw.rep_x)
    assert "赵伟" in rep.get("/plans/week/").content.decode()
    rep.post(f"/plans/joint/{call.pk}/", {"note": ""})
    proposal = JointCallProposal.objects.get()

    mate = login(pw.mate_x)
    assert "Colleagues want to join your visits" in mate.get("/plans/week/").content.decode()
    mate.post(f"/plans/joint/{proposal.pk}/decide/", {"decision": "accept"})
    proposal.refresh_from_db()
    assert proposal.status == "accepted"


def test_other_districts_itineraries_do_not_show(pw, login):
    make_call(pw.ty, [pw.cy], status=CallStatus.PLANNED, date=timezone.localdate())
    page = login(pw.rep_x).get("/plans/week/").content.decode()
    assert "李明" not in page


def _grow(pw, n):
    for _ in range(n):
        customer = CustomerFactory(institution=pw.hx, territory=pw.tx)
        make_call(pw.tx, [customer], date=timezone.localdate())
        make_call(pw.tx, [customer], status=CallStatus.PLANNED, date=timezone.localdate())
        Plan.objects.get(rep=pw.rep_x).targets.create(customer=customer, calls_per_month=2)
        mate_customer = CustomerFactory(institution=pw.hx, territory=pw.tmate)
        make_call(pw.tmate, [mate_customer], status=CallStatus.PLANNED, date=timezone.localdate())


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("rep_x", "/plans/"),
        ("rep_x", "/plans/{pk}/"),
        ("rep_x", "/plans/{pk}/edit/"),
        ("rep_x", "/plans/week/"),
        ("dm_x", "/plans/"),
        ("dm_x", "/plans/{pk}/"),
    ],
)
def test_page_queries_do_not_grow(pw, login, who, url, django_assert_max_num_queries):
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    make_plan(pw.mate_x, pw.tmate, status=PlanStatus.APPROVED, targets=[(pw.cm, 1)])
    client = login(getattr(pw, who))
    url = url.format(pk=plan.pk)
    _grow(pw, 1)
    with django_assert_max_num_queries(40) as small:
        assert client.get(url).status_code == 200
    _grow(pw, 6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_admin_lists_plans_read_only(pw, client):
    from django.urls import reverse

    plan = make_plan(pw.rep_x, pw.tx, status=PlanStatus.APPROVED, targets=[(pw.cx, 4)])
    pw.admin.is_superuser = pw.admin.is_staff = True
    pw.admin.save()
    client.force_login(pw.admin)
    assert client.get(reverse("admin:plans_plan_changelist"), {"q": "rep_x"}).status_code == 200
    page = client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    assert page.status_code == 200
    assert client.get(reverse("admin:plans_jointcallproposal_changelist")).status_code == 200


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("https://evil.example/", "/plans/week/"),
        ("//evil.example/", "/plans/week/"),
        ("", "/plans/week/"),
        ("/plans/week/?start=2026-11-23", "/plans/week/?start=2026-11-23"),
    ],
)
def test_deciding_a_joint_call_goes_back_only_to_a_page_of_this_site(pw, login, next_url, lands_on):
    call = make_call(pw.tmate, [pw.cm], status=CallStatus.PLANNED, date=timezone.localdate())
    login(pw.rep_x).post(f"/plans/joint/{call.pk}/", {"note": ""})
    proposal = JointCallProposal.objects.get()

    response = login(pw.mate_x).post(
        f"/plans/joint/{proposal.pk}/decide/", {"decision": "accept", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == lands_on


def test_switching_the_language_goes_back_only_to_a_page_of_this_site(pw, login):
    response = login(pw.rep_x).post(
        "/language/", {"language": "en", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"
