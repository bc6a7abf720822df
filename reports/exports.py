"""Exports of the report tables as CSV or XLSX, scoped like the pages.

`export_response(rows, columns, filename, format)` turns any table into a download; a dashboard
view answers `?format=csv|xlsx` with it. `compliance_export` is the wired example: the
compliance rows of a territory, district or region for a period."""

import csv
import io
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.exports import FORMATS, escape_formula
from core.periods import parse

from . import selectors

PERCENT = "percent"  # a column kind: a share 0–1 shown as a percentage


def _cell(value, kind):
    if value is None:
        return None
    if isinstance(value, str):
        return escape_formula(value)
    if kind == PERCENT:
        return round(float(value) * 100, 1)
    if isinstance(value, Decimal):
        return float(value)
    return value


def export_response(rows, columns, filename, format):
    """A download of `rows` (dicts) with `columns` [(key, header[, kind])], kind "percent" for
    shares 0–1 (written as percentages: 90.0 in CSV, 90.0 % in XLSX). Empty cells where a value
    is None ("—" on the page: nothing to judge). `filename` without extension. An unknown
    format answers 400."""
    if format not in FORMATS:
        return HttpResponseBadRequest(_("Unknown format: use csv or xlsx."))
    columns = [(c[0], str(c[1]), c[2] if len(c) > 2 else None) for c in columns]
    if format == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # a byte order mark: Excel then reads the UTF-8 (Chinese) right
        writer = csv.writer(buffer)
        writer.writerow(escape_formula(header) for _key, header, _kind in columns)
        for row in rows:
            values = (_cell(row.get(key), kind) for key, _header, kind in columns)
            writer.writerow("" if value is None else value for value in values)
        content = buffer.getvalue().encode("utf-8")
    else:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(filename[:31])
        bold = Font(bold=True)
        headers = []
        for _key, header, _kind in columns:
            cell = WriteOnlyCell(sheet, value=escape_formula(header))
            cell.font = bold
            headers.append(cell)
        sheet.append(headers)
        for row in rows:
            cells = []
            for key, _header, kind in columns:
                value = row.get(key)
                if kind == PERCENT and value is not None:
                    cell = WriteOnlyCell(sheet, value=float(value))
                    cell.number_format = "0.0%"
                else:
                    cell = WriteOnlyCell(sheet, value=_cell(value, kind))
                cells.append(cell)
            sheet.append(cells)
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    response = HttpResponse(content, content_type=FORMATS[format])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{filename}.{format}"
    )
    return response


def compliance_columns():
    return [
        ("klass", _("Class")),
        ("targets", _("Targets")),
        ("covered", _("Covered")),
        ("coverage", _("Coverage (%)"), PERCENT),
        ("coverage_required", _("Required coverage (%)"), PERCENT),
        ("calls_per_month", _("Calls per month required")),
        ("frequency_compliant", _("Frequency-compliant")),
        ("frequency_compliance", _("Frequency compliance (%)"), PERCENT),
    ]


@login_required
def compliance_export(request):
    """GET ?territory=|district=|region=<id>&period=2026-11&format=csv|xlsx: the compliance rows
    of the scope for the period (A–D, N1–N3), scoped like the page (out of scope: 404)."""
    query = request.GET
    format = query.get("format", "csv")
    if format not in FORMATS:
        return HttpResponseBadRequest(_("Unknown format: use csv or xlsx."))
    try:
        period = parse(query.get("period", ""))
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    given = [name for name in ("territory", "district", "region") if query.get(name)]
    if len(given) != 1:
        return HttpResponseBadRequest(_("Give exactly one of territory, district or region."))
    found = selectors.report_scope(request.user, {given[0]: query[given[0]]})
    report = selectors.compliance_report(
        territories=found.territories, period=period, team=found.team
    )
    scope = found.object
    code = getattr(scope, "code", "") or str(scope.pk)
    filename = f"compliance-{slugify(code) or scope.pk}-{period.key}"
    return export_response(report["rows"], compliance_columns(), filename, format)
