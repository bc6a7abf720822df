"""The opportunity analysis: the share of calls and meeting invitations per class against the
share of targets, the adoption stage of A/B customers per product, scope, exports, query counts."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from calls.models import CallProduct
from core.periods import parse
from org.models import Role
from reports import engine
from tests.factories import (
    CustomerFactory,
    DistrictFactory,
    ProductFactory,
    TerritoryFactory,
    UserFactory,
    classify,
)
from tests.reports.test_pages import PERIOD, call

pytestmark = pytest.mark.django_db

URL = "/reports/opportunity/"


@pytest.fixture
def effort(world):
    """tx (product px): targets a1, a2 (A), b1 (B), c1..c3 (C), a non-prescriber n1 (N1).
    March: c1 gets 3 one-to-one calls, c2 one, a1 one; a PIM invites a1, c1, c2 and an attendee
    of no target (an outsider's customer). So A = 2/7 of the targets, 1/5 of the calls, 1/4 of
    the invitations: under-served. ty: cy (A) gets 2 calls."""
    w = world
    px = ProductFactory(code="PX", name="Product X")
    w.tx.team.products.add(px)
    w.ty.team.products.add(px)
    w.cx.delete()
    w.a1 = classify(CustomerFactory(name="A one", institution=w.hx, territory=w.tx), px, "A")
    w.a2 = classify(CustomerFactory(name="A two", institution=w.hx, territory=w.tx), px, "A")
    w.b1 = classify(CustomerFactory(name="B one", institution=w.hx, territory=w.tx), px, "B")
    w.c1, w.c2, w.c3 = (
        classify(CustomerFactory(institution=w.hx, territory=w.tx), px, "C") for _ in range(3)
    )
    w.n1 = CustomerFactory(institution=w.hx, territory=w.tx, kind="non_prescriber", role_group="N1")
    stranger = CustomerFactory(institution=w.hx)
    for day in (2, 3, 4):
        call(w.tx, [w.c1], day=day)
    call(w.tx, [w.c2], day=5)
    w.a1_call = call(w.tx, [w.a1], day=6)
    call(w.tx, [w.a1, w.c1, w.c2, stranger], day=9, is_pim=True, channel="meeting")
    classify(w.cy, px, "A")
    call(w.ty, [w.cy], day=2)
    call(w.ty, [w.cy], day=3)
    engine.recompute(period=parse(PERIOD))
    w.px = px
    return w


def rows(response):
    return {row["klass"]: row for row in response.context["effort"]}


def test_a_rep_sees_the_share_of_calls_and_invitations_per_class_against_targets(effort, login):
    response = login(effort.rep_x).get(URL, {"period": PERIOD})

    assert response.status_code == 200
    by_class = rows(response)
    assert (by_class["A"]["targets"], by_class["A"]["calls"], by_class["A"]["invitations"]) == (
        2,
        1,
        1,
    )
    assert by_class["A"]["target_share"] == pytest.approx(2 / 7, abs=1e-4)
    assert by_class["A"]["call_share"] == pytest.approx(1 / 5)
    assert by_class["A"]["invitation_share"] == pytest.approx(1 / 4)
    assert by_class["C"]["calls"] == 4 and by_class["C"]["invitations"] == 2
    assert by_class["N1"]["targets"] == 1 and by_class["N1"]["calls"] == 0
    assert by_class[None]["invitations"] == 1  # the attendee who is no target
    assert by_class["A"]["under_served"] and not by_class["C"]["under_served"]
    assert by_class["B"]["under_served"]  # a target share but no calls at all
    content = response.content.decode()
    assert "Class A customers are 28 % of the targets but get 20 % of the calls" in content


def test_the_district_sums_counts_of_its_territories(effort, login):
    response = login(effort.dm_x).get(URL, {"period": PERIOD, "district": effort.district_x.pk})

    assert response.status_code == 200
    # District X holds tx only; ty is in district Y.
    assert rows(response)["A"]["calls"] == 1
    region = login(effort.regional).get(URL, {"period": PERIOD})
    assert rows(region)["A"]["targets"] == 3 and rows(region)["A"]["calls"] == 3


def test_the_adoption_stage_of_a_and_b_customers_per_product(effort, login):
    CallProduct.objects.create(call=effort.a1_call, product=effort.px, adoption_stage="trial")
    later = call(effort.tx, [effort.a1], day=20)
    CallProduct.objects.create(call=later, product=effort.px, adoption_stage="adoption")
    after = call(effort.tx, [effort.a1], day=1, status="completed")  # a day in March, earlier
    CallProduct.objects.create(call=after, product=effort.px, adoption_stage="aware")
    b_call = call(effort.tx, [effort.b1], day=11)
    CallProduct.objects.create(call=b_call, product=effort.px, adoption_stage="interested")

    response = login(effort.rep_x).get(URL, {"period": PERIOD})

    lines = {line["klass"]: line for line in response.context["adoption"]}
    a_counts = {s["stage"]: s["n"] for s in lines["A"]["stages"]}
    assert a_counts["adoption"] == 1  # a1's latest stage
    assert a_counts["none"] == 1  # a2: nothing recorded
    assert lines["A"]["total"] == 2 and lines["A"]["before_trial"] == 1
    assert {s["stage"]: s["n"] for s in lines["B"]["stages"]}["interested"] == 1
    assert "C" not in lines


@pytest.mark.parametrize(
    ("persona", "param", "target", "expected"),
    [
        ("rep_x", "territory", "ty", 404),
        ("rep_x", "district", "district_x", 404),
        ("dm_x", "district", "district_y", 404),
        ("dm_x", "territory", "tx", 200),
        ("outsider_rep", "territory", "tx", 404),
        ("regional", "district", "district_y", 200),
    ],
)
def test_out_of_scope_answers_404(effort, login, persona, param, target, expected):
    client = login(getattr(effort, persona))
    query = {"period": PERIOD, param: getattr(effort, target).pk}
    assert client.get(URL, query).status_code == expected
    assert client.get(URL, {**query, "format": "csv"}).status_code == expected


def test_the_effort_table_exports_as_csv(effort, login):
    response = login(effort.rep_x).get(URL, {"period": PERIOD, "format": "csv"})

    assert response.status_code == 200
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    a_row = next(row for row in table if row["Class"] == "A")
    assert (a_row["Targets"], a_row["One-to-one calls"], a_row["Share of calls (%)"]) == (
        "2",
        "1",
        "20.0",
    )
    assert table[-1]["Class"] == "Not a target"


def test_the_adoption_table_exports_as_xlsx(effort, login):
    CallProduct.objects.create(call=effort.a1_call, product=effort.px, adoption_stage="trial")

    response = login(effort.dm_x).get(
        URL,
        {"period": PERIOD, "district": effort.district_x.pk, "table": "adoption", "format": "xlsx"},
    )

    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *lines = list(sheet.values)
    a_line = dict(zip(header, next(line for line in lines if line[2] == "A"), strict=True))
    assert a_line["Product"] == "Product X" and a_line["Trial"] == 1 and a_line["Customers"] == 2


def test_the_page_reads_in_chinese(effort, login):
    effort.rep_x.language = "zh-hans"
    effort.rep_x.save()
    response = login(effort.rep_x).get(URL, {"period": PERIOD})
    assert "按级别的投入" in response.content.decode()


def count_queries(client, **query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"period": PERIOD, **query})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional"])
def test_query_counts_are_constant_in_the_data(effort, login, persona):
    client = login(getattr(effort, persona))
    count_queries(client)
    before = count_queries(client)
    for i in range(6):
        customer = classify(
            CustomerFactory(institution=effort.hx, territory=effort.tx), effort.px, "AB"[i % 2]
        )
        visit = call(effort.tx, [customer], day=10 + i)
        CallProduct.objects.create(call=visit, product=effort.px, adoption_stage="aware")
    engine.recompute(period=parse(PERIOD))
    assert count_queries(client) == before


def adoption_total(client):
    response = client.get(URL, {"period": PERIOD})
    return sum(line["total"] for line in response.context["adoption"])


@pytest.mark.parametrize(("persona", "grows"), [("regional", True), ("dm_x", False)])
def test_query_counts_are_flat_in_the_number_of_districts(effort, login, persona, grows):
    """Three more districts in the region, each with a territory of px's team, an A or B target
    with a call recording its stage: the regional manager's page counts them, with the same
    number of queries (nothing per district or territory); the DM's page is unchanged."""
    client = login(getattr(effort, persona))
    count_queries(client)
    before, total = count_queries(client), adoption_total(client)
    for n in range(3):
        district = DistrictFactory(region=effort.region, dm=UserFactory(role=Role.DM))
        territory = TerritoryFactory(district=district, team=effort.tx.team, holder=UserFactory())
        customer = classify(CustomerFactory(territory=territory), effort.px, "AB"[n % 2])
        visit = call(territory, [customer], day=10 + n)
        CallProduct.objects.create(call=visit, product=effort.px, adoption_stage="trial")
    engine.recompute(period=parse(PERIOD))
    assert count_queries(client) == before
    assert adoption_total(client) == total + (3 if grows else 0)
