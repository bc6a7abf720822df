"""The customer profile on a phone, in Chinese first, then English: what happened with this
doctor at the top, tap targets of at least 44 px and no horizontal scrolling."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import CallStatus
from planning.models import PlanStatus, PlanTarget
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in
from tests.planning.conftest import classify
from tests.planning.factories import make_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/profile")

SMALL_TARGETS = """(root) => [...root.querySelectorAll('a, button')]
  .filter(e => e.offsetParent !== null)
  .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
  .filter(([, r]) => r.height < 44 || r.width < 44)
  .map(([t, r]) => `${t} ${Math.round(r.width)}x${Math.round(r.height)}`)"""


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("zh-hans", ["本月拜访", "2 / 4", "下次计划拜访", "最近 2 次拜访", "提及该客户的计划"]),
        ("en", ["Calls this month", "2 / 4", "Next planned call", "Last 2 calls", "Plans naming"]),
    ],
)
def test_the_profile_on_a_phone(page: Page, live_server, cw, language, texts):  # noqa: F811
    cw.rep_x.language = language
    cw.rep_x.save()
    classify(cw.cx, cw.px, "A")
    today = timezone.localdate()
    make_call(
        cw.tx,
        [cw.cx],
        # Earlier this month (both calls count in "2 / 4"), the same day on the 1st.
        date=max(today - datetime.timedelta(days=12), today.replace(day=1)),
        products=[(cw.px, [cw.km2], "剂量方便，愿意尝试")],
        commitment_measurable="下周在 3 位合适的患者中试用",
        next_objective="带亚组分析数据",
    )
    make_call(
        cw.tx,
        [cw.cx],
        date=today,
        products=[(cw.px, [cw.km1], "想看亚组数据 / wants the subgroup data")],
        commitment_next_appointment="周四门诊后",
    )
    make_call(
        cw.tx,
        [cw.cx],
        status=CallStatus.PLANNED,
        date=today + datetime.timedelta(days=2),
        start_time=datetime.time(14, 30),
        objective="讨论试用患者的反馈",
    )
    plan = make_plan(cw.rep_x, cw.tx, status=PlanStatus.APPROVED)
    PlanTarget.objects.create(
        plan=plan, customer=cw.cx, calls_per_month=4, objective="3 位患者开始使用"
    )
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    page.goto(f"{live_server.url}/customers/{cw.cx.pk}/")
    for text in texts:
        expect(page.locator("main").get_by_text(text, exact=False).first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"profile_{language}.png"), full_page=True)
    page.screenshot(path=str(SHOTS / f"profile_{language}_top.png"))

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for section in (".pf-month", ".pf-next", ".pf-last", ".pf-plans"):
        small = page.locator(section).evaluate(SMALL_TARGETS)
        assert small == [], (section, small)

    # A doctor with nothing yet: "none planned", a button to plan a call, no figures to judge.
    page.goto(f"{live_server.url}/customers/{cw.cx2.pk}/")
    expect(page.locator(f'a[href="/calls/new/?customer={cw.cx2.pk}&plan=1"]')).to_be_visible()
    page.screenshot(path=str(SHOTS / f"profile_{language}_empty.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.locator(".pf-next").evaluate(SMALL_TARGETS)
    assert small == [], small
