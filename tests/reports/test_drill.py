"""Every figure one click from exactly its rows: the rep's and the DM's dashboards and the
opportunity analysis mark each figure link with `data-figure` (the number of rows behind it);
the test follows every one of them and counts the rows of the list it opens. Scope (another
district's list is 404), exports of the lists, figures judged against the team's targets (PIMs,
the team-total call rate) and query counts flat in the number of rows."""

import csv
import datetime
import io
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from calls.models import Call, CallAttendee, CallProduct
from core.periods import parse
from customers.models import Alignment
from reports import engine
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    TeamFactory,
    TerritoryFactory,
    classify,
)

pytestmark = pytest.mark.django_db

MARCH = "2026-03"
DASHBOARD = "/reports/"
OPPORTUNITY = "/reports/opportunity/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def visit(territory, customers, day, **fields):
    call = Call.objects.create(
        territory=territory,
        rep=territory.rep,
        date=day if isinstance(day, datetime.date) else datetime.date(2026, 3, day),
        status=fields.pop("status", "completed"),
        institution=customers[0].institution,
        **fields,
    )
    CallAttendee.objects.bulk_create(CallAttendee(call=call, customer=c) for c in customers)
    return call


@pytest.fixture
def drill(world):
    """District X holds tx (rep_x, team of product px) and tx2 (rep_x2, another team with other
    targets, promoting px too). In March:

    - tx: cx A (4 calls), a_miss A (none), b_short B (1 call, adoption "interested"), c_void C
      (a cancelled call only), n1 N1 (1 call); a PIM with cx, c_void and a stranger (no target);
    - shared, class A, aligned to tx and tx2: 1 call in tx (adoption "aware"), 2 in tx2; it is a
      target of both, counted once in each;
    - tx2: d2 D (1 call); a PIM with d2;
    - ty (district Y): cy A, 1 call. And a PIM of tx today (PIMs this week)."""
    w = world
    px = ProductFactory(code="PX", name="甲药", name_en="Drug X")
    w.px = px
    w.tx.team.products.add(px)
    w.ty.team.products.add(px)
    w.team2 = TeamFactory(code="CV", call_rate_target=4, pims_per_week=2)
    w.team2.products.add(px)
    w.tx2 = TerritoryFactory(district=w.district_x, holder=w.rep_x2, code="TX2", team=w.team2)
    classify(w.cx, px, "A")
    classify(w.cy, px, "A")

    def customer(name, klass, *territories, **fields):
        made = CustomerFactory(name=name, institution=w.hx, territory=territories[0], **fields)
        for other in territories[1:]:
            Alignment.objects.create(
                customer=made, territory=other, valid_from=datetime.date(2025, 1, 1)
            )
        return classify(made, px, klass) if klass else made

    w.a_miss = customer("未访", "A", w.tx)
    w.b_short = customer("不足", "B", w.tx)
    w.c_void = customer("取消", "C", w.tx)
    w.n1 = customer("院长", None, w.tx, kind="non_prescriber", role_group="N1")
    w.shared = customer("共享", "A", w.tx, w.tx2)
    w.d2 = customer("丁二", "D", w.tx2)
    stranger = CustomerFactory(name="外人", institution=w.hx)
    first = visit(w.tx, [w.cx], 2)
    for day in (9, 16, 23):
        visit(w.tx, [w.cx], day)
    CallProduct.objects.create(call=first, product=px, adoption_stage="trial")
    short = visit(w.tx, [w.b_short], 5)
    CallProduct.objects.create(call=short, product=px, adoption_stage="interested")
    visit(w.tx, [w.c_void], 6, status="cancelled")
    visit(w.tx, [w.n1], 7)
    shared = visit(w.tx, [w.shared], 8)
    CallProduct.objects.create(call=shared, product=px, adoption_stage="aware")
    visit(w.tx2, [w.shared], 10)
    visit(w.tx2, [w.shared], 11)
    visit(w.tx2, [w.d2], 12)
    visit(w.tx, [w.cx, w.c_void, stranger], 13, is_pim=True, channel="meeting")
    visit(w.tx2, [w.d2], 17, is_pim=True, channel="meeting")
    visit(w.ty, [w.cy], 3)
    visit(w.tx, [w.cx], timezone.localdate(), is_pim=True, channel="meeting")
    engine.recompute(period=parse(MARCH))
    engine.recompute(period=parse("2026-Q1"))
    return w


class FigureLinks(HTMLParser):
    """The links of a page that carry `data-figure`, and every drill link (rp-drill, the
    opportunity bars and segments) whether it carries one or not."""

    def __init__(self):
        super().__init__()
        self.figures, self.drills = [], []

    def handle_starttag(self, tag, attrs):
        if tag != "a":
            return
        attrs = dict(attrs)
        href = attrs.get("href") or ""
        if "data-figure" in attrs:
            self.figures.append((href, int(attrs["data-figure"])))
        drill_pages = ("/reports/targets/", "/reports/activity/", "/reports/adoption/")
        if href.startswith(drill_pages) and "format=" not in href:
            self.drills.append(href)


def figure_links(html):
    parser = FigureLinks()
    parser.feed(html)
    return parser


def rows_of(response):
    """The number of rows a drill list shows, as the page says it and as its context holds."""
    html = response.content.decode()
    shown = int(re.search(r'data-rows="(\d+)"', html).group(1))
    context = response.context
    held = len(context["customers"] if "customers" in context else context["rows"])
    assert shown == held
    return shown


def walk(client, url, query):
    page = client.get(url, query)
    assert page.status_code == 200
    links = figure_links(page.content.decode())
    assert links.drills, "no drill link on the page"
    assert sorted(links.drills) == sorted(href for href, _n in links.figures)  # none unmarked
    walked = []
    for href, figure in links.figures:
        response = client.get(unescape(href))
        assert response.status_code == 200, href
        assert rows_of(response) == figure, href
        walked.append((href, figure))
    return walked


PAGES = [
    ("rep_x", DASHBOARD, {"period": MARCH}),
    ("rep_x", DASHBOARD, {"period": "2026-Q1"}),
    ("rep_x", OPPORTUNITY, {"period": MARCH}),
    ("dm_x", DASHBOARD, {"period": MARCH}),
    ("dm_x", DASHBOARD, {"period": "2026-Q1"}),
    ("dm_x", DASHBOARD, {"period": MARCH, "territory": "tx2"}),
    ("dm_x", OPPORTUNITY, {"period": MARCH}),
    ("regional", OPPORTUNITY, {"period": MARCH}),
]


@pytest.mark.parametrize(("persona", "url", "query"), PAGES)
def test_every_figure_link_opens_exactly_its_rows(drill, login, persona, url, query):
    query = {k: getattr(drill, v).pk if k == "territory" else v for k, v in query.items()}
    walked = walk(login(getattr(drill, persona)), url, query)

    assert len(walked) >= 8
    assert any(figure > 0 for _href, figure in walked)


def test_the_walk_covers_what_the_issue_names(drill, login):
    client = login(drill.dm_x)
    district = dict(walk(client, DASHBOARD, {"period": MARCH}))
    district_wide = [h for h in district if f"district={drill.district_x.pk}" in h]
    # The district's class A targets: cx, a_miss, shared (tx) and shared (tx2).
    all_a = next(h for h in district_wide if "klass=A" in h and "show=uncovered" in h)
    assert district[all_a] == 1  # a_miss
    covered_d = next(h for h in district_wide if "klass=D" in h and "show=covered" in h)
    assert district[covered_d] == 1
    calls = next(h for h in district_wide if "show=calls" in h)
    assert district[calls] == 14  # attendances at completed calls, a PIM's attendees each
    pims = next(h for h in district_wide if "show=pims" in h)
    assert district[pims] == 2

    opportunity = dict(walk(client, OPPORTUNITY, {"period": MARCH}))
    gap = next(h for h in opportunity if "stage=before_trial" in h and "klass=A" in h)
    assert opportunity[gap] == 2  # a_miss (nothing recorded) and shared ("aware")
    stranger = next(h for h in opportunity if "show=invitations" in h and "klass=none" in h)
    assert opportunity[stranger] == 1


def test_a_district_figure_lists_the_customers_of_each_territory(drill, login):
    response = login(drill.dm_x).get(
        "/reports/targets/", {"district": drill.district_x.pk, "period": MARCH, "klass": "A"}
    )

    listed = sorted((c.name, c.territory.code) for c in response.context["customers"])
    assert listed == [("共享", "TX"), ("共享", "TX2"), ("未访", "TX"), ("王建国", "TX")]
    assert "TX2" in response.content.decode()


# Scope


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/reports/targets/", {"klass": "A"}),
        ("/reports/activity/", {"show": "calls"}),
        ("/reports/activity/", {"show": "one_to_one", "klass": "A"}),
        ("/reports/adoption/", {"product": "PX", "klass": "A", "stage": "all"}),
    ],
)
@pytest.mark.parametrize(
    ("persona", "scope", "expected"),
    [
        ("dm_x", ("district", "district_x"), 200),
        ("dm_x", ("territory", "tx2"), 200),
        ("dm_x", ("district", "district_y"), 404),
        ("dm_x", ("territory", "ty"), 404),
        ("rep_x", ("district", "district_x"), 404),
        ("rep_x", ("territory", "ty"), 404),
        ("rep_x", None, 200),  # their own territory
        ("dm_x", None, 404),  # a manager names the scope
        ("regional", ("district", "district_y"), 200),
    ],
)
def test_a_drill_list_stays_in_scope(drill, login, path, extra, persona, scope, expected):
    query = {"period": MARCH, **extra}
    if scope:
        query[scope[0]] = getattr(drill, scope[1]).pk
    assert login(getattr(drill, persona)).get(path, query).status_code == expected


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/reports/targets/", {"klass": "E"}),
        ("/reports/targets/", {"klass": "A", "show": "everyone"}),
        ("/reports/activity/", {"show": "visits"}),
        ("/reports/activity/", {"show": "invitations", "klass": "Z"}),
        ("/reports/adoption/", {"product": "NOPE", "klass": "A"}),
        ("/reports/adoption/", {"product": "PX", "klass": "C"}),
        ("/reports/adoption/", {"product": "PX", "klass": "A", "stage": "bored"}),
        ("/reports/targets/", {"klass": "A", "district": "not-an-id"}),
    ],
)
def test_a_malformed_drill_answers_404(drill, login, path, query):
    query = {"period": MARCH, "district": drill.district_x.pk, **query}
    assert login(drill.dm_x).get(path, query).status_code == 404


# Exports


def test_a_drill_list_exports_its_rows_as_csv(drill, login):
    query = {"district": drill.district_x.pk, "period": MARCH, "klass": "A", "format": "csv"}
    response = login(drill.dm_x).get("/reports/targets/", query)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Customer", "Institution"] and "Territory" in rows[0]
    assert len(rows) == 1 + 4
    territory = rows[0].index("Territory")
    assert sorted(row[territory] for row in rows[1:]) == ["TX", "TX", "TX", "TX2"]
    assert "Wang Jianguo" in {row[0] for row in rows[1:]}  # the English name for English


@pytest.mark.parametrize(
    ("path", "extra", "count"),
    [
        ("/reports/activity/", {"show": "calls"}, 14),
        ("/reports/activity/", {"show": "pims"}, 2),
        ("/reports/adoption/", {"product": "PX", "klass": "A", "stage": "all"}, 3),
    ],
)
def test_the_calls_and_adoption_lists_export_too(drill, login, path, extra, count):
    for format in ("csv", "xlsx"):
        query = {"district": drill.district_x.pk, "period": MARCH, "format": format, **extra}
        response = login(drill.dm_x).get(path, query)
        assert response.status_code == 200
        assert f".{format}" in response["Content-Disposition"]
    rows = list(
        csv.reader(
            io.StringIO(
                login(drill.dm_x).get(path, {**query, "format": "csv"}).content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) == 1 + count


# Judged against the team's targets


def test_the_pims_and_the_team_total_call_rate_are_judged(drill, login):
    response = login(drill.dm_x).get(DASHBOARD, {"period": MARCH})
    context = response.context

    # Field-day-weighted target of the two teams (10 and 4 calls a day).
    assert context["total_rate_state"] in ("met", "unmet")
    assert context["total_rate_target"] is not None
    assert 4 < context["total_rate_target"] < 10
    assert context["total_pims_state"] == "unmet"  # 2 PIMs in a month of field days
    assert all(line["pims_state"] in ("met", "unmet") for line in context["lines"])
    html = response.content.decode()
    assert 'rp-fig unmet">2<span class="sr-only"> not met' in html


def test_a_rep_sees_their_pims_of_the_period_judged(drill, login):
    context = login(drill.rep_x).get(DASHBOARD, {"period": MARCH}).context

    assert context["pims_required"] is not None
    assert context["pims_period_state"] == "unmet"


# Months without data


def test_a_month_without_data_is_a_gap_not_zero(drill, login):
    response = login(drill.dm_x).get(DASHBOARD, {"period": MARCH})
    coverage = dict(response.context["charts"])["Coverage of A + B"]

    assert [p["value"] for p in coverage["points"]][:5] == [None] * 5  # Oct–Feb: nothing
    assert coverage["points"][5]["value"] is not None
    html = response.content.decode()
    assert html.count('class="rp-dot"') == 3  # one dot a chart, for March only
    assert ">0 %<" not in re.search(r"rp-datatable.*?</table>", html, re.S).group(0)


# Query counts flat in the rows


def queries(client, path, query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(w):
    for i in range(6):
        made = CustomerFactory(institution=w.hx, territory=w.tx)
        classify(made, w.px, "AB"[i % 2])
        call = visit(w.tx, [made], 1 + i)
        CallProduct.objects.create(call=call, product=w.px, adoption_stage="aware")
        other = CustomerFactory(institution=w.hx, territory=w.tx2)
        classify(other, w.px, "A")
        visit(w.tx2, [other, made], 2 + i, is_pim=True, channel="meeting")
    engine.recompute(period=parse(MARCH))


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/reports/targets/", {"klass": "A"}),
        ("/reports/targets/", {"klass": "A", "show": "below"}),
        ("/reports/activity/", {"show": "calls"}),
        ("/reports/activity/", {"show": "pims"}),
        ("/reports/activity/", {"show": "invitations", "klass": "A"}),
        ("/reports/adoption/", {"product": "PX", "klass": "A", "stage": "all"}),
    ],
)
def test_drill_query_counts_are_flat_in_the_rows(drill, login, path, extra):
    client = login(drill.dm_x)
    query = {"district": drill.district_x.pk, "period": MARCH, **extra}
    queries(client, path, query)  # warm
    before = queries(client, path, query)
    grow(drill)
    assert queries(client, path, query) == before


def test_a_long_activity_list_is_shown_a_page_at_a_time_and_exported_whole(
    drill, login, monkeypatch
):
    from reports.views import dashboards

    client = login(drill.dm_x)
    url = f"/reports/activity/?district={drill.district_x.pk}&period={MARCH}&show=calls"
    whole = client.get(url)
    total = len(whole.context["rows"])
    assert total > 2
    monkeypatch.setattr(dashboards, "DRILL_PAGE_SIZE", 2)
    first = client.get(url)
    last = client.get(f"{url}&page=999")
    html = first.content.decode()
    assert rows_of(first) == total  # the count is the whole list's
    assert html.count("<tr>") - 1 == 2  # the head and two rows
    assert 'class="pager"' in html and "page=2" in html
    assert len(last.context["page"].object_list) == total - 2 * (last.context["page"].number - 1)
    export = client.get(f"{url}&page=2&format=csv")
    assert len(export.content.decode("utf-8-sig").strip().splitlines()) == 1 + total


def test_a_long_targets_list_is_shown_a_page_at_a_time_and_exported_whole(
    drill, login, monkeypatch
):
    from reports.views import dashboards

    client = login(drill.dm_x)
    url = f"/reports/targets/?district={drill.district_x.pk}&period={MARCH}&klass=A"
    whole = client.get(url)
    total = rows_of(whole)
    assert total > 2
    everyone = list(whole.context["customers"])
    monkeypatch.setattr(dashboards, "DRILL_PAGE_SIZE", 2)
    first = client.get(url)
    second = client.get(f"{url}&page=2")
    html = first.content.decode()
    assert rows_of(first) == total  # the count is the whole list's
    assert len(first.context["page"].object_list) == 2
    assert 'class="pager"' in html and "klass=A&amp;page=2" in html  # the pager keeps the filters
    assert (
        "page=" not in html.split('class="rp-switch"')[1].split("</nav>")[0]
    )  # a new list: page 1
    assert list(first.context["page"].object_list) == everyone[:2]
    assert list(second.context["page"].object_list) == everyone[2:4]
    export = client.get(f"{url}&page=2&format=csv")
    assert len(export.content.decode("utf-8-sig").strip().splitlines()) == 1 + total
