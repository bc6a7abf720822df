"""The DM at a 1440-px desk opens the calls table (zh-Hans, then English), sorts it by rep,
filters it by status, exports CSV: the file holds the rows shown. Screenshots of the calls,
customers and plans tables in both languages go to /tmp/shots/tables/."""

import csv
import io
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from calls.models import CallStatus
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/shots/tables")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dm_sorts_filters_and_exports_the_calls_table(
    page: Page,
    live_server,
    cw,  # noqa: F811
    language,
):
    for n in range(3):
        make_call(cw.tx, [cw.cx], products=[(cw.px, [cw.km1], f"反馈 {n}")])
    make_call(cw.tx, [cw.cx2], status=CallStatus.CANCELLED)
    page.set_viewport_size(DESK)
    log_in(page, live_server, "dm_x")
    cw.dm_x.language = language
    cw.dm_x.save()

    page.goto(f"{live_server.url}/calls/")
    table = page.locator("table.desk")
    expect(table.locator("tbody tr")).to_have_count(4)
    table.locator("thead a.sort").nth(1).click()  # sort by rep
    assert "sort=rep" in page.url
    page.locator("#id_status").select_option("completed")
    page.locator("form.desk-filters button[type=submit]").click()
    assert "status=completed" in page.url and "sort=rep" in page.url
    expect(table.locator("tbody tr")).to_have_count(3)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"calls-{language}.png"), full_page=True)

    with page.expect_download() as download:
        page.locator(".export a").first.click()
    content = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 4  # header + the 3 rows shown
    assert all("反馈" in ",".join(r) for r in rows[1:])

    page.goto(f"{live_server.url}/customers/")
    page.screenshot(path=str(SHOTS / f"customers-{language}.png"), full_page=True)
    page.goto(f"{live_server.url}/plans/")
    page.screenshot(path=str(SHOTS / f"plans-{language}.png"), full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_admin_types_a_territory_into_the_filter(
    page: Page, live_server, world, monkeypatch, language
):
    """Above core.widgets.LARGE_CHOICES (lowered to 1) the territory filter is a search box:
    typing the territory's name picks it, Apply puts its id in the URL, the table narrows."""
    monkeypatch.setattr("core.widgets.LARGE_CHOICES", 1)
    world.admin.language = language
    world.admin.save()
    page.set_viewport_size({"width": 390, "height": 844})  # the phone
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/customers/")
    with translation.override(language):
        label = str(world.tx)  # as the page names it in the admin's language
    box = page.locator("#id_territory")
    expect(box).to_have_attribute("type", "search")
    with page.expect_response(lambda r: "/desk/choices/territory/" in r.url):
        box.fill(label)
    hidden = page.locator("input[type=hidden][name=territory]")
    expect(hidden).to_have_value(str(world.tx.pk))
    page.locator("form.desk-filters button[type=submit]").click()
    assert f"territory={world.tx.pk}" in page.url
    expect(page.locator("table.desk tbody tr")).to_have_count(1)
    expect(box).to_have_value(label)
    Path("/tmp/shots/desk600k").mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(Path("/tmp/shots/desk600k") / f"territory-typeahead-{language}.png"),
        full_page=True,
    )
