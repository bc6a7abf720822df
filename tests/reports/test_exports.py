"""Exports: the compliance rows as CSV or XLSX, scoped like the pages; `export_response`."""

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from reports.exports import export_response
from tests.reports import figures as figures_of

pytestmark = pytest.mark.django_db
URL = "/reports/export/"


@pytest.fixture
def figures(world):
    return figures_of.one_call(world, datetime.date(2026, 11, 3))


def rows_of(response):
    text = b"".join(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_rep_exports_the_compliance_of_their_territory_as_csv(figures, login):
    response = login(figures.rep_x).get(
        URL, {"territory": figures.tx.pk, "period": "2026-11", "format": "csv"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="compliance-tx-2026-11.csv"'
    rows = rows_of(response)
    assert rows[0][:4] == ["Class", "Targets", "Covered", "Coverage (%)"]
    assert [row[0] for row in rows[1:]] == ["A", "B", "C", "D", "N1", "N2", "N3"]
    assert rows[1] == ["A", "1", "1", "100.0", "90.0", "4", "0", "0.0"]
    assert rows[2][3] == ""  # B: no targets, nothing to judge


def test_xlsx_has_the_same_rows_with_percent_cells(figures, login):
    response = login(figures.dm_x).get(
        URL, {"district": figures.district_x.pk, "period": "2026-11", "format": "xlsx"}
    )

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Class" and values[1][:4] == ("A", 1, 1, 1.0)
    assert sheet["D2"].number_format == "0.0%"
    assert len(values) == 8


def test_the_region_sums_its_territories(figures, login):
    response = login(figures.regional).get(URL, {"region": figures.region.pk, "period": "2026-11"})
    assert rows_of(response)[1][:3] == ["A", "1", "1"]


@pytest.mark.parametrize(
    "who, scope",
    [("rep_x", "ty"), ("dm_x", "ty"), ("outsider_rep", "tx"), ("rep_x", "district_y")],
)
def test_out_of_scope_is_404(figures, login, who, scope):
    name = "district" if scope.startswith("district") else "territory"
    response = login(getattr(figures, who)).get(
        URL, {name: getattr(figures, scope).pk, "period": "2026-11", "format": "csv"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"format": "pdf"},
        {"period": "2026-13"},
        {"district": "x"},  # two scopes
        {"territory": None},  # none
    ],
)
def test_bad_input_is_400(figures, login, query):
    params = {"territory": figures.tx.pk, "period": "2026-11", "format": "csv", **query}
    params = {key: value for key, value in params.items() if value is not None}
    assert login(figures.rep_x).get(URL, params).status_code == 400


def test_a_bad_id_is_404_and_anonymous_logs_in(figures, login, client):
    assert client.get(URL, {"territory": figures.tx.pk, "period": "2026-11"}).status_code == 302
    response = login(figures.rep_x).get(URL, {"territory": "nope", "period": "2026-11"})
    assert response.status_code == 404


def test_export_response_writes_any_table():
    rows = [{"name": "仁济", "share": 0.5, "n": None}]
    columns = [("name", "Name"), ("share", "Share (%)", "percent"), ("n", "N")]

    response = export_response(rows, columns, "table", "csv")
    assert rows_of(response) == [["Name", "Share (%)", "N"], ["仁济", "50.0", ""]]
    assert export_response(rows, columns, "table", "json").status_code == 400
    xlsx = load_workbook(io.BytesIO(export_response(rows, columns, "table", "xlsx").content))
    assert list(xlsx.active.values) == [("Name", "Share (%)", "N"), ("仁济", 0.5, None)]
