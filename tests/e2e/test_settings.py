"""At a 1440-px desk, in Chinese first then English: the admin opens Settings from the nav, adds a
sample restricted to the cardiovascular team in the catalogue; an oncology rep's call form does
not offer it, a cardiovascular rep's does. Screenshots of the hub and the catalogue pages."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from calls.models import Material
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/shots/settings")

TEXT = {
    "zh-hans": {"settings": "设置", "catalogue": "目录", "save": "保存", "saved": "已保存"},
    "en": {"settings": "Settings", "catalogue": "Catalogue", "save": "Save", "saved": "saved"},
}


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_materials(page: Page):
    expect(page.locator("form.callform")).to_be_visible()
    for summary in page.locator("form.callform summary").all():
        summary.click()


def log_out(page: Page):
    page.context.clear_cookies()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_sample_for_the_cv_team_is_offered_to_cv_reps_only(
    page: Page,
    live_server,
    cw,  # noqa: F811
    language,
):
    onc, cv = cw.tx.team, cw.ty.team
    onc.name, onc.name_en, onc.code = "肿瘤", "Oncology", "ONC"
    cv.name, cv.name_en, cv.code = "心血管", "Cardiovascular", "CV"
    onc.save()
    cv.save()
    for user in (cw.admin, cw.rep_x, cw.rep_y):
        user.language = language
        user.save()
    text = TEXT[language]
    page.set_viewport_size(DESK)

    log_in(page, live_server, "admin")
    page.locator("nav.nav a", has_text=text["settings"]).click()
    expect(page.get_by_role("heading", name=text["settings"], exact=True)).to_be_visible()
    shot(page, f"hub-{language}")
    page.locator("ul.settings-hub a", has_text=text["catalogue"]).click()
    expect(page.get_by_role("heading", name=text["catalogue"], exact=True)).to_be_visible()
    page.locator(f'a[href="/calls/settings/catalogue/materials/new/?product={cw.py.pk}"]').click()
    page.locator("#id_name").fill("心博力 样品")
    page.locator("#id_name_en").fill("Cardiplex sample")
    page.locator("#id_code").fill(f"CV-SMP-{language}")
    page.locator('input[name="kind"][value="sample"]').check()
    page.get_by_label("心血管" if language == "zh-hans" else "Cardiovascular").check()
    shot(page, f"material-form-{language}")
    page.get_by_role("button", name=text["save"], exact=True).click()
    expect(page.locator(".msg", has_text=text["saved"])).to_be_visible()
    shot(page, f"catalogue-{language}")
    sample = Material.objects.get(code=f"CV-SMP-{language}")
    assert list(sample.teams.all()) == [cv]
    page.goto(f"{live_server.url}/calls/settings/catalogue/materials/{sample.pk}/")
    shot(page, f"material-{language}")
    page.goto(f"{live_server.url}/settings/teams/")
    shot(page, f"team-targets-{language}")
    page.goto(f"{live_server.url}/calls/settings/")
    shot(page, f"call-settings-{language}")

    # The oncology rep is not offered it; the cardiovascular rep is.
    log_out(page)
    log_in(page, live_server, "rep_x")
    page.goto(f"{live_server.url}/calls/new/?customer={cw.cx.pk}")
    open_materials(page)
    labels = page.locator("form.callform label")
    expect(labels.filter(has_text="Product leaflet")).to_have_count(1)
    expect(labels.filter(has_text="Cardiplex sample")).to_have_count(0)
    expect(labels.filter(has_text="心博力 样品")).to_have_count(0)
    log_out(page)
    log_in(page, live_server, "rep_y")
    page.goto(f"{live_server.url}/calls/new/?customer={cw.cy.pk}")
    open_materials(page)
    shot(page, f"call-form-cv-rep-{language}")
    name = "心博力 样品" if language == "zh-hans" else "Cardiplex sample"
    expect(page.locator("form.callform label").filter(has_text=name)).to_have_count(1)
