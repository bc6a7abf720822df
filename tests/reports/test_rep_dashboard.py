"""The rep's dashboard: this month week by week (A + B against a brute-force count, and equal to
the month's snapshot on its last day), six-month trends where a month without data is a gap
(never 0 %), every count drilling to exactly its customers (N1, N2, N3 apart; coverage to the
uncovered targets; frequency to the targets below it), scope, Chinese, and query counts flat in
the data size."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import Call, CallAttendee
from core.periods import parse
from customers.models import CustomerKind
from reports import engine, selectors
from reports.models import ClassSnapshot
from tests.factories import CustomerFactory, ProductFactory, classify

pytestmark = pytest.mark.django_db

MARCH = parse("2026-03")  # 1 March 2026 is a Sunday: weeks end 1, 8, 15, 22, 29 and 31 March
URL = "/reports/"
DRILL = "/reports/targets/"


def on(day):
    return datetime.date(2026, 3, day)


def call(territory, customers, day, status="completed", **fields):
    visit = Call.objects.create(
        territory=territory,
        rep=territory.rep,
        date=on(day),
        status=status,
        institution=customers[0].institution,
        **fields,
    )
    CallAttendee.objects.bulk_create(CallAttendee(call=visit, customer=c) for c in customers)
    return visit


@pytest.fixture
def march(world):
    """tx in March 2026. Targets A: cx (4 calls: 2, 9, 16, 23), a_group (a group call on the 5th
    only, and a planned call on the 12th); B: b_late (the group call, a cancelled call on the
    13th, calls on the 20th, 27th and 30th); C: c_never. Non-prescribers n1, n2 (visited once),
    n3. `late`, class A and aligned on 10 March, attends the group call: NOT a target.
    ty: cy class A with 4 calls (another territory)."""
    w = world
    px = ProductFactory()
    w.tx.team.products.add(px)
    w.ty.team.products.add(px)
    classify(w.cx, px, "A")
    classify(w.cy, px, "A")

    def prescriber(name, klass):
        return classify(CustomerFactory(name=name, institution=w.hx, territory=w.tx), px, klass)

    def non_prescriber(name, group):
        return CustomerFactory(
            name=name,
            institution=w.hx,
            territory=w.tx,
            kind=CustomerKind.NON_PRESCRIBER,
            role_group=group,
        )

    w.a_group = prescriber("组会甲", "A")
    w.b_late = prescriber("乙晚", "B")
    w.c_never = prescriber("丙无", "C")
    w.n1 = non_prescriber("院长", "N1")
    w.n2 = non_prescriber("医务处", "N2")
    w.n3 = non_prescriber("库管", "N3")
    w.late = classify(CustomerFactory(name="后来", institution=w.hx), px, "A")
    w.late.alignments.create(territory=w.tx, valid_from=on(10))
    for day in (2, 9, 16, 23):
        call(w.tx, [w.cx], day)
    call(w.tx, [w.a_group, w.b_late, w.late, w.n2], 5, is_pim=True)
    call(w.tx, [w.a_group], 12, status="planned")
    call(w.tx, [w.b_late], 13, status="cancelled")
    for day in (20, 27, 30):
        call(w.tx, [w.b_late], day)
    for day in (3, 10, 17, 24):
        call(w.ty, [w.cy], day)
    w.px = px
    return w


def brute_force(territory, targets, required, through):
    """Covered and frequency-compliant among `targets` ({customer: klass}) from 1 March to
    `through`, counted one attendance at a time."""
    calls = dict.fromkeys(targets, 0)
    for attendance in CallAttendee.objects.select_related("call"):
        visit = attendance.call
        if (
            visit.territory_id == territory.pk
            and visit.status == "completed"
            and MARCH.start <= visit.date <= through
            and attendance.customer_id in calls
        ):
            calls[attendance.customer_id] += 1
    covered = sum(1 for n in calls.values() if n)
    compliant = sum(1 for c, n in calls.items() if n >= required[targets[c]])
    return covered, compliant


# This month, week by week


def test_the_weekly_progress_equals_a_brute_force_count(march):
    w = march
    targets = {w.cx.pk: "A", w.a_group.pk: "A", w.b_late.pk: "B"}  # not `late`
    progress = selectors.month_progress(territory=w.tx, month=MARCH, today=on(31))

    assert progress["targets"] == progress["frequency_targets"] == 3
    weeks = progress["weeks"]
    assert [week["end"] for week in weeks] == [on(d) for d in (1, 8, 15, 22, 29, 31)]
    for week in weeks:
        expected = brute_force(w.tx, targets, {"A": 4, "B": 4}, week["end"])
        assert (week["covered"], week["compliant"]) == expected, week["end"]
    # By hand: the group call covers a_group and b_late from the 5th; cx reaches 4 on the 23rd;
    # b_late reaches 4 (group call + 3) on the 30th; the planned and cancelled calls never count.
    assert [(w_["covered"], w_["compliant"]) for w_ in weeks] == [
        (0, 0),
        (3, 0),
        (3, 0),
        (3, 0),
        (3, 1),
        (3, 2),
    ]
    assert weeks[-1]["coverage"] == 1 and weeks[-1]["frequency"] == pytest.approx(2 / 3, abs=1e-4)


def test_on_the_months_last_day_the_progress_is_the_months_snapshot(march):
    engine.recompute(period=MARCH)
    snapshot = {
        row.klass: row
        for row in ClassSnapshot.objects.filter(
            territory=march.tx, period=MARCH.key, klass__in=("A", "B")
        )
    }
    last = selectors.month_progress(territory=march.tx, month=MARCH, today=on(31))["weeks"][-1]

    assert last["covered"] == sum(row.covered for row in snapshot.values())
    assert last["compliant"] == sum(row.frequency_compliant for row in snapshot.values())
    assert sum(row.targets for row in snapshot.values()) == 3


def test_weeks_after_today_have_no_figures_and_the_running_week_counts_to_today(march):
    weeks = selectors.month_progress(territory=march.tx, month=MARCH, today=on(18))["weeks"]

    assert [week["through"] for week in weeks] == [on(1), on(8), on(15), on(18), None, None]
    assert [week["covered"] for week in weeks] == [0, 3, 3, 3, None, None]
    assert weeks[4]["coverage"] is None and weeks[5]["frequency"] is None


def test_the_page_draws_the_month_with_its_requirement_and_a_table(march, login):
    html = login(march.rep_x).get(URL, {"period": MARCH.key}).content.decode()

    assert "This month, week by week" in html
    assert "requirement ≥ 90 %" in html  # the A/B monthly coverage requirement, drawn dashed
    assert 'class="rp-target"' in html
    assert "Week to" in html and "100 % <span" in html and "3/3" in html  # the table
    assert "66 %" in html and "2/3" in html  # frequency on the 31st, rounded down


# Trends: a month without data is a gap


def test_a_month_without_data_is_a_gap_not_zero(march, login):
    engine.recompute(period=MARCH)
    engine.recompute(period=parse("2026-02"))  # targets, but not one call recorded

    response = login(march.rep_x).get(URL, {"period": MARCH.key})
    charts = dict(response.context["charts"])
    coverage = charts["Coverage of A + B"]
    assert [p["label"] for p in coverage["points"]] == [
        "25-10",
        "25-11",
        "25-12",
        "26-01",
        "26-02",
        "26-03",
    ]
    assert [p["value"] for p in coverage["points"]] == [None] * 5 + ["100 %"]
    html = response.content.decode()
    svg = html[html.index("<figcaption>Coverage of A + B <") :]
    svg = svg[: svg.index("</figure>")]
    assert "<title>26-02:" not in svg and "<title>26-03: 100 %</title>" in svg
    assert not re.search(r"(?<![0-9])0 ?%", svg.replace("0%</text>", ""))  # no month at 0 %
    row = re.search(r"<tr><th scope=\"row\">26-02</th><td>(.*?)</td></tr>", svg).group(1)
    assert "—" in row
    call_rate = charts["Call rate"]["points"]
    assert call_rate[4]["value"] is None


def test_the_dms_trends_show_the_gap_too(march, login):
    engine.recompute(period=MARCH)
    engine.recompute(period=parse("2026-02"))

    charts = dict(login(march.dm_x).get(URL, {"period": MARCH.key}).context["charts"])

    values = [p["value"] for p in charts["Coverage of A + B"]["points"]]
    assert values[4] is None and values[5] == "100 %"


# Every count drills to exactly its customers


def links(html):
    return [unescape(href) for href in re.findall(r'href="(/reports/targets/\?[^"]+)"', html)]


def names(client, href):
    response = client.get(href)
    assert response.status_code == 200
    return {customer.name for customer in response.context["customers"]}


def test_each_class_count_drills_to_exactly_its_targets(march, login):
    engine.recompute(period=MARCH)
    client = login(march.rep_x)
    html = client.get(URL, {"period": MARCH.key}).content.decode()
    by_class = {
        re.search(r"klass=(\w+)", href).group(1): href
        for href in links(html)
        if "show=" not in href
    }

    assert names(client, by_class["A"]) == {"王建国", "组会甲"}  # not `late`
    assert names(client, by_class["B"]) == {"乙晚"}
    assert names(client, by_class["N1"]) == {"院长"}
    assert names(client, by_class["N2"]) == {"医务处"}
    assert names(client, by_class["N3"]) == {"库管"}
    assert "D" not in by_class  # no targets: a plain 0


def test_coverage_drills_to_the_uncovered_targets_and_frequency_to_those_below(march, login):
    engine.recompute(period=MARCH)
    client = login(march.rep_x)
    html = client.get(URL, {"period": MARCH.key}).content.decode()
    uncovered = {
        re.search(r"klass=(\w+)", h).group(1): h for h in links(html) if "show=uncovered" in h
    }
    below = {re.search(r"klass=(\w+)", h).group(1): h for h in links(html) if "show=below" in h}

    assert set(uncovered) == {"C", "N1", "N3"}  # A, B and N2 are fully covered
    assert names(client, uncovered["C"]) == {"丙无"}
    assert names(client, uncovered["N1"]) == {"院长"}
    assert names(client, uncovered["N3"]) == {"库管"}
    assert set(below) == {"A", "C", "N1", "N2"}  # B: 1 of 1 at 4 calls; N3: as needed
    assert names(client, below["A"]) == {"组会甲"}  # 1 of 4 calls (the planned one not counted)
    assert names(client, below["N2"]) == {"医务处"}  # 1 of 2


def test_the_dms_table_drills_to_the_same_lists(march, login):
    engine.recompute(period=MARCH)
    client = login(march.dm_x)
    html = client.get(URL, {"period": MARCH.key}).content.decode()
    hrefs = links(html)
    uncovered_c = next(h for h in hrefs if "klass=C" in h and "show=uncovered" in h)
    below_a = next(h for h in hrefs if "klass=A" in h and "show=below" in h)

    assert names(client, uncovered_c) == {"丙无"}
    assert names(client, below_a) == {"组会甲"}


def test_a_quarter_drills_to_the_targets_never_visited_in_it(march, login):
    client = login(march.rep_x)
    query = {"territory": march.tx.pk, "period": "2026-Q1", "show": "uncovered"}
    assert names(client, f"{DRILL}?klass=C&" + "&".join(f"{k}={v}" for k, v in query.items())) == {
        "丙无"
    }
    below = client.get(DRILL, {**query, "klass": "A", "show": "below"})
    assert below.status_code == 200 and below.context["customers"] == []


# Scope and bad input


@pytest.mark.parametrize(
    ("persona", "territory", "expected"),
    [
        ("rep_x", "tx", 200),
        ("rep_x", None, 200),  # their own territory
        ("rep_x", "ty", 404),
        ("rep_y", "tx", 404),
        ("dm_x", "tx", 200),
        ("dm_x", "ty", 404),
        ("dm_x", None, 404),  # a DM names a territory
        ("outsider_rep", "tx", 404),
        ("regional", "ty", 200),
    ],
)
def test_a_drill_stays_in_scope(march, login, persona, territory, expected):
    query = {"period": MARCH.key, "klass": "A"}
    if territory:
        query["territory"] = getattr(march, territory).pk
    response = login(getattr(march, persona)).get(DRILL, query)
    assert response.status_code == expected
    if expected == 200:
        shown = {c.name for c in response.context["customers"]}
        assert shown == ({"李明"} if territory == "ty" else {"王建国", "组会甲"})


@pytest.mark.parametrize(
    "query",
    [
        {"territory": "abc"},
        {"klass": "E"},
        {"klass": "N"},  # N1, N2 and N3 each have their own list
        {"show": "everything"},
    ],
)
def test_a_malformed_drill_answers_404(march, login, query):
    base = {"territory": march.tx.pk, "period": MARCH.key, "klass": "A"}
    assert login(march.rep_x).get(DRILL, {**base, **query}).status_code == 404


# Chinese


def test_the_dashboard_and_a_drill_read_in_chinese(march, login):
    engine.recompute(period=MARCH)
    march.rep_x.language = "zh-hans"
    march.rep_x.save()
    client = login(march.rep_x)

    html = client.get(URL, {"period": MARCH.key}).content.decode()
    assert "本月逐周进度" in html and "要求 ≥ 90 %" in html and "近六个月" in html
    assert "Week to" not in html and "requirement" not in html
    drill = client.get(
        DRILL, {"territory": march.tx.pk, "period": MARCH.key, "klass": "C", "show": "uncovered"}
    ).content.decode()
    assert "尚未覆盖" in drill and "丙无" in drill


# Query counts do not grow with the data


def count(client, url, query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(w):
    for i in range(12):
        customer = classify(CustomerFactory(institution=w.hx, territory=w.tx), w.px, "ABCD"[i % 4])
        call(w.tx, [customer, w.cx], 1 + i)
        CustomerFactory(
            institution=w.hx, territory=w.tx, kind=CustomerKind.NON_PRESCRIBER, role_group="N2"
        )
    engine.recompute(period=MARCH)


@pytest.mark.parametrize(
    ("url", "query"),
    [
        (URL, {}),
        (DRILL, {"klass": "A"}),
        (DRILL, {"klass": "N2", "show": "below"}),
        (DRILL, {"klass": "B", "show": "uncovered"}),
    ],
)
def test_query_counts_are_flat_in_the_data(march, login, url, query):
    engine.recompute(period=MARCH)
    client = login(march.rep_x)
    query = {"period": MARCH.key, "territory": march.tx.pk, **query}
    count(client, url, query)  # warm
    before = count(client, url, query)
    grow(march)
    assert count(client, url, query) == before
