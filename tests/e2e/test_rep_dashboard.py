"""The rep's dashboard on a 390-px phone, in Chinese then English: no horizontal scroll, every
link and button of the page at least 44 px, the month's progress and the trends drawn, and a
coverage figure that opens the list of exactly the uncovered targets."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Call, CallAttendee
from core.periods import month_of
from customers.models import ClassHistory
from reports import engine
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/dashboard")
SMALL_TARGETS = """() => [...document.querySelectorAll('main a, main button, main summary')]
  .filter(e => { const r = e.getBoundingClientRect();
                 return r.width > 0 && r.height > 0 && (r.height < 44 || r.width < 44); })
  .map(e => e.textContent.trim())"""


@pytest.mark.parametrize(
    ("language", "button", "heading", "uncovered"),
    [
        ("zh-hans", "简体中文", "我的数据", "尚未覆盖"),
        ("en", "English", "My figures", "Not yet covered"),
    ],
)
def test_the_dashboard_fits_a_phone_and_drills_to_the_uncovered(
    page: Page,
    live_server,
    cw,  # noqa: F811
    language,
    button,
    heading,
    uncovered,
):
    today = timezone.localdate()
    for customer in (cw.cx, cw.cx2):
        ClassHistory.objects.create(
            customer=customer,
            product=cw.px,
            klass="A",
            source="computed",
            valid_from=datetime.date(2025, 1, 1),
            cause="measures",
        )
    visit = Call.objects.create(
        territory=cw.tx, rep=cw.rep_x, date=today, status="completed", institution=cw.hx
    )
    CallAttendee.objects.create(call=visit, customer=cw.cx)
    engine.recompute(period=month_of(today))
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")
    page.get_by_role("button", name=button).first.click()

    page.goto(f"{live_server.url}/reports/")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("#progress-heading")).to_be_visible()
    expect(page.locator("#trends-heading")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(SMALL_TARGETS) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"e2e-rep-{language}.png"), full_page=True)

    page.locator(".rp-classes tbody tr").first.locator("a.rp-drill").nth(1).click()
    expect(page.get_by_role("heading", name=uncovered)).to_be_visible()
    rows = page.locator(".rp-why li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("陈芳")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(SMALL_TARGETS) == []
    page.screenshot(path=str(SHOTS / f"e2e-drill-{language}.png"), full_page=True)
