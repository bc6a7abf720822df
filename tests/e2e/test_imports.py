"""An admin onboards institutions from a GB18030 CSV (as Chinese Excel saves it) with one bad
row: reads the preview, downloads the rejected rows, fixes the file, checks it again and
imports it (zh-Hans)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import Institution
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/imports")
HEADER = "外部编号,名称,城市,床位数"


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def upload(page: Page, live_server, lines, mode_label):
    page.goto(f"{live_server.url}/customers/imports/")
    page.get_by_label("文件内容").select_option("institutions")
    content = ("\r\n".join([HEADER, *lines]) + "\r\n").encode("gb18030")
    page.locator("input[type=file]").set_input_files(
        {"name": "机构.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_label(mode_label).check()
    page.get_by_role("button", name="上传").click()


def test_an_admin_fixes_the_rejected_row_and_imports(page: Page, live_server, world):
    world.admin.language = "zh-hans"
    world.admin.save()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "admin")
    header = HEADER.split(",")
    assert "床位数" in header  # the Chinese label of `beds`

    upload(page, live_server, ["H-1,瑞金医院,上海,2000", "H-2,中山医院,上海,很多"], "仅检查")
    expect(page.get_by_text("文件有 1 个错误，未导入任何数据。")).to_be_visible()
    errors = page.locator("table.import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("3")
    expect(errors.first).to_contain_text("床位数")
    expect(errors.first).to_contain_text("“很多”不是整数。")
    shot(page, "preview-with-error")

    with page.expect_download() as download:
        page.get_by_role("link", name="未通过的行（CSV）").click()
    rejected = Path(download.value.path()).read_bytes().decode("utf-8-sig").splitlines()
    assert rejected[0].split(",")[:4] == header and rejected[0].endswith("错误")
    assert rejected[1].startswith("H-2,中山医院,上海,很多,") and len(rejected) == 2
    assert not Institution.objects.filter(external_id__in=["H-1", "H-2"]).exists()

    upload(page, live_server, ["H-1,瑞金医院,上海,2000", "H-2,中山医院,上海,1800"], "仅检查")
    expect(page.get_by_text("每一行都没有问题。尚未写入任何数据。")).to_be_visible()
    expect(page.locator("table.import-preview tbody tr")).to_have_count(2)
    expect(page.locator("#import-created")).to_have_text("2")
    shot(page, "preview-clean")
    page.get_by_role("button", name=re.compile("导入这 2 行")).click()
    expect(page.get_by_text("已导入。")).to_be_visible()
    shot(page, "imported")
    assert Institution.objects.get(external_id="H-2").beds == 1800

    page.goto(f"{live_server.url}/customers/imports/")
    expect(page.locator("table tbody tr")).to_have_count(3)  # found again: the recent imports
