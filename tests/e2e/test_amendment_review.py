"""At a 1440-px desk, in Chinese first then English: the rep's amendment request rings the DM's
bell; the DM opens it, sees the change before → after, approves with a comment; the rep's bell
tells the outcome."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls import services as call_services
from calls.models import AmendmentStatus
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/shots/approvals")

TEXT = {
    "zh-hans": {
        "kind": "已申请修改",
        "approve": "批准",
        "done": "修改申请已批准，拜访已更正。",
        "outcome": "批准了你对拜访",
    },
    "en": {
        "kind": "Amendment requested",
        "approve": "Approve",
        "done": "Amendment approved: the call is corrected.",
        "outcome": "approved your amendment of the call",
    },
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dm_reviews_the_change_from_the_bell_and_approves(
    page: Page,
    browser,
    live_server,
    cw,  # noqa: F811
    language,
):
    for user in (cw.dm_x, cw.rep_x):
        user.language = language
        user.save()
    call = make_call(
        cw.tx,
        [cw.cx],
        date=timezone.localdate() - datetime.timedelta(days=20),
        completed_at=timezone.now() - datetime.timedelta(days=19),
        products=[(cw.px, [cw.km1], "Asked about side effects")],
        materials=[(cw.leaflet, 1)],
    )
    amendment = call_services.amendment_request(
        by=cw.rep_x,
        call=call,
        reason="I recorded the wrong key message and forgot Chen Fang.",
        customers=[cw.cx, cw.cx2],
        products=[
            {
                "product": cw.px,
                "key_messages": [cw.km2],
                "feedback": "Asked for the dosing study",
                "adoption_stage": "trial",
            }
        ],
        materials=[{"material": cw.leaflet, "quantity": 3}],
    )
    text = TEXT[language]

    # The DM's bell rings; the notification opens the review.
    page.set_viewport_size(DESK)
    log_in(page, live_server, "dm_x")
    page.locator("a.bell").click()
    page.get_by_role("link", name=text["kind"]).first.click()
    expect(page).to_have_url(f"{live_server.url}/calls/amendments/{amendment.pk}/")
    diff = page.locator("table.amendment-diff")
    expect(diff.locator("del", has_text="Asked about side effects")).to_be_visible()
    expect(diff.locator("ins", has_text="Asked for the dosing study")).to_be_visible()
    expect(diff.locator("del", has_text="Longer progression-free survival")).to_be_visible()
    expect(diff.locator("ins", has_text="Once-daily oral dose")).to_be_visible()
    expect(
        diff.locator("ins", has_text="Chen Fang" if language == "en" else "陈芳")
    ).to_be_visible()
    # The decision is in view beside the change, without scrolling.
    approve = page.get_by_role("button", name=text["approve"], exact=True)
    expect(approve).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"amendment_review_{language}.png"), full_page=True)

    page.locator("#id_comment").fill("OK, thanks")
    approve.click()
    expect(page.get_by_text(text["done"])).to_be_visible()
    expect(
        page.locator("table.amendment-diff ins", has_text="Once-daily oral dose")
    ).to_be_visible()
    page.screenshot(path=str(SHOTS / f"amendment_approved_{language}.png"), full_page=True)
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.APPROVED

    # The rep's bell tells the outcome, with the comment.
    rep = browser.new_context(locale="en-US").new_page()
    rep.set_viewport_size(DESK)
    log_in(rep, live_server, "rep_x")
    rep.locator("a.bell").click()
    expect(rep.get_by_text(text["outcome"])).to_be_visible()
    expect(rep.get_by_text("OK, thanks")).to_be_visible()
    rep.screenshot(path=str(SHOTS / f"rep_outcome_{language}.png"), full_page=True)


RUN_TEXT = {
    "zh-hans": {"run": "立即运行…", "reach": "将通知", "confirm": "立即运行"},
    "en": {"run": "Run now…", "reach": "This will notify", "confirm": "Run now"},
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_run_now_asks_first_and_says_how_many(page: Page, live_server, world, language):
    """The Reminders page (also an approval: an admin's "run now" e-mails people)."""
    from notifications.models import Rule, RuleRun

    world.admin.language = language
    world.admin.save()
    text = RUN_TEXT[language]
    page.set_viewport_size(DESK)
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/notifications/rules/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"reminders_{language}.png"), full_page=True)
    page.locator(f"a[href='/notifications/rules/{Rule.NO_PIM}/run/']").click()
    expect(page.get_by_role("heading", name=f"{text['reach']}")).to_be_visible()
    page.screenshot(path=str(SHOTS / f"run_now_confirm_{language}.png"), full_page=True)
    assert not RuleRun.objects.exists()
    page.get_by_role("button", name=text["confirm"], exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/notifications/rules/")
    assert RuleRun.objects.get(rule=Rule.NO_PIM).sent == 3
