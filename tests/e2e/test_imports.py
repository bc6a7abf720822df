"""An admin onboards institutions from a CSV with one bad row: reads the preview, downloads the
rejected rows, fixes the file, checks it again and imports it. In zh-Hans first (a GB18030 file
with Chinese headers, as Chinese Excel saves it), then in English (a UTF-8 file whose headers
are the API's field names)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import Institution
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/imports")

# What each language's admin sees and uploads.
TEXT = {
    "zh-hans": {
        "header": "外部编号,名称,城市,床位数",
        "encoding": "gb18030",
        "file": "机构.csv",
        "bad": "很多",
        "kind": "文件内容",
        "check": "仅检查",
        "upload": "上传",
        "errors": "文件有 1 个错误，未导入任何数据。",
        "column": "床位数",
        "message": "“很多”不是整数。",
        "rejected": "未通过的行（CSV）",
        "error_column": "错误",
        "good": "每一行都没有问题。尚未写入任何数据。",
        "apply": "导入这 2 行",
        "done": "已导入。",
    },
    "en": {
        "header": "external_id,name,city,beds",
        "encoding": "utf-8",
        "file": "institutions.csv",
        "bad": "lots",
        "kind": "What the file holds",
        "check": "Check only",
        "upload": "Upload",
        "errors": "The file has 1 error; nothing was imported.",
        "column": "beds",
        "message": "“lots” is not a whole number.",
        "rejected": "Rejected rows (CSV)",
        "error_column": "error",
        "good": "Every row is good. Nothing has been written yet.",
        "apply": "Import these 2 rows",
        "done": "Imported.",
    },
}


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def upload(page: Page, live_server, text, lines, mode_label):
    page.goto(f"{live_server.url}/customers/imports/")
    page.get_by_label(text["kind"]).select_option("institutions")
    content = ("\r\n".join([text["header"], *lines]) + "\r\n").encode(text["encoding"])
    page.locator("input[type=file]").set_input_files(
        {"name": text["file"], "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_label(mode_label).check()
    page.get_by_role("button", name=text["upload"]).click()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_admin_fixes_the_rejected_row_and_imports(page: Page, live_server, world, language):
    text = TEXT[language]
    world.admin.language = language
    world.admin.save()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "admin")
    header = text["header"].split(",")
    assert text["column"] in header  # the label of `beds` in the file

    bad = ["H-1,瑞金医院,上海,2000", f"H-2,中山医院,上海,{text['bad']}"]
    upload(page, live_server, text, bad, text["check"])
    expect(page.get_by_text(text["errors"])).to_be_visible()
    errors = page.locator("table.import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("3")
    expect(errors.first).to_contain_text(text["column"])
    expect(errors.first).to_contain_text(text["message"])
    shot(page, f"preview-with-error-{language}")

    with page.expect_download() as download:
        page.get_by_role("link", name=text["rejected"]).click()
    rejected = Path(download.value.path()).read_bytes().decode("utf-8-sig").splitlines()
    assert rejected[0].split(",")[:4] == header and rejected[0].endswith(text["error_column"])
    assert rejected[1].startswith(f"H-2,中山医院,上海,{text['bad']},") and len(rejected) == 2
    assert not Institution.objects.filter(external_id__in=["H-1", "H-2"]).exists()

    good = ["H-1,瑞金医院,上海,2000", "H-2,中山医院,上海,1800"]
    upload(page, live_server, text, good, text["check"])
    expect(page.get_by_text(text["good"])).to_be_visible()
    expect(page.locator("table.import-preview tbody tr")).to_have_count(2)
    expect(page.locator("#import-created")).to_have_text("2")
    shot(page, f"preview-clean-{language}")
    page.get_by_role("button", name=re.compile(text["apply"])).click()
    expect(page.get_by_text(text["done"])).to_be_visible()
    shot(page, f"imported-{language}")
    assert Institution.objects.get(external_id="H-2").beds == 1800

    page.goto(f"{live_server.url}/customers/imports/")
    expect(page.locator("table tbody tr")).to_have_count(3)  # found again: the recent imports
