"""`reports/compliance/`: exactly as API.md, scoped like the pages."""

import datetime

import pytest

from tests.reports import figures as figures_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(world):
    return figures_of.one_call(world, datetime.date(2026, 3, 31))


def test_a_rep_reads_the_compliance_of_their_territory(figures, api):
    response = api(figures.rep_x).get(
        "/api/v1/reports/compliance/", {"territory": figures.tx.pk, "period": "2026-03"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "2026-03"
    assert body["scope"]["type"] == "territory"
    rows = {row["klass"]: row for row in body["rows"]}
    assert list(rows) == ["A", "B", "C", "D", "N1", "N2", "N3"]
    assert rows["A"] | {} == {
        **rows["A"],
        "targets": 1,
        "covered": 1,
        "coverage": 1.0,
        "calls_per_month": 4,
        "frequency_compliant": 0,
        "frequency_compliance": 0.0,
    }
    assert rows["B"]["coverage"] is None and rows["B"]["frequency_compliance"] is None
    assert body["completed_calls"] == 1 and body["field_days"] == 22
    assert body["call_rate"] == pytest.approx(1 / 22, abs=0.01)


@pytest.mark.parametrize(
    ("persona", "scope", "expected"),
    [
        ("rep_x", "ty", 404),
        ("dm_x", "ty", 404),
        ("dm_x", "tx", 200),
        ("regional", "ty", 200),
        ("outsider_rep", "tx", 404),
    ],
)
def test_out_of_scope_answers_404(figures, api, persona, scope, expected):
    territory = getattr(figures, scope)
    response = api(getattr(figures, persona)).get(
        "/api/v1/reports/compliance/", {"territory": territory.pk, "period": "2026-03"}
    )
    assert response.status_code == expected


@pytest.mark.parametrize(
    "query",
    [{"period": "2026-13"}, {"period": "2026-Q5"}, {}, {"period": "2026-03", "district": "x"}],
)
def test_bad_queries_answer_400_with_the_error_shape(figures, api, query):
    query = {"territory": figures.tx.pk, **query}
    response = api(figures.admin).get("/api/v1/reports/compliance/", query)
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_district_figures_are_sums_of_counts(figures, api):
    response = api(figures.dm_x).get(
        "/api/v1/reports/compliance/", {"district": figures.district_x.pk, "period": "2026-03"}
    )
    rows = {row["klass"]: row for row in response.json()["rows"]}
    assert (rows["A"]["targets"], rows["A"]["covered"]) == (1, 1)


def test_only_admins_recompute(figures, api):
    assert (
        api(figures.rep_x).post("/api/v1/reports/recompute/", {"period": "2026-03"}).status_code
        == 403
    )
    response = api(figures.admin).post(
        "/api/v1/reports/recompute/", {"period": "2026-Q1"}, format="json"
    )
    assert response.status_code == 202 and response.json()["status"] == "done"
    assert (
        api(figures.admin)
        .post("/api/v1/reports/recompute/", {"period": "Q1"}, format="json")
        .status_code
        == 400
    )
