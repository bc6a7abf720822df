"""Exports of a desk table (django-tables2) as CSV or XLSX: exactly what the page shows (same
scope, filters and sort), all pages, bounded by EXPORT_MAX_ROWS.

CSV is UTF-8 with a byte order mark (Excel, WPS: the Chinese reads right); headers are the
table's translated column headers; a text cell that starts like a formula is written behind an
apostrophe (CSV injection), as `reports.exports` does for the report tables."""

import csv
import datetime as dt
import io
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

EXPORT_PARAM = "export"
EXPORT_MAX_ROWS = 20_000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A text cell starting with one of these is read as a formula by Excel, LibreOffice and WPS
# (CSV injection): such a cell is written as text, behind an apostrophe.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """`value` safe for a spreadsheet cell: a text starting like a formula gets a leading `'`;
    numbers, dates and everything else are returned unchanged (-3 stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (bool, int, float, dt.date)):
        return value
    return escape_formula(str(value))


def requested_format(request):
    """The export format asked for (`?export=csv|xlsx`), "" for the page itself."""
    return request.GET.get(EXPORT_PARAM, "")


def _without_export(request):
    query = request.GET.copy()
    query.pop(EXPORT_PARAM, None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


def table_export(request, table, filename, *, form=None):
    """The download of `table` (all its rows, sorted as the request asks) in the requested
    format. An unknown format or invalid filters (`form`: e.g. a rep out of scope) answer 400
    with the translated reason; more than EXPORT_MAX_ROWS rows go back to the page with a
    message asking for narrower filters."""
    fmt = requested_format(request)
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown format: use csv or xlsx."))
    if form is not None and not form.is_valid():
        reasons = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return HttpResponseBadRequest(
            _("Nothing exported: the filters are not valid. %(reasons)s") % {"reasons": reasons}
        )
    RequestConfig(request, paginate=False).configure(table)
    total = len(table.rows)
    if total > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _(
                "%(total)s rows match: an export holds at most %(max)s. Narrow the filters "
                "(dates, rep, territory) and export again."
            )
            % {"total": total, "max": EXPORT_MAX_ROWS},
        )
        return redirect(_without_export(request))
    values = table.as_values()
    headers = [capfirst(str(h)) for h in next(values)]
    stamp = timezone.localdate().isoformat()
    name = f"{filename}-{stamp}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(escape_formula(str(h)) for h in headers)
        for row in values:
            writer.writerow(_cell(v) for v in row)
        content = buffer.getvalue().encode("utf-8")
    else:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(filename[:31])
        bold = Font(bold=True)
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=escape_formula(str(header)))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in values:
            sheet.append([_cell(v) if v is not None else None for v in row])
        out = io.BytesIO()
        workbook.save(out)
        content = out.getvalue()
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def json_download(data, filename):
    """`data` as a JSON file to download (UTF-8, Chinese as it is, indented for reading)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    content = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(content.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
