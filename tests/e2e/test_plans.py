"""A rep submits a quarterly plan on a phone, the DM returns it with a comment, the rep revises
and resubmits, the DM approves."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from planning.models import Plan, PlanStatus
from tests.e2e.test_journeys import log_in
from tests.planning.conftest import QUARTER, pw  # noqa: F401 - the planning world fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots")


def shot(page: Page, name, full_page=True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def test_submit_return_revise_resubmit_approve(page: Page, browser, live_server, pw):  # noqa: F811
    # The rep starts the quarter's plan on a phone and submits it.
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")
    page.goto(f"{live_server.url}/plans/")
    page.get_by_role("button", name=f"Start the plan for {QUARTER}").click()
    expect(page.get_by_role("heading", name=f"My plan {QUARTER}")).to_be_visible()
    # Pre-filled with the A and B targets and their class requirement.
    expect(page.get_by_label("Calls / month")).to_have_value("4")
    page.get_by_label("Goals").fill("Grow Oncovia at Renji")
    shot(page, "plan_form")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Save and submit").click()
    expect(page.get_by_text("Plan submitted to your district manager.")).to_be_visible()
    plan = Plan.objects.get()
    assert plan.status == PlanStatus.SUBMITTED

    # The DM returns it with a comment.
    dm = browser.new_context(locale="en-US").new_page()
    log_in(dm, live_server, "dm_x")
    dm.goto(f"{live_server.url}/plans/")
    dm.get_by_role("link", name=str(pw.rep_x)).first.click()
    expect(dm.get_by_role("heading", name="Your decision")).to_be_visible()
    dm.get_by_label("Comment to the rep").fill("Add Chen Fang and the Renji PIM")
    dm.get_by_role("button", name="Return to the rep").click()
    expect(dm.get_by_text("Plan returned to the rep with your comment.")).to_be_visible()

    # The rep sees the comment, revises and resubmits.
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("Add Chen Fang and the Renji PIM")
    shot(page, "plan_returned")
    page.get_by_role("heading", name="Focus customers").scroll_into_view_if_needed()
    shot(page, "plan_returned_screen", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="Edit the plan").click()
    page.get_by_text(re.compile(r"Add focus customers")).click()
    page.get_by_role("checkbox", name=re.compile("陈芳")).check()
    page.get_by_label("Meetings this month and who should attend").fill("Renji PIM: 王建国, 陈芳")
    page.get_by_role("button", name="Save and submit").click()
    expect(page.get_by_text("Plan submitted to your district manager.")).to_be_visible()

    # The DM approves.
    dm.goto(f"{live_server.url}/plans/{plan.pk}/")
    expect(dm.get_by_text("陈芳").first).to_be_visible()
    dm.get_by_role("button", name="Approve").click()
    expect(dm.get_by_text("Plan approved. The rep will be told.")).to_be_visible()

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.versions.get().snapshot["months"][0]["meetings"] == "Renji PIM: 王建国, 陈芳"
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    expect(page.get_by_text("Approved", exact=True).first).to_be_visible()
    shot(page, "plan_approved")
