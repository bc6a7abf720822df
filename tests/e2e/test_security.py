"""Under the Content-Security-Policy the pages still work (the autouse check in conftest.py fails
a test on any refused script or style): the API docs render their operations from the product's
own files, a district picker submits on change, and a locked-out login says why, in both
languages."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/auth")


def test_the_api_docs_render_under_the_policy_after_a_login(page: Page, live_server, world):
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()  # the docs need a login
    page.get_by_label("Username").fill("rep_x")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name=re.compile("Baifang API"))).to_be_visible()
    expect(page.get_by_role("button", name="GET /api/v1/customers/", exact=True)).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs.png"))


def test_the_district_picker_submits_on_change(page: Page, live_server, world):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "regional")
    page.goto(f"{live_server.url}/reports/?district={world.district_x.pk}")

    page.locator("#id_district").select_option(str(world.district_y.pk))

    page.wait_for_url(f"**district={world.district_y.pk}**")


@pytest.mark.parametrize(
    ("locale", "text"), [("en", "Too many failed log-ins"), ("zh-hans", "登录失败次数过多")]
)
def test_a_locked_out_login_says_why(page: Page, live_server, world, locale, text):
    page.set_viewport_size(PHONE)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": locale, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/login/")
    for i in range(settings.AXES_FAILURE_LIMIT):
        page.locator("#id_username").fill("rep_x")
        page.locator("#id_password").fill(f"guess-{i}")
        page.locator("form.card button[type=submit]").click()
        page.wait_for_load_state()

    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.card button[type=submit]").click()

    expect(page.get_by_role("alert")).to_contain_text(text)
    expect(page.locator("#id_username")).to_have_value("rep_x")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"login-locked-{locale}.png"), full_page=True)


def test_the_admin_works_under_the_policy(page: Page, live_server, world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()

    page.goto(f"{live_server.url}/admin/org/user/")
    page.locator("#searchbar").fill("rep_x")
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name="rep_x", exact=True).click()
    expect(page.locator("#id_username")).to_have_value("rep_x")
    page.goto(f"{live_server.url}/admin/org/absence/add/")
    expect(page.locator(".datetimeshortcuts").first).to_be_visible()  # the admin's own script ran
