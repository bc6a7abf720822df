"""Master data in the browser (zh-Hans, then English): a rep creates a customer who may exist
already, logs a call with the pending customer at once; the admin merges it into the existing
one from the data steward's queue, and the call now names the existing customer."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from calls.models import Call
from customers.models import Customer, CustomerStatus
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/mdm")
TEXT = {
    "zh-hans": {
        "save": "保存",
        "anyway": "仍然新建",
        "pending": "待核实",
        "log": "记录拜访",
        "logged": "已记录拜访。",
        "merge": "合并",
        "merged": "已合并到",
    },
    "en": {
        "save": "Save",
        "anyway": "Create anyway",
        "pending": "Pending verification",
        "log": "Log the call",
        "logged": "Call logged.",
        "merge": "Merge",
        "merged": "is merged into",
    },
}


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_reps_new_customer_is_merged_by_the_steward(page: Page, live_server, world, language):
    text = TEXT[language]
    for user in (world.rep_x, world.admin):
        user.language = language
        user.save()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "rep_x")

    page.goto(f"{live_server.url}/customers/new/?name=王建国")
    page.locator("#id_institution").select_option(str(world.hx.pk))
    page.locator("#id_department").select_option(str(world.dx.pk))
    page.get_by_role("button", name=text["save"], exact=True).click()
    page.get_by_role("button", name=text["anyway"]).click()  # the likely duplicate was shown
    expect(page.get_by_text(text["pending"]).first).to_be_visible()
    created = Customer.objects.get(status=CustomerStatus.PENDING)
    shot(page, f"pending-{language}")

    page.goto(f"{live_server.url}/calls/new/?customer={created.pk}")
    page.get_by_role("button", name=text["log"]).click()
    expect(page.get_by_text(text["logged"])).to_be_visible()
    call = Call.objects.get()

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/customers/steward/")
    row = page.locator(f"#pending-{created.pk}")
    row.locator("select[name=into]").select_option(str(world.cx.pk))
    shot(page, f"queue-{language}")
    row.get_by_role("button", name=text["merge"], exact=True).click()

    expect(page.get_by_text(text["merged"])).to_be_visible()
    shot(page, f"merged-{language}")
    assert not Customer.objects.filter(pk=created.pk).exists()
    assert list(Call.objects.get(pk=call.pk).customers.all()) == [world.cx]
