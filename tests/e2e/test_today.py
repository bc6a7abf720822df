"""Today on a phone, in Chinese first and in English: who is next, no horizontal scroll, tap
targets of at least 44 px."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import CallStatus
from customers.models import ClassHistory
from tests.calls import conftest as calls_conftest
from tests.calls.factories import make_call
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/today")

cw = calls_conftest.cw


def classed(customer, product, klass):
    ClassHistory.objects.create(
        customer=customer,
        product=product,
        klass=klass,
        source="computed",
        valid_from=datetime.date(2025, 1, 1),
        cause="measures",
    )
    return customer


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("zh-hans", ["今日拜访", "到期的承诺", "本月待拜访"]),
        ("en", ["Today's calls", "Commitments due", "Still to visit this month"]),
    ],
)
def test_today_on_a_phone_says_who_is_next(page: Page, live_server, cw, language, headings):
    today = timezone.localdate()
    cw.rep_x.language = language
    cw.rep_x.save(update_fields=["language"])
    for customer, klass in ((cw.cx, "A"), (cw.cx2, "B")):
        classed(customer, cw.px, klass)
    names = ["刘洋", "黄丽", "周杰", "吴静", "徐明", "孙伟", "马超"]
    for i, name in enumerate(names):
        customer = CustomerFactory(name=name, institution=cw.hx, territory=cw.tx)
        classed(customer, cw.px, "ABCCCCC"[i])
    make_call(cw.tx, [cw.cx], start_time=datetime.time(9, 0))
    make_call(
        cw.tx,
        [cw.cx2],
        status=CallStatus.PLANNED,
        start_time=datetime.time(10, 30),
        objective="随访试用情况",
    )
    make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, start_time=None, objective="送资料")
    make_call(
        cw.tx,
        [cw.cx2],
        date=today - datetime.timedelta(days=6),
        next_appointment_date=today - datetime.timedelta(days=1),
        commitment_next_appointment="周四门诊后",
        commitment_measurable="在3位合适的患者身上试用",
    )
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "rep_x")

    for heading in headings:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"today-{language}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate(
        """() => [...document.querySelectorAll('main a, main button')]
            .filter(e => e.closest('.planrow, .td-pim, .td-more, .td-territory'))
            .map(e => [e.textContent.trim().slice(0, 20), e.getBoundingClientRect()])
            .filter(([, r]) => r.width && (r.height < 44 || r.width < 44))
            .map(([t, r]) => `${t} ${r.width}x${r.height}`)"""
    )
    assert small == []
