"""The dashboards: what each persona sees, scope, the figures equal the API's, the "why" list,
the refresh of a stale snapshot, and query counts that do not grow with the data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from calls.models import Call, CallAttendee
from core.periods import parse
from reports import engine
from tests.factories import CustomerFactory, ProductFactory, classify

pytestmark = pytest.mark.django_db

PERIOD = "2026-03"
URL = "/reports/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def call(territory, customers, day=10, status="completed", **fields):
    visit = Call.objects.create(
        territory=territory,
        rep=territory.rep,
        date=datetime.date(2026, 3, day),
        status=status,
        institution=customers[0].institution,
        **fields,
    )
    CallAttendee.objects.bulk_create(CallAttendee(call=visit, customer=c) for c in customers)
    return visit


@pytest.fixture
def figures(world):
    """In tx (product px): cx class A with 4 calls in March (covered, frequent enough);
    c_missing class A with none; c_short class B with 1 of 4; c_void class C whose only calls
    are cancelled or planned. ty: cy class A with one call."""
    px = ProductFactory()
    world.tx.team.products.add(px)
    world.ty.team.products.add(px)
    classify(world.cx, px, "A")
    classify(world.cy, px, "A")
    w = world
    w.c_missing = classify(CustomerFactory(name="缺席", institution=w.hx, territory=w.tx), px, "A")
    w.c_short = classify(CustomerFactory(name="不足", institution=w.hx, territory=w.tx), px, "B")
    w.c_void = classify(CustomerFactory(name="取消", institution=w.hx, territory=w.tx), px, "C")
    for day in (2, 9, 16, 23):
        call(w.tx, [w.cx], day=day)
    call(w.tx, [w.c_short], day=5)
    call(w.tx, [w.c_void], day=6, status="cancelled")
    call(w.tx, [w.c_void], day=7, status="planned")
    call(w.ty, [w.cy], day=3, is_pim=True)
    engine.recompute(period=parse(PERIOD))
    engine.recompute(period=parse("2026-Q1"))
    w.px = px
    return w


def page(login, user, **query):
    return login(user).get(URL, {"period": PERIOD, **query})


def rows_of(response):
    return {row["klass"]: row for row in response.context["rows"]}


# What each persona sees


def test_a_rep_sees_their_territory(figures, login):
    response = page(login, figures.rep_x)

    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "reports/rep.html"
    assert response.context["territory"] == figures.tx
    rows = rows_of(response)
    assert (rows["A"]["targets"], rows["A"]["covered"]) == (2, 1)
    assert rows["A"]["coverage_state"] == "unmet"  # 50 % < 90 %
    assert rows["B"]["coverage_state"] == "met"  # 1/1
    assert rows["D"]["coverage_state"] == "none"  # no targets: "—"
    assert rows["A"]["frequency_compliant"] == 1 and rows["A"]["frequency_state"] == "unmet"
    html = response.content.decode()
    assert "Log a call" in html and "figures of" in html


def test_a_dm_sees_their_district_as_a_table_with_trends(figures, login):
    response = login(figures.dm_x).get(URL, {"period": PERIOD})

    assert response.status_code == 200
    assert response.context["district"] == figures.district_x
    assert [line["territory"] for line in response.context["lines"]] == [figures.tx]
    assert len(response.context["charts"]) == 3
    html = response.content.decode()
    assert f"?territory={figures.tx.pk}" in html and "<svg" in html
    assert f"?territory={figures.ty.pk}" not in html


def test_a_dm_opens_a_rep_dashboard_of_their_district(figures, login):
    response = page(login, figures.dm_x, territory=figures.tx.pk)

    assert response.status_code == 200
    assert response.context["territory"] == figures.tx
    assert "Log a call" not in response.content.decode()  # DMs do not log calls


@pytest.mark.parametrize("persona", ["regional", "admin"])
def test_regional_managers_and_admins_see_the_roll_up_by_district(figures, login, persona):
    response = login(getattr(figures, persona)).get(URL, {"period": PERIOD})

    assert response.status_code == 200
    lines = response.context["lines"]
    assert [line["district"] for line in lines] == [figures.district_x, figures.district_y]
    cells = {line["district"].code: line["cells"][0] for line in lines}  # class A
    assert (cells["X"]["targets"], cells["X"]["covered"]) == (2, 1)
    assert (cells["Y"]["targets"], cells["Y"]["covered"]) == (1, 1)
    total = response.context["totals"][0]
    assert (total["targets"], total["covered"]) == (3, 2)  # sums of counts
    html = response.content.decode()
    assert f"?district={figures.district_x.pk}" in html


def test_the_regional_manager_drills_down_to_a_district(figures, login):
    response = login(figures.regional).get(
        URL, {"period": PERIOD, "district": figures.district_y.pk}
    )
    assert response.status_code == 200
    assert response.context["district"] == figures.district_y


# Scope: out of scope answers 404


@pytest.mark.parametrize(
    ("persona", "param", "target", "expected"),
    [
        ("rep_x", "territory", "ty", 404),
        ("rep_x", "territory", "tx", 200),
        ("rep_x", "district", "district_x", 404),
        ("dm_x", "territory", "ty", 404),
        ("dm_x", "territory", "tx", 200),
        ("dm_x", "district", "district_y", 404),
        ("dm_x", "district", "district_x", 200),
        ("outsider_rep", "territory", "tx", 404),
        ("regional", "territory", "ty", 200),
    ],
)
def test_out_of_scope_answers_404(figures, login, persona, param, target, expected):
    response = page(login, getattr(figures, persona), **{param: getattr(figures, target).pk})
    assert response.status_code == expected


def test_a_malformed_id_answers_404(figures, login):
    assert page(login, figures.dm_x, territory="nope").status_code == 404


def test_a_bad_period_falls_back_to_this_month_with_a_message(figures, login):
    response = login(figures.rep_x).get(URL, {"period": "2026-13"})
    assert response.status_code == 200
    assert "Give a month like 2026-10" in response.content.decode()


# The figures on the page are the API's


@pytest.mark.parametrize("period", [PERIOD, "2026-Q1"])
def test_the_rep_figures_equal_the_api(figures, login, api, period):
    response = page(login, figures.rep_x, period=period)
    body = (
        api(figures.rep_x)
        .get("/api/v1/reports/compliance/", {"territory": figures.tx.pk, "period": period})
        .json()
    )
    rows = rows_of(response)
    for row in body["rows"]:
        shown = rows[row["klass"]]
        assert (shown["targets"], shown["covered"]) == (row["targets"], row["covered"])
        if row["coverage"] is None:
            assert shown["coverage"] is None
        else:
            assert shown["coverage"] == pytest.approx(row["coverage"], abs=1e-4)
        assert shown["frequency_compliant"] == row["frequency_compliant"]
    report = response.context["report"]
    assert float(report["call_rate"]) == pytest.approx(body["call_rate"])
    assert report["completed_calls"] == body["completed_calls"] == 5  # not the cancelled or planned
    assert report["field_days"] == body["field_days"]


def test_the_district_figures_equal_the_api(figures, login, api):
    response = login(figures.dm_x).get(URL, {"period": PERIOD})
    body = (
        api(figures.dm_x)
        .get("/api/v1/reports/compliance/", {"district": figures.district_x.pk, "period": PERIOD})
        .json()
    )
    for shown, row in zip(response.context["totals"], body["rows"], strict=True):
        assert (shown["targets"], shown["covered"]) == (row["targets"], row["covered"])
        assert shown["frequency_compliant"] == row["frequency_compliant"]
    assert float(response.context["report"]["call_rate"]) == pytest.approx(body["call_rate"])


# The "why" list


def test_the_why_list_shows_targets_missing_a_visit_or_short_of_frequency(figures, login):
    missing = page(login, figures.rep_x).context["missing"]

    by_name = {c.name: c for c in missing}
    assert figures.cx.name not in by_name  # covered, 4 of 4 calls
    assert by_name["缺席"].call_count == 0 and by_name["缺席"].required == 4
    assert by_name["不足"].call_count == 1 and by_name["不足"].required == 4
    assert by_name["取消"].call_count == 0  # cancelled and planned calls never count
    assert [c.klass for c in missing] == ["A", "B", "C"]  # sorted by class
    html = page(login, figures.rep_x).content.decode()
    assert f"/calls/new/?customer={figures.c_missing.pk}" in html
    assert f"/customers/{figures.c_missing.pk}/" in html


def test_in_a_quarter_the_why_list_shows_targets_never_visited(figures, login):
    missing = page(login, figures.rep_x, period="2026-Q1").context["missing"]
    assert {c.name for c in missing} == {"缺席", "取消"}


def test_a_target_aligned_after_the_periods_first_day_is_not_listed(figures, login):
    late = CustomerFactory(name="后来", institution=figures.hx)
    classify(late, figures.px, "A")
    late.alignments.create(territory=figures.tx, valid_from=datetime.date(2026, 3, 2))
    names = {c.name for c in page(login, figures.rep_x).context["missing"]}
    assert "后来" not in names


# The dashboard's own figures follow the calls


def test_a_new_call_recomputes_the_stale_snapshot_when_the_dashboard_opens(figures, login):
    before = rows_of(page(login, figures.rep_x))["A"]["covered"]
    call(figures.tx, [figures.c_missing], day=20)

    after = page(login, figures.rep_x)

    assert rows_of(after)["A"]["covered"] == before + 1
    assert {c.name: c.call_count for c in after.context["missing"]}["缺席"] == 1  # 1 of 4
    # Fresh now: opening again does not recompute.
    from reports import services

    assert not services.territory_figures_refresh(territory=figures.tx, period=parse(PERIOD))


# Query counts do not grow with the data


def count_queries(client, **query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"period": PERIOD, **query})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(figures):
    for i in range(8):
        customer = classify(
            CustomerFactory(institution=figures.hx, territory=figures.tx), figures.px, "ABCD"[i % 4]
        )
        call(figures.tx, [customer, figures.cx], day=1 + i)
        other = classify(
            CustomerFactory(institution=figures.hy, territory=figures.ty), figures.px, "B"
        )
        call(figures.ty, [other], day=1 + i)
    engine.recompute(period=parse(PERIOD))


@pytest.mark.parametrize(
    ("persona", "query"),
    [("rep_x", {}), ("dm_x", {}), ("dm_x", {"territory": "tx"}), ("regional", {}), ("admin", {})],
)
def test_query_counts_are_constant_in_the_data(figures, login, persona, query):
    client = login(getattr(figures, persona))
    query = {k: getattr(figures, v).pk for k, v in query.items()}
    count_queries(client, **query)  # warm (session, content types)
    before = count_queries(client, **query)
    grow(figures)
    assert count_queries(client, **query) == before
