"""The call form on a 390×844 phone, in Chinese first then English: a planned call logged in
three taps, the form in about two screens with its sections closed, every tap target ≥ 44 px,
the attendee search, and the first error focused."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Call, CallStatus
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/callform")

# Visible tap targets of the form under 44 px high: buttons, links, summaries, fields, and the
# label rows of checkboxes and radio toggles (the label is what a thumb taps).
SMALL_TARGETS = """() => {
  const form = document.querySelector("form.callform");
  const targets = form.querySelectorAll(
    "button, a, summary, select, textarea, input:not([type=checkbox]):not([type=radio])" +
    ":not([type=hidden]), .checks label, .checkline label, .segmented label"
  );
  return [...targets].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.height < 44;
  }).map((el) => el.outerHTML.slice(0, 80));
}"""

TEXT = {
    "zh-hans": {
        "log": "记录",
        "submit": "记录拜访",
        "done": "已记录拜访。",
        "heading": "记录计划中的拜访",
    },
    "en": {
        "log": "Log",
        "submit": "Log the call",
        "done": "Call logged.",
        "heading": "Log the planned call",
    },
}


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_planned_call_is_logged_in_three_taps(page: Page, live_server, cw, language):  # noqa: F811
    cw.rep_x.language = language
    cw.rep_x.save()
    planned = make_call(
        cw.tx,
        [cw.cx],
        status=CallStatus.PLANNED,
        objective="Introduce the PFS data",
        products=[(cw.px, [], "")],
    )
    text = TEXT[language]
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    # 1. Today (the rep's home), 2. 记录, 3. 记录拜访.
    page.locator(f'a[href="/calls/{planned.pk}/log/"]', has_text=text["log"]).click()
    expect(page.get_by_role("heading", name=text["heading"])).to_be_visible()
    expect(page.locator("#id_date")).to_have_value(timezone.localdate().isoformat())
    expect(page.locator("#id_objective")).to_have_value("Introduce the PFS data")
    expect(page.locator("#id_p0_on")).to_be_checked()
    shot(page, f"call_form_closed_{language}")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 2 * PHONE["height"], height
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(SMALL_TARGETS) == []

    page.get_by_role("button", name=text["submit"]).click()

    expect(page.get_by_text(text["done"])).to_be_visible()
    planned.refresh_from_db()
    assert planned.status == CallStatus.COMPLETED
    assert planned.date == timezone.localdate()
    assert [row.product for row in planned.call_products.all()] == [cw.px]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_form_opened_and_the_attendee_search(page: Page, live_server, cw, language):  # noqa: F811
    cw.rep_x.language = language
    cw.rep_x.save()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")
    page.goto(f"{live_server.url}/calls/new/?customer={cw.cx.pk}")

    for summary in page.locator("form.callform summary").all():
        summary.click()
    search = page.locator("[data-picker-search]")
    expect(search).to_be_visible()
    shot(page, f"call_form_open_{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(SMALL_TARGETS) == []

    search.fill("陈")
    expect(page.locator("[data-picker-item]", has_text="陈芳")).to_be_visible()
    search.fill("nobody-like-this")
    expect(page.locator("[data-picker-item]", has_text="陈芳")).to_be_hidden()
    expect(page.locator("[data-picker-none]")).to_be_visible()


def test_the_first_error_is_opened_scrolled_to_and_focused(page: Page, live_server, cw):  # noqa: F811
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")
    page.goto(f"{live_server.url}/calls/new/?customer={cw.cx.pk}")
    page.get_by_text("Commitments and next appointment").click()
    page.locator("#id_next_appointment_date").fill(timezone.localdate().isoformat())

    page.get_by_role("button", name="Log the call").click()

    expect(page.get_by_text("The next appointment must be after the call's date.")).to_be_visible()
    expect(page.locator("#id_next_appointment_date")).to_be_focused()
    shot(page, "call_form_error_en")
    assert not Call.objects.exists()


def test_a_past_date_beyond_the_limit_focuses_the_date(page: Page, live_server, cw):  # noqa: F811
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")
    page.goto(f"{live_server.url}/calls/new/?customer={cw.cx.pk}")
    old = timezone.localdate() - datetime.timedelta(days=30)
    page.locator("#id_date").fill(old.isoformat())

    page.get_by_role("button", name="Log the call").click()

    expect(page.get_by_text("cannot be dated more than 7 days back")).to_be_visible()
    expect(page.locator("#id_date")).to_be_focused()
    assert not Call.objects.exists()
