"""Benchmark: a full run of each scheduled reminder rule at national scale (issue 9).

PostgreSQL only. The data of tests/bench/test_compliance.py (BENCH_TERRITORIES territories,
default 3,000, with a rep each; BENCH_CUSTOMERS customers; BENCH_CALLS calls over 2026), plus a
DM per district and June's snapshots. Then each rule runs once at a moment it is due in June 2026
(e-mail off: this measures finding the people and writing the notifications), and once more (a
re-run, which must send nothing). Prints time, notifications and queries of each run.

    DATABASE_URL=postgres://… pytest tests/bench/test_reminders.py -p no:randomly -s \
        --override-ini addopts=          # BENCH_TERRITORIES=300 BENCH_CUSTOMERS=60000
                                         # BENCH_CALLS=1000000 for a quick try
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.periods import parse
from notifications import services
from notifications.models import Notification, Rule, RuleSetting
from org.models import District, Role, User
from reports import engine
from tests.bench.test_compliance import CALLS, CUSTOMERS, TERRITORIES, generate, timed

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENTS = {  # a moment each rule is due in June 2026
    Rule.MONTH_END: datetime.datetime(2026, 6, 24, 9, 30, tzinfo=SHANGHAI),
    Rule.NO_PIM: datetime.datetime(2026, 6, 26, 14, 30, tzinfo=SHANGHAI),
    Rule.PLANNED_NOT_RECORDED: datetime.datetime(2026, 6, 25, 8, 30, tzinfo=SHANGHAI),
    Rule.TEAM_DIGEST: datetime.datetime(2026, 6, 29, 8, 30, tzinfo=SHANGHAI),
}


def run(rule, force=False):
    with CaptureQueriesContext(connection) as ctx:
        seconds, result = timed(lambda: services.rule_run(rule, now=MOMENTS[rule], force=force))
    return seconds, result.sent, len(ctx.captured_queries)


def test_reminders_at_national_scale():
    if connection.vendor != "postgresql":
        pytest.skip("the reminders benchmark needs PostgreSQL (set DATABASE_URL=postgres://…)")
    print(
        f"\nreminders benchmark: {TERRITORIES:,} territories, {CUSTOMERS:,} customers, "
        f"{CALLS:,} calls"
    )
    seconds, _counts = timed(generate)
    print(f"  generated in {seconds:.0f} s")
    districts = list(District.objects.order_by("code"))
    dms = User.objects.bulk_create(
        User(username=f"bench-dm-{d.code}", name=f"经理{d.code}", role=Role.DM, language="zh-hans")
        for d in districts
    )
    for district, dm in zip(districts, dms, strict=True):
        district.dm = dm
    District.objects.bulk_update(districts, ["dm"], batch_size=1000)
    engine.recompute(period=parse("2026-06"))
    services.rule_settings()
    RuleSetting.objects.update(send_email=False)

    rows = []
    for rule in MOMENTS:
        first = run(rule)
        again = run(rule, force=True)  # the schedule would not run it again that day
        assert first[1] > 0 and again[1] == 0, rule
        rows.append((rule, first, again))
    print(f"  {'rule':<22} {'first run':>10} {'notified':>9} {'queries':>8} {'re-run':>8}")
    for rule, (seconds, sent, queries), (again_s, _sent, _q) in rows:
        print(f"  {rule:<22} {seconds:9.2f}s {sent:9,} {queries:8} {again_s:7.2f}s")
    total = sum(first[0] for _rule, first, _again in rows)
    print(f"  all four rules        {total:9.2f}s {Notification.objects.count():9,} notifications")
