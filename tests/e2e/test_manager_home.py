"""At a 1440-px desk, zh-Hans first then English: the DM opens home, sees the waiting plan and
amendment in the inbox and the reps behind, and clicks through to the plan; the regional
manager sees the districts and the reps behind across them."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Amendment, CallStatus
from org.models import Role
from planning.models import JointCallProposal, PlanStatus
from tests.calls.factories import make_call
from tests.desk.conftest import snapshot
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory, TerritoryFactory, UserFactory
from tests.planning.factories import make_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/inbox")

TEXT = {
    "zh-hans": {
        "plans": "待审批的计划",
        "amendments": "修改申请",
        "districts": "各地区本月情况",
        "approve": "批准",
        "approved": "修改申请已批准，拜访已更正。",
    },
    "en": {
        "plans": "Plans waiting for your approval",
        "amendments": "Amendment requests",
        "districts": "Districts this month",
        "approve": "Approve",
        "approved": "Amendment approved: the call is corrected.",
    },
}

REPS = [
    ("张伟", "Zhang Wei", 42, 5, (8, 2), (12, 3)),
    ("李娜", "Li Na", 61, 5, (6, 5), (10, 9)),
    ("王芳", "Wang Fang", 55, 5, (7, 4), (9, 6)),
    ("刘洋", "Liu Yang", 30, 5, (9, 1), (11, 2)),
]


def desk_world(world):
    """District X with rep_x and four more reps (snapshots of this month, some behind), plans
    waiting, an amendment, calls to coach and a joint-visit proposal on the DM's visit; district
    Y with rep_y."""
    today = timezone.localdate()
    world.rep_x.name, world.rep_x.name_en = "陈静", "Chen Jing"
    world.rep_x.save()
    world.dm_x.name, world.dm_x.name_en = "赵敏", "Zhao Min"
    world.dm_x.save()
    world.regional.name, world.regional.name_en = "孙立", "Sun Li"
    world.regional.save()
    snapshot(world.tx, calls=48, days=5, a=(6, 3), b=(10, 6))
    snapshot(world.ty, calls=35, days=5, a=(5, 1), b=(8, 2))
    world.plan = make_plan(
        world.rep_x,
        world.tx,
        status=PlanStatus.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=4),
    )
    make_plan(world.rep_y, world.ty, status=PlanStatus.SUBMITTED, submitted_at=timezone.now())
    old = make_call(world.tx, [world.cx], date=today - datetime.timedelta(days=20))
    world.amendment = Amendment.objects.create(
        call=old,
        requested_by=world.rep_x,
        reason="Logged the wrong product: it was Oncovia, not Cardiva",
        changes={"objective": "Oncovia data"},
    )
    for i, (name, name_en, calls, days, a, b) in enumerate(REPS):
        rep = UserFactory(username=f"rep_d{i}", name=name, name_en=name_en)
        territory = TerritoryFactory(
            district=world.district_x,
            holder=rep,
            code=f"TX{i + 1}",
            team=world.tx.team,
            name=f"浦东{i + 1}区",
            name_en=f"Pudong {i + 1}",
        )
        customer = CustomerFactory(territory=territory, institution=world.hx)
        snapshot(territory, calls=calls, days=days, a=a, b=b)
        make_call(territory, [customer], date=today - datetime.timedelta(days=i))
        if i < 2:
            make_plan(
                rep,
                territory,
                status=PlanStatus.SUBMITTED,
                submitted_at=timezone.now() - datetime.timedelta(days=i + 1),
            )
    make_call(world.tx, [world.cx], date=today - datetime.timedelta(days=1))
    make_call(world.ty, [world.cy], date=today - datetime.timedelta(days=2))
    visit = make_call(
        world.tx,
        [world.cx],
        rep=world.dm_x,
        status=CallStatus.PLANNED,
        date=today + datetime.timedelta(days=2),
    )
    JointCallProposal.objects.create(call=visit, proposer=world.rep_x, note="Renji PIM together")
    return world


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dm_sees_the_waiting_plan_and_amendment_and_opens_the_plan(
    page: Page, live_server, world, language
):
    desk_world(world)
    world.dm_x.language = language
    world.dm_x.save(update_fields=["language"])
    text = TEXT[language]
    page.set_viewport_size(DESK)

    log_in(page, live_server, "dm_x")

    plans = page.get_by_role("region", name=text["plans"])
    expect(plans).to_be_visible()
    expect(plans.get_by_role("row")).to_have_count(4)  # the head and three plans of X
    amendments = page.get_by_role("region", name=text["amendments"])
    expect(amendments).to_contain_text("Oncovia")
    expect(page.get_by_text("Behind").or_(page.get_by_text("落后")).first).to_be_visible()
    rep = "陈静" if language == "zh-hans" else "Chen Jing"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    shot(page, f"dm_home_{language}")
    # Usable on a phone: one column, the wide tables scroll inside their card.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, f"dm_home_phone_{language}")
    page.set_viewport_size(DESK)

    # One click from the inbox to the amendment's change, approved there; home no longer lists it.
    amendments.get_by_role("link", name=rep).click()
    expect(page).to_have_url(f"{live_server.url}/calls/amendments/{world.amendment.pk}/")
    expect(page.locator("table.amendment-diff ins", has_text="Oncovia data")).to_be_visible()
    page.get_by_role("button", name=text["approve"], exact=True).click()
    expect(page.get_by_text(text["approved"])).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("region", name=text["amendments"]).get_by_role("row")).to_have_count(0)

    plans = page.get_by_role("region", name=text["plans"])
    plans.get_by_role("link", name=rep).click()
    expect(page).to_have_url(f"{live_server.url}/plans/{world.plan.pk}/")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_regional_manager_sees_the_districts_and_the_reps_behind(
    page: Page, live_server, world, language
):
    desk_world(world)
    world.regional.language = language
    world.regional.save(update_fields=["language"])
    assert world.regional.role == Role.REGIONAL
    page.set_viewport_size(DESK)

    log_in(page, live_server, "regional")

    districts = page.get_by_role("region", name=TEXT[language]["districts"])
    expect(districts.get_by_role("row")).to_have_count(3)  # the head, X and Y
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    shot(page, f"rm_home_{language}")
