"""The rep's day on a 390×844 phone, in Chinese first (the default language) and then English:
an unplanned call found by pinyin initials as the rep types, a PIM with three attendees picked
with the attendee search, and a locked call amended without retyping its date.

(A planned call in three taps: tests/e2e/test_call_form.py; the duplicate warning:
tests/e2e/test_search.py; every rep page's tap targets: tests/e2e/test_phone_layout.py.)"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Amendment, Call, CallSettings, CallStatus
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LANGUAGES = ["zh-hans", "en"]
TEXT = {
    "zh-hans": {
        "log": "记录",
        "submit": "记录拜访",
        "logged": "已记录拜访。",
        "picker": "集体拜访 / 院内会：添加参会者",
        "pim": "产品信息会（院内会 / 科室会）",
        "meeting": "会议",
        "amend": "提交修改申请",
        "reason": "这次拜访为什么需要更正？",
        "send": "发送给我的地区经理",
        "sent": "已提交修改申请，等待地区经理批准或驳回。",
    },
    "en": {
        "log": "Log",
        "submit": "Log the call",
        "logged": "Call logged.",
        "picker": "Group call / PIM: add attendees",
        "pim": "PIM (院内会 / 科室会)",
        "meeting": "Meeting",
        "amend": "Request an amendment",
        "reason": "Why does the call need a correction?",
        "send": "Send to my DM",
        "sent": "Amendment requested: your DM will approve or reject it.",
    },
}


@pytest.fixture
def rep(cw, request):  # noqa: F811
    """rep_x on a phone, reading `language`."""
    cw.rep_x.language = request.getfixturevalue("language")
    cw.rep_x.save(update_fields=["language"])
    return cw.rep_x


def on_phone(page: Page, live_server):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unplanned_call_is_found_by_pinyin_initials_and_logged(
    page: Page,
    live_server,
    cw,  # noqa: F811
    rep,
    language,
):
    li = CustomerFactory(
        name="李建国", name_en="Li Jianguo", institution=cw.hx, department=cw.dx, territory=cw.tx
    )
    on_phone(page, live_server)
    t = TEXT[language]
    expect(page.locator("html")).to_have_attribute("lang", language)

    page.locator("#id_q").press_sequentially("ljg", delay=50)  # search
    result = page.locator(".search-results .result", has_text="李建国")
    expect(result).to_have_count(1)
    result.get_by_role("link", name=t["log"], exact=True).click()  # → 记录
    page.get_by_label("Once-daily oral dose").check()  # tick a key message
    page.get_by_role("button", name=t["submit"]).click()  # → 记录拜访

    expect(page.get_by_text(t["logged"])).to_be_visible()
    call = Call.objects.get()
    assert call.status == CallStatus.COMPLETED
    assert call.date == timezone.localdate()
    assert list(call.customers.all()) == [li]
    row = call.call_products.get()
    assert row.product == cw.px
    assert [m.text for m in row.key_messages.all()] == ["Once-daily oral dose"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_pim_with_three_attendees_picked_with_the_attendee_search(
    page: Page,
    live_server,
    cw,  # noqa: F811
    rep,
    language,
):
    zhou = CustomerFactory(
        name="周敏", name_en="Zhou Min", institution=cw.hx, department=cw.dx, territory=cw.tx
    )
    CustomerFactory(name="赵强", institution=cw.hy, department=cw.dy, territory=cw.ty)  # not ours
    on_phone(page, live_server)
    t = TEXT[language]

    page.goto(f"{live_server.url}/calls/new/?customer={cw.cx.pk}")
    page.get_by_text(t["picker"]).click()
    search = page.locator("#attendee-search")
    unticked = page.locator("[data-picker-item]:visible:has(input:not(:checked))")
    search.fill("陈")
    expect(unticked).to_have_count(1)
    unticked.locator("label").click()
    search.fill("Zhou")  # the ticked ones stay in view
    expect(unticked).to_have_count(1)
    unticked.locator("label").click()
    search.fill("赵")
    expect(unticked).to_have_count(0)  # another territory's customer is not offered
    page.get_by_label(t["pim"]).check()
    page.locator(".segmented label", has_text=t["meeting"]).click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name=t["submit"]).click()

    expect(page.get_by_text(t["logged"])).to_be_visible()
    call = Call.objects.get()
    assert call.is_pim and call.channel == "meeting"
    assert set(call.customers.all()) == {cw.cx, cw.cx2, zhou}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_locked_call_is_amended_without_retyping_its_date(
    page: Page,
    live_server,
    cw,  # noqa: F811
    rep,
    language,
):
    ago = dt.timedelta(days=CallSettings.load().grace_days + 5)
    day = timezone.localdate() - ago
    locked = make_call(
        cw.tx,
        [cw.cx],
        date=day,
        start_time=dt.time(10, 15),
        notes="",
        completed_at=timezone.now() - ago,
    )
    on_phone(page, live_server)
    t = TEXT[language]

    page.goto(f"{live_server.url}/calls/{locked.pk}/")
    page.get_by_role("link", name=t["amend"]).click()
    expect(page.locator("#id_date")).to_have_value(day.isoformat())
    expect(page.locator("#id_start_time")).to_have_value("10:15")
    page.get_by_label(t["reason"]).fill("Forgot the notes / 漏记备注")
    page.locator("#id_notes").fill("Asked for the subgroup data")
    page.get_by_role("button", name=t["send"]).click()

    expect(page.get_by_text(t["sent"])).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/calls/{locked.pk}/$"))
    amendment = Amendment.objects.get()
    assert amendment.changes["notes"] == "Asked for the subgroup data"
    assert "date" not in amendment.changes or amendment.changes["date"] == day.isoformat()
    locked.refresh_from_db()
    assert locked.date == day and locked.notes == ""  # unchanged until the DM approves
