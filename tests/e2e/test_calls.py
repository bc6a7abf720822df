"""A rep logs calls on a phone: a planned call from Today, and a group call (PIM)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from calls.models import Call, CallStatus
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots")


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_rep_logs_a_planned_call_from_today_on_a_phone(page: Page, live_server, cw):  # noqa: F811
    planned = make_call(
        cw.tx, [cw.cx], status=CallStatus.PLANNED, objective="Introduce the PFS data"
    )
    make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED, objective="Follow up the trial")
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    expect(page.get_by_role("heading", name="Today's calls")).to_be_visible()
    expect(page.get_by_text("Renji Hospital")).to_be_visible()  # in the rep's language
    shot(page, "today")
    page.locator(f'a[href="/calls/{planned.pk}/log/"]').click()

    expect(page.get_by_role("heading", name="Log the planned call")).to_be_visible()
    expect(page.get_by_label("Introduce the PFS data", exact=False)).to_have_count(0)
    page.get_by_label("Longer progression-free survival").check()
    page.get_by_label("Customer feedback").fill("Wants to see the subgroup data")
    page.get_by_label("Adoption stage").select_option("interested")
    page.get_by_text("Commitments and next appointment").click()  # collapsed until used
    page.get_by_label("Measurable commitment").fill("Try it on 3 suitable patients")
    page.get_by_label("Next appointment", exact=True).fill("Thursday after the clinic")
    page.get_by_text("Materials and samples handed over").click()
    page.get_by_label("Product leaflet").fill("2")
    shot(page, "call_form")
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Log the call").click()

    expect(page.get_by_text("Call logged.")).to_be_visible()
    expect(page.get_by_role("heading", name="Recently logged")).to_be_visible()
    planned.refresh_from_db()
    assert planned.status == CallStatus.COMPLETED
    row = planned.call_products.get()
    assert row.feedback == "Wants to see the subgroup data"
    assert [m.text for m in row.key_messages.all()] == ["Longer progression-free survival"]
    assert planned.call_materials.get().quantity == 2


def test_a_rep_logs_a_group_pim_with_two_attendees(page: Page, live_server, cw):  # noqa: F811
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    page.get_by_placeholder("Find a customer: name, hospital or department").fill("Wang")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Log", exact=True).click()
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    page.get_by_text("Group call / PIM: add attendees").click()
    page.get_by_label(re.compile("陈芳")).check()
    page.get_by_label("PIM (院内会 / 科室会)").check()
    page.locator("label", has_text="Meeting").click()
    page.get_by_label("Once-daily oral dose").check()
    expect(page.get_by_label("安可维 Oncovia")).to_be_checked()  # marked as discussed
    shot(page, "group_call_form")
    page.get_by_role("button", name="Log the call").click()

    expect(page.get_by_text("Call logged.")).to_be_visible()
    call = Call.objects.get()
    assert call.is_pim
    assert call.channel == "meeting"
    assert set(call.customers.all()) == {cw.cx, cw.cx2}
    assert Call.objects.completed().with_customer(cw.cx2).count() == 1
