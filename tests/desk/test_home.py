"""The managers' home (desk): the inbox shows exactly what waits in the manager's scope and
forgets it once acted on; the pulse flags the reps behind from the snapshots; a rep still gets
Today and an admin the overview; both languages render."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from calls.models import CallStatus
from calls.services import amendment_reject, coaching_comment_create
from desk import selectors
from org.models import Role
from planning.models import JointCallProposal
from planning.services import plan_approve
from tests.calls.factories import make_call
from tests.desk.conftest import snapshot
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def home(client):
    page = client.get(reverse("home"))
    assert page.status_code == 200
    return page


def test_a_dm_home_is_the_desk_with_their_districts_waiting_items_only(dw, login):
    page = home(login(dw.dm_x))
    html = page.content.decode()

    assert page.templates[0].name == "desk/home.html"
    inbox = page.context["inbox"]
    assert [p.pk for p in inbox["plans"]["rows"]] == [dw.x.plan.pk]
    assert [a.pk for a in inbox["amendments"]["rows"]] == [dw.x.amendment.pk]
    assert [c.pk for c in inbox["coaching"]["rows"]] == [dw.x.call.pk]
    assert inbox["plans"]["total"] == inbox["amendments"]["total"] == 1
    # One click to act: the plan's page, the amendment's review, the call to coach.
    assert reverse("planning:detail", args=[dw.x.plan.pk]) in html
    assert reverse("calls:amendment", args=[dw.x.amendment.pk]) in html
    assert reverse("calls:detail", args=[dw.x.call.pk]) in html
    # Another district's items are not shown.
    for pk in (dw.y.plan.pk, dw.y.old.pk, dw.y.call.pk):
        assert str(pk) not in html
    assert "2 days" in html  # the plan waits since two days


def test_plans_are_listed_oldest_first_with_the_days_waiting(dw, login):
    from planning.models import PlanStatus
    from tests.planning.factories import make_plan

    mate = UserFactory(username="mate")
    TerritoryFactory(district=dw.district_x, holder=mate, code="TX2")
    older = make_plan(
        mate,
        mate.territories.get(),
        status=PlanStatus.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=5),
    )

    rows = home(login(dw.dm_x)).context["inbox"]["plans"]["rows"]

    assert [p.pk for p in rows] == [older.pk, dw.x.plan.pk]
    assert [p.days for p in rows] == [5, 2]


def test_items_disappear_once_acted_on(dw, login):
    client = login(dw.dm_x)
    proposer = dw.rep_x
    own = make_call(
        dw.tx,
        [dw.cx],
        rep=dw.dm_x,
        status=CallStatus.PLANNED,
        date=timezone.localdate() + datetime.timedelta(days=2),
    )
    proposal = JointCallProposal.objects.create(call=own, proposer=proposer, note="Let me join")
    inbox = home(client).context["inbox"]
    assert [p.pk for p in inbox["joint"]["rows"]] == [proposal.pk]
    assert reverse("planning:joint_decide", args=[proposal.pk]) in home(client).content.decode()

    plan_approve(by=dw.dm_x, plan=dw.x.plan)
    amendment_reject(by=dw.dm_x, amendment=dw.x.amendment, comment="Keep it as logged")
    coaching_comment_create(by=dw.dm_x, call=dw.x.call, text="Good opening")
    response = client.post(
        reverse("planning:joint_decide", args=[proposal.pk]),
        {"decision": "accept", "next": reverse("home")},
    )
    assert response.status_code == 302 and response.url == reverse("home")

    inbox = home(client).context["inbox"]
    assert all(inbox[k]["total"] == 0 for k in ("plans", "amendments", "joint", "coaching"))
    assert inbox["coaching"]["rows"] == []


def test_coaching_keeps_to_the_last_seven_days_newest_first_top_ten(dw, login):
    today = timezone.localdate()
    calls = [
        make_call(dw.tx, [dw.cx], date=today - datetime.timedelta(days=n % 7)) for n in range(11)
    ]
    make_call(dw.tx, [dw.cx], date=today - datetime.timedelta(days=selectors.COACHING_DAYS))
    make_call(dw.tx, [dw.cx], status=CallStatus.PLANNED, date=today)

    page = home(login(dw.dm_x))
    coaching = page.context["inbox"]["coaching"]

    assert coaching["total"] == len(calls) + 1  # and the fixture's call of yesterday
    assert len(coaching["rows"]) == selectors.FIRST_ITEMS
    dates = [c.date for c in coaching["rows"]]
    assert dates == sorted(dates, reverse=True)
    assert reverse("desk:coaching") in page.content.decode()
    listing = login(dw.dm_x).get(reverse("desk:coaching"))
    assert listing.status_code == 200
    assert listing.context["page"].paginator.count == coaching["total"]


def test_the_pulse_flags_the_reps_behind_and_links_their_dashboards(dw, login):
    mate = UserFactory(username="mate_on_track", name="达标", name_en="On Track")
    on_track = TerritoryFactory(district=dw.district_x, holder=mate, code="TX3", team=dw.tx.team)
    today = timezone.localdate()
    snapshot(dw.tx, calls=10, days=5, a=(10, 0), b=(10, 0))  # 2.0 a day against 10: behind
    snapshot(on_track, calls=60, days=5, a=(4, 4), b=(6, 6))  # 12 a day, 100 %: on track

    page = home(login(dw.dm_x))
    pulse = page.context["pulse"]
    html = page.content.decode()

    assert [line["territory"].pk for line in pulse["lines"]] == [dw.tx.pk, on_track.pk]
    behind, fine = pulse["lines"]
    assert behind["behind"] and behind["call_rate_state"] == "unmet"
    assert not fine["behind"] and fine["frequency_pct"] == "100 %"
    assert pulse["behind"] == 1
    assert f"{reverse('reports:dashboard')}?territory={dw.tx.pk}" in html
    assert "On Track" in html
    assert pulse["freshness"]["as_of"] is not None and "as of" in html
    assert selectors.month_elapsed(today) == pulse["pace"]


def test_frequency_is_judged_against_the_pace_of_the_month():
    day = datetime.date(2026, 11, 15)
    assert selectors.month_elapsed(day) == 0.5
    assert selectors.month_elapsed(datetime.date(2026, 11, 30)) == 1


def test_a_regional_manager_sees_the_region_with_a_district_column(dw, login):
    snapshot(dw.tx, calls=10, days=5, a=(10, 0))
    snapshot(dw.ty, calls=60, days=5, a=(4, 4))

    page = home(login(dw.regional))
    html = page.content.decode()

    assert page.context["regional"] is True
    inbox = page.context["inbox"]
    assert {p.pk for p in inbox["plans"]["rows"]} == {dw.x.plan.pk, dw.y.plan.pk}
    assert {a.pk for a in inbox["amendments"]["rows"]} == {dw.x.amendment.pk, dw.y.amendment.pk}
    assert {c.pk for c in inbox["coaching"]["rows"]} == {dw.x.call.pk, dw.y.call.pk}
    districts = {row["district"].pk: row for row in page.context["pulse"]["districts"]}
    assert districts[dw.district_x.pk]["behind"] == 1
    assert districts[dw.district_y.pk]["behind"] == 0
    assert f"{reverse('reports:dashboard')}?district={dw.district_y.pk}" in html
    assert "Plans waiting for their DM" in html


def test_a_dm_of_another_district_sees_none_of_it(dw, login):
    inbox = home(login(dw.dm_y)).context["inbox"]

    assert [p.pk for p in inbox["plans"]["rows"]] == [dw.y.plan.pk]
    assert [a.pk for a in inbox["amendments"]["rows"]] == [dw.y.amendment.pk]


def test_a_rep_gets_today_and_an_admin_the_overview(dw, login):
    assert home(login(dw.rep_x)).templates[0].name == "calls/today.html"
    assert home(login(dw.admin)).templates[0].name == "org/home.html"
    assert login(dw.rep_x).get(reverse("desk:coaching")).status_code == 404


def test_anonymous_goes_to_the_login(client, dw):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_a_manager_without_district_gets_an_empty_desk(db, login):
    lonely = UserFactory(username="lonely", role=Role.DM)
    html = home(login(lonely)).content.decode()
    assert "You manage no district yet." in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_desk_renders_in_both_languages(dw, login, language):
    snapshot(dw.tx, calls=10, days=5, a=(10, 0))
    dw.dm_x.language = language
    dw.dm_x.save(update_fields=["language"])
    dw.regional.language = language
    dw.regional.save(update_fields=["language"])
    with translation.override(language):
        dm = home(login(dw.dm_x)).content.decode()
        rm = home(login(dw.regional)).content.decode()
    if language == "zh-hans":
        for text in ("待审批的计划", "修改申请", "待辅导", "落后"):
            assert text in dm, text
        assert "各地区本月情况" in rm
        assert "Plans waiting" not in dm and "Coaching to do" not in dm
    else:
        assert "Plans waiting for your approval" in dm and "Coaching to do" in dm
        assert "Districts this month" in rm


def test_the_navigation_names_a_managers_home_desk_and_a_reps_today(dw, login):
    dm = home(login(dw.dm_x)).context["nav_items"][0]
    rep = home(login(dw.rep_x)).context["nav_items"][0]

    assert (dm["url"], str(dm["label"]), dm["active"]) == ("/", "Desk", True)
    assert str(rep["label"]) == "Today"
