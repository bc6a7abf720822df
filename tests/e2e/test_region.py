"""The regional manager at a 1440-px desk drills from the region's roll-up to a rep's dashboard
and on to the customers behind one figure, in Chinese first, then English."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import log_in
from tests.reports.test_pages import PERIOD, figures  # noqa: F401 - the figures fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/shots/region")


@pytest.mark.parametrize(
    ("language", "button", "heading", "ranked", "uncovered"),
    [
        ("zh-hans", "简体中文", "大区汇总", "跨地区代表排名", "尚未覆盖"),
        ("en", "English", "Regional roll-up", "Reps ranked across districts", "Not yet covered"),
    ],
)
def test_the_regional_manager_drills_from_the_region_to_a_rep_to_the_customers(
    page: Page,
    live_server,
    figures,  # noqa: F811
    language,
    button,
    heading,
    ranked,
    uncovered,
):
    page.set_viewport_size(DESK)
    log_in(page, live_server, "regional")
    page.get_by_role("button", name=button).first.click()

    page.goto(f"{live_server.url}/reports/?period={PERIOD}")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_role("heading", name=ranked)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"e2e-region-{language}.png"), full_page=True)

    # Worst first: rep_x's territory (one A target never visited) heads the ranking.
    first = page.locator(".rg-reps tbody tr").first
    expect(first).to_contain_text("TX")
    first.locator("a.rg-rep").click()
    expect(page).to_have_url(
        f"{live_server.url}/reports/?territory={figures.tx.pk}&period={PERIOD}"
    )

    # On the rep's dashboard, one click to the customers behind "A: not yet covered".
    page.locator(".rp-classes a[href*='klass=A'][href*='show=uncovered']").first.click()
    expect(page.get_by_role("heading", name=uncovered)).to_be_visible()
    expect(page.get_by_text("缺席")).to_be_visible()
    page.screenshot(path=str(SHOTS / f"e2e-region-drill-{language}.png"), full_page=True)

    # The same figure is one click from the roll-up itself.
    page.goto(f"{live_server.url}/reports/?period={PERIOD}")
    page.locator(".rg-reps tbody tr").first.locator("a[data-figure].rp-drill").first.click()
    expect(page.get_by_role("heading", name=uncovered)).to_be_visible()
    expect(page.get_by_text("缺席")).to_be_visible()
