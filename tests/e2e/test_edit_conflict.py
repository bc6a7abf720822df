"""Two tabs on a phone edit the same call: the second save is refused with a clear message and
the form shows the call as the first tab saved it (zh-Hans and English)."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from calls.models import Call
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/concurrency")
TEXT = {
    "en": ("Save", "Someone else saved this call while you were editing it"),
    "zh-hans": ("保存", "您编辑期间，其他人已保存了这次拜访"),
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_second_tab_is_told_and_shown_the_saved_call(
    page: Page,
    live_server,
    cw,  # noqa: F811
    language,
):
    cw.rep_x.language = language
    cw.rep_x.save()
    call = make_call(cw.tx, [cw.cx], objective="Start")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "rep_x")
    other = page.context.new_page()
    other.set_viewport_size({"width": 390, "height": 844})
    url = f"{live_server.url}/calls/{call.pk}/edit/"
    page.goto(url)
    other.goto(url)
    save, message = TEXT[language]

    page.locator("#id_objective").fill("First tab")
    page.get_by_role("button", name=save, exact=True).click()
    other.locator("#id_objective").fill("Second tab")
    other.get_by_role("button", name=save, exact=True).click()

    expect(other.get_by_text(message)).to_be_visible()
    expect(other.locator("#id_objective")).to_have_value("First tab")
    SHOTS.mkdir(parents=True, exist_ok=True)
    other.screenshot(path=str(SHOTS / f"stale-call-{language}.png"))
    assert other.evaluate("document.documentElement.scrollWidth") <= 390
    assert Call.objects.get().objective == "First tab"
