"""The DM reviews plans at a 1440-px desk (zh-Hans first, then English): the plan on the left,
the decision box with the capacity beside it and always in sight; returning without a comment
shows the error next to the comment field; then returns with a comment, and approves another
plan seeing its utilisation."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from planning.models import PlanStatus
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory
from tests.planning.conftest import QUARTER, pw  # noqa: F401 - the planning world fixture
from tests.planning.factories import make_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/planreview")
TEXT = {
    "zh-hans": {
        "decision": "你的决定",
        "comment": "给代表的意见",
        "return": "退回给代表",
        "approve": "批准",
        "missing": "请说明代表应修改的内容。",
        "returned": "计划已连同你的意见退回给代表。",
        "approved": "计划已批准，将通知代表。",
        "utilisation": "利用率",
    },
    "en": {
        "decision": "Your decision",
        "comment": "Comment to the rep",
        "return": "Return to the rep",
        "approve": "Approve",
        "missing": "Say what the rep should change.",
        "returned": "Plan returned to the rep with your comment.",
        "approved": "Plan approved. The rep will be told.",
        "utilisation": "Utilisation",
    },
}


def shot(page: Page, name, full_page=False):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dm_returns_a_plan_then_approves_another_seeing_the_utilisation(
    page: Page,
    live_server,
    pw,  # noqa: F811
    language,
):
    text = TEXT[language]
    pw.dm_x.language = language
    pw.dm_x.save()
    pw.tx.team.call_rate_target = Decimal(2)
    pw.tx.team.save()
    customers = [CustomerFactory(territory=pw.tx, name=f"客户{n}") for n in range(12)]
    first = make_plan(
        pw.rep_x,
        pw.tx,
        status=PlanStatus.SUBMITTED,
        targets=[(c, 3) for c in customers],
        goals="Grow Oncovia at Renji\n" * 8,
        review="Coverage of A doctors was 80 %.",
    )
    first.submitted_at = datetime.datetime.now(datetime.UTC)
    first.save()
    second = make_plan(
        pw.mate_x, pw.tmate, status=PlanStatus.SUBMITTED, targets=[(pw.cm, 31)], goals="PIMs"
    )

    # On a phone the review stays one column: the decision below the plan, nothing wider.
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "dm_x")
    page.goto(f"{live_server.url}/plans/{first.pk}/")
    side = page.locator(".review-side").bounding_box()
    main = page.locator(".review-main").bounding_box()
    assert side["y"] >= main["y"] + main["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.set_viewport_size(DESK)
    page.goto(f"{live_server.url}/plans/{first.pk}/")
    expect(page.get_by_role("heading", name=text["decision"])).to_be_visible()
    expect(page.locator("#cap-utilisation")).to_be_visible()
    shot(page, f"plan_review_{language}")
    # The decision box is beside the plan and stays in sight when the plan scrolls.
    box = page.locator(".review-side").bounding_box()
    main = page.locator(".review-main").bounding_box()
    assert box["x"] > main["x"] + main["width"] - 1
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(200)
    expect(page.get_by_role("button", name=text["approve"])).to_be_in_viewport()
    shot(page, f"plan_review_scrolled_{language}")

    # Return without a comment: the error is next to the comment field, nothing written.
    page.get_by_role("button", name=text["return"]).click()
    field = page.locator(".decide .field.invalid")
    expect(field).to_contain_text(text["missing"])
    expect(field.get_by_label(text["comment"])).to_be_visible()
    first.refresh_from_db()
    assert first.status == PlanStatus.SUBMITTED
    shot(page, f"plan_review_missing_comment_{language}")

    page.get_by_label(text["comment"]).fill("Add the Renji PIM")
    page.get_by_role("button", name=text["return"]).click()
    expect(page.get_by_text(text["returned"])).to_be_visible()
    first.refresh_from_db()
    assert (first.status, first.comment) == (PlanStatus.RETURNED, "Add the Renji PIM")

    # Another plan: 31 calls a month × 3 against the mate's capacity; the DM sees it and approves.
    page.goto(f"{live_server.url}/plans/{second.pk}/")
    utilisation = page.locator(".capacity-use")
    expect(utilisation).to_contain_text(text["utilisation"])
    expect(utilisation).to_contain_text("%")
    shot(page, f"plan_review_second_{language}")
    page.get_by_role("button", name=text["approve"]).click()
    expect(page.get_by_text(text["approved"])).to_be_visible()
    second.refresh_from_db()
    assert second.status == PlanStatus.APPROVED
