"""A rep deletes a planned call they will not make, on a phone, from the call's page: Delete,
the confirmation, the call gone (zh-Hans first, then English)."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from calls.models import Call, CallStatus
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/apicontract")
TEXT = {
    "zh-hans": ("删除", "删除这个计划拜访？", "删除拜访", "已删除计划拜访。"),
    "en": ("Delete", "Delete the planned call?", "Delete the call", "Planned call deleted."),
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_rep_deletes_a_planned_call_from_its_page(page: Page, live_server, cw, language):  # noqa: F811
    cw.rep_x.language = language
    cw.rep_x.save()
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, objective="Follow up")
    delete, question, confirm, done = TEXT[language]
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    page.goto(f"{live_server.url}/calls/{call.pk}/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"delete-detail-{language}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name=delete, exact=True).click()

    expect(page.get_by_role("heading", name=question)).to_be_visible()
    page.screenshot(path=str(SHOTS / f"delete-confirm-{language}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = page.get_by_role("button", name=confirm)
    assert button.bounding_box()["height"] >= 44
    button.click()

    expect(page.get_by_text(done)).to_be_visible()
    page.screenshot(path=str(SHOTS / f"delete-done-{language}.png"), full_page=True)
    assert not Call.objects.filter(pk=call.pk).exists()
