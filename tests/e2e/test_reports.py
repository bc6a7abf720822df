"""A rep opens the dashboard on a phone, follows a missing-visit target to "Log a call", logs
it, comes back and sees the coverage change."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.periods import month_of
from customers.models import ClassHistory
from reports import engine
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots")


def test_a_rep_logs_a_missing_visit_from_the_dashboard(page: Page, live_server, cw):  # noqa: F811
    for customer in (cw.cx, cw.cx2):
        ClassHistory.objects.create(
            customer=customer,
            product=cw.px,
            klass="A",
            source="computed",
            valid_from=datetime.date(2025, 1, 1),
            cause="measures",
        )
    engine.recompute(period=month_of(timezone.localdate()))
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    page.goto(f"{live_server.url}/reports/")
    expect(page.get_by_role("heading", name="My figures")).to_be_visible()
    row_a = page.locator(".rp-classes tbody tr").first
    expect(row_a).to_contain_text("0 %")
    expect(row_a).to_contain_text("0/2")
    target = page.locator(".rp-why li", has_text="王建国")
    expect(target).to_contain_text("0 of 4 calls")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports-e2e-before.png"), full_page=True)
    target.get_by_role("link", name="Log a call").click()

    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    page.get_by_label("Longer progression-free survival").check()
    page.get_by_role("button", name="Log the call").click()
    expect(page.get_by_text("Call logged.")).to_be_visible()

    page.get_by_role("navigation", name="Main").last.get_by_role("link", name="Reports").click()
    row_a = page.locator(".rp-classes tbody tr").first
    expect(row_a).to_contain_text("50 %")
    expect(row_a).to_contain_text("1/2")
    expect(page.locator(".rp-why li", has_text="王建国")).to_contain_text("1 of 4 calls")
    page.screenshot(path=str(SHOTS / "reports-e2e-after.png"), full_page=True)
