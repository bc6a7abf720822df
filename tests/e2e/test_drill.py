"""A DM at a 1440-px desk clicks a district figure and lands on exactly its customers, in
Chinese and then in English; screenshots of the district dashboard, a drill list and the
opportunity analysis."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import log_in
from tests.reports.test_drill import MARCH, drill  # noqa: F401 - the drill world fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/shots/drill")
TEXT = {
    "zh-hans": {"targets": "目标客户", "uncovered": "尚未覆盖"},
    "en": {"targets": "Targets", "uncovered": "Not yet covered"},
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dm_clicks_a_district_figure_and_lands_on_its_customers(
    page: Page,
    live_server,
    drill,  # noqa: F811
    language,
):
    drill.dm_x.language = language
    drill.dm_x.save()
    page.set_viewport_size(DESK)
    log_in(page, live_server, "dm_x")
    page.goto(f"{live_server.url}/reports/?period={MARCH}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    total_a = page.locator(f'tfoot a[href*="district={drill.district_x.pk}"][href*="klass=A"]')
    expect(total_a.first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"district_{language}.png"), full_page=True)

    figure = total_a.first.get_attribute("data-figure")
    total_a.first.click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(TEXT[language]["uncovered"])
    expect(heading.locator(".count")).to_have_text(figure)
    expect(page.locator(".rp-why li", has_text="未访")).to_contain_text("TX")
    page.get_by_role("link", name=TEXT[language]["targets"], exact=True).click()
    expect(page.locator(".rp-why li")).to_have_count(4)  # shared counts in TX and in TX2
    page.screenshot(path=str(SHOTS / f"drill_{language}.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/opportunity/?period={MARCH}")
    gap = page.locator("a.op-gap").first
    n = gap.get_attribute("data-figure")
    page.screenshot(path=str(SHOTS / f"opportunity_{language}.png"), full_page=True)
    gap.click()
    expect(page.get_by_role("heading", level=1).locator(".count")).to_have_text(n)
    expect(page.locator("table.rp-drilltable tbody tr")).to_have_count(int(n))
    page.screenshot(path=str(SHOTS / f"adoption_{language}.png"), full_page=True)
