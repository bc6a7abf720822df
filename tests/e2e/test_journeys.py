"""A rep logs in, switches to Chinese, searches a doctor and opens the profile."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_rep_switches_to_chinese_searches_a_doctor_and_opens_the_profile(
    page: Page, live_server, world
):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "rep_x")
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_placeholder("查找客户：姓名、医院或科室").fill("Wang")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=re.compile("王建国")).click()

    expect(page.get_by_role("heading", name=re.compile("王建国"))).to_be_visible()
    expect(page.get_by_text("处方信息")).to_be_visible()
    expect(page.get_by_role("link", name="李明")).to_have_count(0)


def test_a_rep_cannot_find_another_territorys_doctor(page: Page, live_server, world):
    log_in(page, live_server, "rep_x")

    page.goto(f"{live_server.url}/customers/?q=Li+Ming")

    expect(page.get_by_text("No customers match.")).to_be_visible()


def test_a_rep_adds_a_non_prescriber_on_a_phone(page: Page, live_server, world):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "rep_x")
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("link", name="+ New customer").click()

    expect(page.locator("#id_role_group")).to_be_hidden()
    page.locator("#id_name").fill("周护士长")
    page.locator("#id_kind").select_option("non_prescriber")
    expect(page.locator("#id_role_group")).to_be_visible()
    page.locator("#id_institution").select_option(label="Renji Hospital")  # an English rep
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("A non-prescriber needs a role group (N1, N2 or N3).")).to_be_visible()

    page.locator("#id_role_group").select_option("N3")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="周护士长")).to_be_visible()
    expect(page.get_by_text("Customer 周护士长 created.")).to_be_visible()
