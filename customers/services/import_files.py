"""Reading the spreadsheets users import: CSV (UTF-8 with or without BOM, or GB18030 as Chinese
Excel saves it, detected) or XLSX (every sheet, or the first), with a size and a row limit.

Rows come as [(row number as the file shows it, (cells...)), ...], blank rows left out, the
header being row 1. A bad file raises ValidationError({"file": [messages]})."""

import codecs
import csv
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ROWS = 200_000


def max_bytes():
    return settings.IMPORT_MAX_MB * 1024 * 1024


def invalid(*messages):
    """The error of a bad file: {"file": [messages]}."""
    return ValidationError({"file": list(messages)})


def read_data(file) -> bytes:
    """The file's bytes, refused when empty or over the size limit (IMPORT_MAX_MB)."""
    limit = max_bytes()
    data = file.read(limit + 1)
    if len(data) > limit:
        raise invalid(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": settings.IMPORT_MAX_MB}
        )
    if not data.strip():
        raise invalid(_("The file is empty."))
    return data


def is_xlsx(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def read_sheets(data: bytes, *, first_only=False):
    """[(sheet title or None for a CSV, table), ...]: the non-empty sheets of the file (XLSX: all
    of them, or the first with `first_only`)."""
    if is_xlsx(data):
        sheets = _xlsx_sheets(data, first_only=first_only)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise invalid(_("Old Excel files (.xls) are not read: save the file as XLSX or CSV."))
    else:
        sheets = [(None, _csv_rows(data))]
    # A CSV's cells are all text: a row is blank when its text joined is.
    tables = [(title, _table(rows, text_only=title is None)) for title, rows in sheets]
    tables = [(title, table) for title, table in tables if table]
    if not tables:
        raise invalid(_("The file is empty."))
    return tables


def read_table(file):
    """The rows of the first sheet (XLSX) or of the CSV."""
    return read_sheets(read_data(file), first_only=True)[0][1]


def _table(rows, text_only=False):
    table = []
    for number, cells in rows:
        if (not "".join(cells).strip()) if text_only else all(blank(cell) for cell in cells):
            continue
        if len(table) > MAX_ROWS:  # the header plus MAX_ROWS rows
            raise invalid(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        table.append((number, cells))
    return table


def _xlsx_sheets(data, *, first_only):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = [workbook.active or workbook.worksheets[0]] if first_only else workbook.worksheets
        return [
            (sheet.title, list(enumerate(sheet.iter_rows(values_only=True), start=1)))
            for sheet in sheets
        ]
    except Exception as error:  # a damaged or foreign zip file fails in many ways
        raise invalid(_("This file cannot be read as an Excel (XLSX) file.")) from error


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030 (what Chinese Excel saves)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # UTF-16 or a binary file decodes to NULs
            break
        return text
    raise invalid(_("This file is neither UTF-8 nor GB18030 text: save it as CSV."))


def _csv_rows(data):
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        return list(enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1))
    except csv.Error as error:
        message = _("This file cannot be read as CSV: %(error)s") % {"error": error}
        raise invalid(message) from error


def blank(cell):
    return cell is None or (isinstance(cell, str) and not cell.strip())


def text(value):
    """A cell as text (an Excel number 101.0 reads as "101")."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()
