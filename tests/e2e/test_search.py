"""A rep on a phone finds a doctor by pinyin initials as they type and logs a call; creating a
customer who exists already meets the duplicate warning. zh-Hans first, then English."""

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from calls.models import Call
from customers.models import ClassCause, ClassHistory, ClassSource
from tests.e2e.test_journeys import log_in
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    InstitutionFactory,
    ProductFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/search")
TEXT = {
    "zh-hans": {"log": "记录", "create_anyway": "仍然新建", "warning": "该客户可能已存在"},
    "en": {"log": "Log", "create_anyway": "Create anyway", "warning": "This customer may exist"},
}


def shot(page: Page, name):
    """What the phone's screen shows (a full-page shot would move the sticky bars)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def no_small_targets(page: Page, selector):
    for box in page.locator(selector).evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).map(r => [r.width, r.height])"
    ):
        assert box[0] >= 44 and box[1] >= 44, box


@pytest.fixture
def people(world):
    li = CustomerFactory(
        name="李建国", name_en="Li Jianguo", title="主任医师", institution=world.hx,
        department=world.dx, territory=world.tx,
    )  # fmt: skip
    product = ProductFactory()
    world.tx.team.products.add(product)
    ClassHistory.objects.create(
        customer=li, product=product, klass="B", source=ClassSource.COMPUTED,
        cause=ClassCause.MEASURES, valid_from=datetime.date(2026, 1, 1),
    )  # fmt: skip
    CustomerFactory(name="刘佳", name_en="Liu Jia", institution=world.hx, territory=world.tx)
    ruijin = InstitutionFactory(name="瑞金医院", name_en="Ruijin Hospital")
    respiratory = DepartmentFactory(institution=ruijin, name="呼吸科")
    CustomerFactory(name="孙丽", institution=ruijin, department=respiratory, territory=world.tx)
    return li


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_type_ljg_on_today_and_log_a_call(page: Page, live_server, world, people, language):
    world.rep_x.language = language
    world.rep_x.save()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")
    page.evaluate("window.stillThisPage = true")

    page.locator("#id_q").press_sequentially("ljg", delay=60)

    row = page.locator(".search-results .result")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("李建国")
    expect(row.locator(".badge.klass-B")).to_be_visible()
    expect(page.locator("#search-status")).not_to_be_empty()
    assert page.evaluate("window.stillThisPage === true")  # no page load
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    no_small_targets(page, ".search-results .result .btn")
    shot(page, f"today_ljg_{language}")
    page.locator("#id_q").press("ArrowDown")  # keyboard: into the results and back
    expect(row.locator(".who")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#id_q")).to_be_focused()

    row.get_by_role("link", name=TEXT[language]["log"], exact=True).click()

    expect(page).to_have_url(re.compile(rf"/calls/new/\?customer={people.pk}$"))
    expect(page.locator("main")).to_contain_text("李建国")
    assert not Call.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_result_offers_a_new_customer(page: Page, live_server, world, language):
    world.rep_x.language = language
    world.rep_x.save()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    page.locator("#id_q").press_sequentially("赵六", delay=60)
    offer = page.locator(".search-results .noresult a")
    expect(offer).to_be_visible()
    shot(page, f"today_noresult_{language}")
    offer.click()

    expect(page.locator("#id_name")).to_have_value("赵六")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_creating_a_customer_who_exists_meets_the_duplicate_warning(
    page: Page, live_server, world, people, language
):
    world.rep_x.language = language
    world.rep_x.save()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")
    page.goto(f"{live_server.url}/customers/new/?name=李建国")

    # Names in the rep's language.
    hospital, department = {
        "zh-hans": ("仁济医院", "肿瘤科"),
        "en": ("Renji Hospital", "Oncology"),
    }[language]
    page.locator("#id_institution").select_option(label=hospital)
    departments = page.locator("#id_department option").all_inner_texts()
    assert any(department in text for text in departments)
    assert not any("呼吸科" in text for text in departments)  # another institution's
    page.locator("#id_department").select_option(label=f"{hospital} · {department}")
    page.locator("form.form button[type=submit]").click()

    warning = page.locator(".duplicates")
    expect(warning).to_contain_text(TEXT[language]["warning"])
    expect(warning).to_contain_text("李建国")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    no_small_targets(page, ".duplicates .btn")
    shot(page, f"duplicate_{language}")

    page.get_by_role("button", name=TEXT[language]["create_anyway"]).click()

    expect(page.get_by_role("heading", name=re.compile("李建国"))).to_be_visible()
    assert world.hx.customers.filter(name="李建国").count() == 2
