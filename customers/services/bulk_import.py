"""Bulk onboarding: imports of institutions, departments, customers, alignments and measures
from CSV or XLSX (one file per kind, or a workbook with a sheet per kind), as a job.

`import_start` keeps the file in an `Import` job and sends `run_import` after commit;
`import_run` reads the file (customers/services/import_files.py), checks every row set-based
(bulk reads of the rows it matches and references; no query per row) and reports per row:
created, changed (with the fields that change), unchanged or an error naming the row as the file
shows it (header = row 1) and its column. A dry run writes nothing; an apply writes everything
in one transaction (bulk_create / bulk_update, change log and history included) or, at the first
error anywhere, nothing.

Rows are matched to existing records by `external_id`, then by `id`, then by their natural key
(institution: name and city; department: institution and name; customer: name, institution and
department; alignment: customer, territory and valid_from). A blank cell empties the field (a
required one is an error); a column the file leaves out keeps its value.
"""

import csv
import datetime
import functools
import io
import operator
import os
import re
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import changelog, events, history, outbox
from core.exports import escape_formula
from core.models import ChangeOp, JobStatus
from org.models import Role, Territory, User

from ..models import (
    Alignment,
    Customer,
    CustomerKind,
    Department,
    HospitalLevel,
    Import,
    ImportKind,
    Institution,
    InstitutionKind,
    RoleGroup,
    hospital_level_code,
)
from ..pinyin import search_keys
from ..signals import alignment_changed
from ..tasks import run_import
from . import import_files
from .import_files import blank, text

PREVIEW_ROWS = 1000  # rows whose outcome the job keeps for the preview
MAX_ERRORS = 1000  # errors kept (the count covers all)
CHUNK = 5000  # rows checked (and references read) at a time
MAX_INT = 2_147_483_647
FIRST_YEAR, LAST_YEAR = 2000, 2100
HISTORY_REASON = "import"

# The order a workbook's sheets are imported in (each may refer to the ones before).
ORDER = (
    ImportKind.INSTITUTIONS,
    ImportKind.DEPARTMENTS,
    ImportKind.CUSTOMERS,
    ImportKind.ALIGNMENTS,
    ImportKind.MEASURES,
)


class CellError(Exception):
    """A bad cell; its message is shown with the row and column."""


@dataclass
class RowError:
    row: int | None
    column: str
    message: str
    sheet: str = ""

    def as_dict(self):
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Result:
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    outcomes: list = field(default_factory=list)

    def error(self, error: RowError):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def outcome(self, sheet, row, outcome, key="", fields=()):
        if len(self.outcomes) < PREVIEW_ROWS:
            self.outcomes.append(
                {"sheet": sheet, "row": row, "outcome": outcome, "key": key, "fields": list(fields)}
            )


# Who may import what.


def can_import(user: User, kind: str | None = None) -> bool:
    """Admins import everything; DMs their district's alignments."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    return user.role == Role.DM and kind in (None, ImportKind.ALIGNMENTS)


# Cell parsers: each takes the cell and returns the value, or raises CellError.


def _text(max_length):
    def parse(value):
        value = text(value)
        if len(value) > max_length:
            raise CellError(_("At most %(max)s characters.") % {"max": max_length})
        return value

    return parse


def _count(value):
    """A whole number ≥ 0, or None for a blank cell."""
    if blank(value):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(str(value).strip().replace(",", ""))
        if not number.is_integer():
            raise ValueError
    except ValueError:
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value}) from None
    if not 0 <= number <= MAX_INT:
        raise CellError(
            _("%(value)s is out of range (0 to %(max)s).") % {"value": value, "max": MAX_INT}
        )
    return int(number)


TRUE = {"1", "true", "yes", "y", "t", "是", "对", "√"}
FALSE = {"0", "false", "no", "n", "f", "否", "不是", ""}


def _boolean(value):
    if isinstance(value, bool):
        return value
    word = text(value).casefold()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise CellError(_("“%(value)s” is not yes or no.") % {"value": value})


def _choice(choices, *, default="", extra=None):
    """A choice by its code or its label (English or Chinese)."""

    def parse(value):
        word = text(value)
        if not word:
            return default
        names = _choice_names(choices)
        found = names.get(word.casefold())
        if found is None and extra:
            found = extra(word) or None
        if found is None:
            raise CellError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": word, "choices": ", ".join(choices.values)}
            )
        return found

    return parse


@functools.cache
def _choice_names(choices):
    names = {}
    for code, label in choices.choices:
        names[code.casefold()] = code
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names.setdefault(str(label).casefold(), code)
    return names


def _date(value):
    if blank(value):
        return None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        day = _day(text(value))
        if day is None:
            raise CellError(_("Bad date “%(value)s”; write it as YYYY-MM-DD.") % {"value": value})
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CellError(
            _("%(value)s is out of range (years %(first)s to %(last)s).")
            % {"value": day.isoformat(), "first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return day


@functools.lru_cache(maxsize=4096)
def _day(word):
    """The day a date cell's text names, or None (a file repeats its dates: read each once)."""
    for pattern in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.datetime.strptime(word, pattern).date()
        except ValueError:
            continue
    return None


def _reference(value):
    """A reference kept as text: resolved in bulk later (by id or external id)."""
    return text(value)


@dataclass
class Column:
    name: str
    parse: object
    required: bool = False  # on create (and never blank)
    label: object = None  # the model field's verbose name, when it is not one


# The kinds.


@dataclass
class Kind:
    kind: str
    model: type
    columns: list
    references: dict = field(default_factory=dict)  # column → model it refers to

    def column(self, name):
        return next(c for c in self.columns if c.name == name)


def _kinds():
    ident = [Column("id", _reference), Column("external_id", _text(100))]
    return {
        ImportKind.INSTITUTIONS: Kind(
            ImportKind.INSTITUTIONS,
            Institution,
            [
                *ident,
                Column("name", _text(200), required=True),
                Column("name_en", _text(200)),
                Column("kind", _choice(InstitutionKind, default=InstitutionKind.HOSPITAL)),
                Column("level", _choice(HospitalLevel, extra=hospital_level_code)),
                Column("city", _text(100)),
                Column("province", _text(100)),
                Column("beds", _count),
                Column("daily_outpatients", _count),
            ],
        ),
        ImportKind.DEPARTMENTS: Kind(
            ImportKind.DEPARTMENTS,
            Department,
            [
                *ident,
                Column("institution", _reference, required=True),
                Column("name", _text(100), required=True),
                Column("name_en", _text(100)),
                Column("specialty", _text(100)),
                Column("daily_patients", _count),
            ],
            references={"institution": Institution},
        ),
        ImportKind.CUSTOMERS: Kind(
            ImportKind.CUSTOMERS,
            Customer,
            [
                *ident,
                Column("name", _text(100), required=True),
                Column("name_en", _text(100)),
                Column("kind", _choice(CustomerKind, default=CustomerKind.PRESCRIBER)),
                Column("role_group", _choice(RoleGroup)),
                Column("is_kol", _boolean),
                Column("institution", _reference, required=True),
                Column("department", _reference),
                Column("title", _text(100)),
                Column("specialty", _text(100)),
            ],
            references={"institution": Institution, "department": Department},
        ),
        ImportKind.ALIGNMENTS: Kind(
            ImportKind.ALIGNMENTS,
            Alignment,
            [
                Column("id", _reference),
                Column("customer", _reference, required=True),
                Column("territory", _reference, required=True),
                Column("valid_from", _date),
                Column("valid_to", _date),
            ],
            references={"customer": Customer, "territory": Territory},
        ),
    }


# Chinese headers beyond the fields' labels (Excel templates of Chinese companies use them).
EXTRA_ALIASES = {
    "id": ["ID", "编号"],
    "external_id": ["外部编号", "外部ID", "主数据编号"],
    "name": ["名称", "姓名", "名字"],
    "name_en": ["英文名", "英文名称"],
}


def _aliases(kind: Kind):
    """{header text (casefolded): column name}: the API name and the field's label in Chinese
    and English."""
    aliases = {}
    for column in kind.columns:
        names = [column.name, column.name.replace("_", " ")]
        names += EXTRA_ALIASES.get(column.name, [])
        if column.name not in ("id", "external_id"):
            label = kind.model._meta.get_field(column.name).verbose_name
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    names.append(str(label))
        for name in names:
            aliases.setdefault(name.strip().casefold(), column.name)
    return aliases


def _header_key(cell):
    return text(cell).lstrip("\ufeff").strip().casefold()


# Reading a sheet: header, cells, references, matches.


@dataclass
class Row:
    number: int
    values: dict  # column → parsed value (only the file's columns)
    raw: dict  # column → the cell as text (for messages)
    match: object = None  # the existing record
    errors: bool = False


class Sheet:
    """One kind's table: checks it and writes it."""

    # Required columns must be in the header (else: only when a row creates a record).
    header_requires = True

    def __init__(self, *, job, by, kind: Kind, table, title, result: Result):
        self.by, self.kind, self.table, self.result = by, kind, table, result
        self.title = title or ""
        self.job = job
        self.today = timezone.localdate()

    def fail(self, row, column, message):
        header = self.headers.get(column, column) if column else ""
        self.result.error(RowError(row, header, message, self.title))

    # Header.

    def read_header(self):
        (number, header), *body = self.table
        aliases = _aliases(self.kind)
        self.index, self.headers = {}, {}
        ok = True
        for position, cell in enumerate(header):
            key = _header_key(cell)
            if not key:
                continue
            name = aliases.get(key)
            if name is None:
                self.result.error(
                    RowError(
                        number,
                        text(cell),
                        _("Unknown column “%(column)s”; the columns of %(kind)s are: %(names)s.")
                        % {
                            "column": text(cell),
                            "kind": ImportKind(self.kind.kind).label,
                            "names": ", ".join(c.name for c in self.kind.columns),
                        },
                        self.title,
                    )
                )
                ok = False
            elif name in self.index:
                self.result.error(
                    RowError(
                        number,
                        text(cell),
                        _("The column “%(column)s” appears twice.") % {"column": text(cell)},
                        self.title,
                    )
                )
                ok = False
            else:
                self.index[name], self.headers[name] = position, text(cell)
        self.reading = [(n, p, self.kind.column(n)) for n, p in self.index.items()]
        for column in self.kind.columns:
            if self.header_requires and column.required and column.name not in self.index:
                self.result.error(
                    RowError(
                        number,
                        column.name,
                        _("Missing column “%(column)s” in the header row.")
                        % {"column": column.name},
                        self.title,
                    )
                )
                ok = False
        if ok and not body:
            self.result.error(
                RowError(number, "", _("The file has a header but no rows."), self.title)
            )
            ok = False
        self.body = body
        return ok

    # Cells.

    def parse(self, number, cells):
        values, raw, ok = {}, {}, True
        width = len(cells)
        for name, position, column in self.reading:
            cell = cells[position] if position < width else None
            raw[name] = text(cell)
            try:
                value = column.parse(cell)
            except CellError as error:
                self.fail(number, name, str(error))
                ok = False
                continue
            if column.required and (value is None or value == ""):
                self.fail(number, name, _("This field is required."))
                ok = False
            values[name] = value
        row = Row(number, values, raw)
        row.errors = not ok
        return row

    # References, matches and outcomes: the subclasses.

    def check(self, rows):  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self):  # pragma: no cover - abstract
        raise NotImplementedError


_random_ids = []
os.register_at_fork(after_in_child=_random_ids.clear)  # a forked worker reads its own


def _new_id():
    """A new record's id: uuid4, its random bytes read 1,024 ids at a time (not a system call
    an id)."""
    if not _random_ids:
        data = os.urandom(16 * 1024)
        _random_ids.extend(data[i : i + 16] for i in range(0, len(data), 16))
    return uuid.UUID(bytes=_random_ids.pop(), version=4)


def _uuid(value):
    value = str(value)
    if len(value) < 32:  # every form of a UUID has its 32 hex digits (an external id: no UUID)
        return None
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return None


def _chunks(values, size=None):
    size = size or (900 if connection.vendor == "sqlite" else CHUNK)
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _bulk(queryset, field_name, values):
    """The rows of `queryset` whose `field_name` is one of `values`, read in chunks (on
    PostgreSQL in one query, the values as one array: not a parameter each)."""
    if connection.vendor == "postgresql":
        values = [v for v in values if v is not None]
        if not values:
            return []
        meta = queryset.model._meta
        field = meta.pk if field_name == "pk" else meta.get_field(field_name)
        column = (
            f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name(field.column)}"
        )
        # The column is the model's, quoted; the values a parameter.
        return list(queryset.extra(where=[f"{column} = ANY(%s)"], params=[values]))  # noqa: S610
    found = []
    for chunk in _chunks(values):
        found.extend(queryset.filter(**{f"{field_name}__in": chunk}))
    return found


class RecordSheet(Sheet):
    """Institutions, departments and customers: records with an id and an external id."""

    header_requires = False  # a file may update matched records only

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.new, self.changed, self.changed_fields = [], [], set()
        self.missing_reported = set()

    def resolve(self, rows):
        """{column: {reference text: record}} for the reference columns, in bulk."""
        resolved = {}
        for name, model in self.kind.references.items():
            refs = {row.values.get(name) for row in rows} - {None, ""}
            resolved[name] = _resolve(model, refs)
        return resolved

    def existing(self, rows):
        """{("external_id"|"id"|"key", value): record} of the records the rows may match."""
        model = self.kind.model
        queryset = model.objects.select_related(*self.kind.references)
        externals = {row.values.get("external_id") for row in rows} - {None, ""}
        ids = {_uuid(row.values.get("id")) for row in rows} - {None}
        found = {}
        for record in _bulk(queryset, "external_id", externals):
            found[("external_id", record.external_id)] = record
        for record in _bulk(queryset, "pk", ids):
            found[("id", record.pk)] = record
        return found

    def key_of(self, values):
        return None

    def natural_matches(self, keys):
        return {}

    def check(self, rows):
        resolved = self.resolve(rows)
        found = self.existing(rows)
        for row in rows:
            if row.errors:
                continue
            for name in self.kind.references:
                ref = row.values.get(name)
                if ref:
                    record = resolved[name].get(ref)
                    if record is None:
                        self.fail(
                            row.number,
                            name,
                            _("Unknown %(what)s “%(value)s” (neither an id nor an external id).")
                            % {
                                "what": self.kind.model._meta.get_field(name).verbose_name,
                                "value": ref,
                            },
                        )
                        row.errors = True
                    else:
                        row.values[name] = record
                elif name in row.values:
                    row.values[name] = None
        # Matches: external id, then id, then the natural key.
        keys = {}
        for row in rows:
            if row.errors:
                continue
            external, pk = row.values.get("external_id"), row.values.get("id")
            by_external = found.get(("external_id", external)) if external else None
            by_id = None
            if pk:
                by_id = found.get(("id", _uuid(pk)))
                if by_id is None:
                    self.fail(
                        row.number, "id", _("No record has the id “%(value)s”.") % {"value": pk}
                    )
                    row.errors = True
                    continue
            if by_external and by_id and by_external.pk != by_id.pk:
                self.fail(
                    row.number,
                    "external_id",
                    _("This external id belongs to another record than the id of the row."),
                )
                row.errors = True
                continue
            row.match = by_external or by_id
            if row.match is None:
                keys[row.number] = self.key_of(self.final(row))
        matches = self.natural_matches(set(keys.values()) - {None})
        for row in rows:
            if row.errors or row.match is not None:
                continue
            row.match = matches.get(keys.get(row.number))

    def final(self, row):
        """The row's values over the matched record's (what the record would be)."""
        values = {}
        for column in self.kind.columns:
            if column.name == "id":
                continue
            if column.name in row.values:
                values[column.name] = row.values[column.name]
            elif row.match is not None:
                values[column.name] = getattr(row.match, column.name)
        return values

    def validate(self, row, values):
        """Rules across the row's fields: [(column, message)]."""
        problems = []
        for column in self.kind.columns:
            if not column.required or row.match is not None or values.get(column.name):
                continue
            if column.name in self.index:
                problems.append((column.name, _("This field is required.")))
                continue
            problems.append((None, ""))  # the row is not written; the header says why
            if column.name not in self.missing_reported:
                self.missing_reported.add(column.name)
                self.result.error(
                    RowError(
                        1,
                        column.name,
                        _(
                            "Missing column “%(column)s” in the header row: row %(row)s "
                            "creates a record, which needs it."
                        )
                        % {"column": column.name, "row": row.number},
                        self.title,
                    )
                )
        return problems

    def plan(self, rows, seen):
        """The outcome of every good row; duplicates inside the file are errors."""
        for row in rows:
            if row.errors:
                continue
            values = self.final(row)
            problems = self.validate(row, values)
            for column, message in problems:
                if column is not None:
                    self.fail(row.number, column, message)
            if problems:
                continue
            duplicate = None
            identity = [("match", row.match.pk)] if row.match is not None else []
            if values.get("external_id"):
                identity.append(("external_id", values["external_id"]))
            key = self.key_of(values)
            if key is not None:
                identity.append(("key", key))
            for ident in identity:
                if ident in seen:
                    duplicate = seen[ident]
                    break
            if duplicate is not None:
                self.fail(
                    row.number,
                    "external_id" if "external_id" in row.values else "",
                    _("The same record as row %(first)s; keep one of them.") % {"first": duplicate},
                )
                continue
            for ident in identity:
                seen[ident] = row.number
            self.outcome(row, values)

    def outcome(self, row, values):
        label = str(values.get("name") or values.get("external_id") or "")
        if row.match is None:  # written from its values (no model instance: `_insert_new`)
            self.new.append({"id": _new_id(), **values})
            self.result.created += 1
            self.result.outcome(self.title, row.number, "created", label)
            return
        changes = [
            name
            for name, value in values.items()
            if _current(row.match, name) != _comparable(value)
        ]
        if not changes:
            self.result.unchanged += 1
            self.result.outcome(self.title, row.number, "unchanged", label)
            return
        for name in changes:
            setattr(row.match, name, values[name])
        self.changed.append(row.match)
        self.changed_fields.update(changes)
        self.result.changed += 1
        self.result.outcome(
            self.title, row.number, "changed", label, [self.headers.get(n, n) for n in changes]
        )

    def write(self):
        model = self.kind.model
        now = timezone.now()
        for values in self.new:
            self.prepare_new(values)
        new = _insert_new(model, self.new, now)
        fields = sorted(self.changed_fields)
        for record in self.changed:
            record.version += 1
            record.updated_at = now
            self.prepare(record)
        if self.changed:
            model.objects.bulk_update(
                self.changed,
                [*fields, *self.extra_fields(fields), "version", "updated_at"],
                batch_size=1000,
            )
        if connection.vendor == "postgresql":
            changelog.log_written(model, [*new, *(r.pk for r in self.changed)], ChangeOp.UPSERT)
        else:
            changelog.log_rows(model, [*new, *self.changed], ChangeOp.UPSERT)
        _history(model, new, self.changed, self.by)

    def prepare_new(self, values):
        """Complete a new record's values before it is written."""

    def prepare(self, record):
        """Complete a changed record before it is written."""

    def extra_fields(self, fields):
        return []


def _comparable(value):
    if hasattr(value, "pk"):
        return value.pk
    return value


def _current(record, name):
    """A field's value on a record, a foreign key as its id (no query)."""
    field = record._meta.get_field(name)
    return getattr(record, field.attname)


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _copy_text(value):
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    kind = type(value)
    if kind is not str:
        if kind is int or kind is uuid.UUID:
            return str(value)  # nothing to escape
        value = value.isoformat() if isinstance(value, datetime.date) else str(value)
    if _COPY_SPECIAL.search(value) is None:
        return value
    return _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group()], value)


def _copy(table, columns, lines):
    """COPY `lines` (in COPY's text format, `columns` in order) into `table`."""
    buffer = io.StringIO()
    buffer.writelines(lines)
    buffer.seek(0)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN", buffer
        )


def _insert_new(model, rows, now):
    """Insert new records given by their values ({field name or attname: value}, a foreign key
    as its record or its id; an "id" each), the other fields taking their defaults and the
    timestamps `now`: on PostgreSQL by COPY of the values as they are (no model instance, the
    fastest set-based write); elsewhere as instances by bulk_create. Returns the ids
    (PostgreSQL) or the instances written."""
    if connection.vendor != "postgresql":
        records = [model(**values) for values in rows]
        if records:
            model.objects.bulk_create(records, batch_size=1000)
        return records
    if rows:
        fields = model._meta.concrete_fields
        _copy(model._meta.db_table, [f.column for f in fields], _copy_lines(fields, rows, now))
    return [values["id"] for values in rows]


def _copy_lines(fields, rows, now):
    """The COPY lines of new records from their values: the fields they leave out take their
    defaults (converted once, not once a row), the timestamps `now`, as a save would write."""
    plans = {}
    for values in rows:
        keys = tuple(values)
        plan = plans.get(keys)
        if plan is None:
            plan = plans[keys] = _copy_plan(fields, keys, now)
        line, varying = plan
        line = line.copy()
        for position, get in varying:
            line[position] = _copy_text(get(values))
        yield "\t".join(line) + "\n"


def _copy_plan(fields, keys, now):
    """(the line with the fields `keys` leave out filled in, [(position, value getter)])."""
    line, varying = [], []
    for position, f in enumerate(fields):
        line.append(None)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            line[position] = _copy_text(now)  # as their pre_save on a save
        elif f.name in keys:
            name = f.name
            if f.is_relation:  # its record (or None)
                varying.append((position, lambda values, n=name: _comparable(values[n])))
            else:
                varying.append((position, operator.itemgetter(name)))
        elif f.attname in keys:
            varying.append((position, operator.itemgetter(f.attname)))
        elif f.has_default() and callable(f.default):
            varying.append((position, lambda values, default=f.default: default()))
        else:
            line[position] = _copy_text(f.get_default())
    return line, varying


def _history(model, new, changed, by):
    if connection.vendor == "postgresql":
        _copy_history(model, new, "+", by)
        _copy_history(model, changed, "~", by)
        return
    history = model.history
    if new:
        history.bulk_history_create(
            new, batch_size=2000, default_user=by, default_change_reason=HISTORY_REASON
        )
    if changed:
        history.bulk_history_create(
            changed,
            batch_size=2000,
            update=True,
            default_user=by,
            default_change_reason=HISTORY_REASON,
        )


def _copy_history(model, records, history_type, by):
    """The history rows of `records` (what bulk_history_create writes), set-based: one
    INSERT … SELECT from the records' rows as just written (no Python per value)."""
    if not records:
        return
    historical = model.history.model
    table = connection.ops.quote_name
    own = {f.column for f in model._meta.concrete_fields}
    extra = {
        "history_date": timezone.now(),
        "history_change_reason": HISTORY_REASON,
        "history_type": history_type,
        "history_user_id": by.pk if by else None,
    }
    columns, selected, params = [], [], []
    for f in historical._meta.concrete_fields:
        if f.attname == "history_id":
            continue
        columns.append(table(f.column))
        if f.attname in extra or f.column not in own:  # the history's own fields, defaults
            value = extra[f.attname] if f.attname in extra else f.get_default()
            selected.append("%s")
            params.append(f.get_db_prep_save(value, connection))
        else:
            selected.append(f"t.{table(f.column)}")
    statement = (
        f"INSERT INTO {table(historical._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {table(model._meta.db_table)} AS t "
        "WHERE t.id = ANY(%s::uuid[])"
    )
    ids = [str(getattr(record, "pk", record)) for record in records]  # records or their ids
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, ids])


class _CustomerRef:
    """An alignment's customer as the import needs it (no model instance: 100,000 of them)."""

    __slots__ = ("external_id", "name", "pk")

    def __init__(self, pk, name, external_id):
        self.pk, self.name, self.external_id = pk, name, external_id


def _resolve(model, refs):
    """{reference text: record} of `refs` (ids, external ids; a territory's code) in bulk."""
    found = {}
    ids = {ref: _uuid(ref) for ref in refs}
    queryset = model.objects.all()
    if model is Department:
        queryset = queryset.only("id", "institution_id", "name", "external_id")
    elif model is Customer:  # an alignment's customer: its id and name (for the outcome)
        queryset = Customer.objects.values_list("id", "name", "external_id")

    def read(field_name, values):
        records = _bulk(queryset, field_name, values)
        return [_CustomerRef(*r) for r in records] if model is Customer else records

    for record in read("pk", set(ids.values()) - {None}):
        found[str(record.pk)] = record
    by_pk = {str(pk): ref for ref, pk in ids.items() if pk}
    result = {by_pk[key]: record for key, record in found.items() if key in by_pk}
    rest = {ref for ref in refs if ref not in result}
    other = "code" if model is Territory else "external_id"
    if rest:
        for record in read(other, rest):
            result[getattr(record, other)] = record
    return result


class InstitutionSheet(RecordSheet):
    def key_of(self, values):
        name = (values.get("name") or "").strip().casefold()
        return (name, (values.get("city") or "").strip().casefold()) if name else None

    def natural_matches(self, keys):
        names = {name for name, _city in keys}
        found = {}
        for record in _bulk(Institution.objects.all(), "name", names):
            key = self.key_of({"name": record.name, "city": record.city})
            found.setdefault(key, record)
        return found


class DepartmentSheet(RecordSheet):
    def key_of(self, values):
        institution = values.get("institution")
        name = (values.get("name") or "").strip()
        return (institution.pk, name) if institution and name else None

    def natural_matches(self, keys):
        institutions = {pk for pk, _name in keys}
        found = {}
        for record in _bulk(
            Department.objects.select_related("institution"), "institution_id", institutions
        ):
            found[(record.institution_id, record.name)] = record
        return found


class CustomerSheet(RecordSheet):
    def key_of(self, values):
        institution, department = values.get("institution"), values.get("department")
        name = (values.get("name") or "").strip()
        if not (institution and name):
            return None
        if "department" not in self.index:  # a file without departments: name and institution
            return (name, institution.pk)
        return (name, institution.pk, department.pk if department else None)

    def natural_matches(self, keys):
        names = {key[0] for key in keys}
        found = {}
        queryset = Customer.objects.select_related("institution", "department")
        for record in _bulk(queryset, "name", names):
            key = (record.name, record.institution_id, record.department_id)
            found.setdefault(key if "department" in self.index else key[:2], record)
        return found

    def validate(self, row, values):
        problems = super().validate(row, values)
        kind, group = values.get("kind"), values.get("role_group")
        if kind == CustomerKind.NON_PRESCRIBER and not group:
            problems.append(
                ("role_group", _("A non-prescriber needs a role group (N1, N2 or N3)."))
            )
        if kind == CustomerKind.PRESCRIBER and group:
            problems.append(("role_group", _("Only non-prescribers have a role group.")))
        department, institution = values.get("department"), values.get("institution")
        if department and institution and department.institution_id != institution.pk:
            problems.append(("department", _("This department belongs to another institution.")))
        return problems

    def prepare_new(self, values):
        values["name_pinyin"], values["name_initials"] = search_keys(values.get("name"))

    def prepare(self, record):
        record.name_pinyin, record.name_initials = search_keys(record.name)

    def extra_fields(self, fields):
        return ["name_pinyin", "name_initials"] if "name" in fields else []


class AlignmentSheet(Sheet):
    """Alignments: matched by id, then by customer, territory and valid_from; periods of a
    customer and territory never overlap; a DM aligns to their district's territories only."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.new, self.changed, self.changed_fields, self.places = [], [], set(), {}
        self.allowed = (
            None
            if self.by.is_admin
            else set(Territory.objects.for_user(self.by).values_list("pk", flat=True))
        )

    def check(self, rows):
        customers = _resolve(Customer, {r.values.get("customer") for r in rows} - {None, ""})
        territories = _resolve(Territory, {r.values.get("territory") for r in rows} - {None, ""})
        ids = {_uuid(r.values.get("id")) for r in rows} - {None}
        queryset = Alignment.objects.select_related("customer", "territory")
        by_id = {a.pk: a for a in _bulk(queryset, "pk", ids)}
        for row in rows:
            if row.errors:
                continue
            for name, found in (("customer", customers), ("territory", territories)):
                record = found.get(row.values[name])
                if record is None:
                    what = _("customer") if name == "customer" else _("territory")
                    self.fail(
                        row.number,
                        name,
                        _("Unknown %(what)s “%(value)s”.")
                        % {"what": what, "value": row.values[name]},
                    )
                    row.errors = True
                row.values[name] = record
            territory = row.values["territory"]
            if (
                territory is not None
                and self.allowed is not None
                and territory.pk not in self.allowed
            ):
                self.fail(
                    row.number,
                    "territory",
                    _("Territory %(code)s is outside your district.") % {"code": territory.code},
                )
                row.errors = True
            pk = row.values.get("id")
            if pk:
                row.match = by_id.get(_uuid(pk))
                if row.match is None or (
                    self.allowed is not None and row.match.territory_id not in self.allowed
                ):
                    self.fail(
                        row.number, "id", _("No record has the id “%(value)s”.") % {"value": pk}
                    )
                    row.errors = True
        good = [r for r in rows if not r.errors]
        # The other alignments of the same customers (to check overlaps and natural matches).
        self.others = {}
        for record in _bulk(
            Alignment.objects.select_related("customer", "territory"),
            "customer_id",
            {r.values["customer"].pk for r in good},
        ):
            self.others.setdefault((record.customer_id, record.territory_id), []).append(record)
        for row in good:
            if row.match is None:
                start = row.values.get("valid_from") or self.today
                for record in self.others.get(
                    (row.values["customer"].pk, row.values["territory"].pk), []
                ):
                    if record.valid_from == start:
                        row.match = record

    def plan(self, rows, seen):
        periods = {}
        for row in rows:
            if row.errors:
                continue
            match = row.match
            customer, territory = row.values["customer"], row.values["territory"]
            start = row.values.get("valid_from") if "valid_from" in row.values else None
            start = start or (match.valid_from if match else self.today)
            end = (
                row.values.get("valid_to")
                if "valid_to" in row.values
                else (match.valid_to if match else None)
            )
            if end is not None and end < start:
                self.fail(row.number, "valid_to", _("“Valid to” cannot be before “valid from”."))
                continue
            pair = (customer.pk, territory.pk)
            clash = next(
                (
                    other
                    for other in self.others.get(pair, [])
                    if (match is None or other.pk != match.pk)
                    and other.valid_from <= (end or datetime.date.max)
                    and (other.valid_to or datetime.date.max) >= start
                ),
                None,
            )
            if clash is not None:
                self.fail(
                    row.number,
                    "valid_from",
                    _("The customer is already aligned to this territory in this period."),
                )
                continue
            earlier = next(
                (
                    number
                    for number, (s, e) in periods.get(pair, [])
                    if s <= (end or datetime.date.max) and (e or datetime.date.max) >= start
                ),
                None,
            )
            if earlier is not None:
                self.fail(
                    row.number,
                    "valid_from",
                    _("The same customer, territory and period as row %(first)s; keep one of them.")
                    % {"first": earlier},
                )
                continue
            periods.setdefault(pair, []).append((row.number, (start, end)))
            label = f"{customer.name} → {territory.code}"
            values = {
                "customer": customer,
                "territory": territory,
                "valid_from": start,
                "valid_to": end,
            }
            if match is None:  # written from its values (`_insert_new`)
                self.new.append(
                    {
                        "id": _new_id(),
                        "customer_id": customer.pk,
                        "territory_id": territory.pk,
                        "valid_from": start,
                        "valid_to": end,
                    }
                )
                self.result.created += 1
                self.result.outcome(self.title, row.number, "created", label)
                continue
            changes = [n for n, v in values.items() if _current(match, n) != _comparable(v)]
            if not changes:
                self.result.unchanged += 1
                self.result.outcome(self.title, row.number, "unchanged", label)
                continue
            self.places[match.pk] = changelog.places_of(Alignment, match)
            for name in changes:  # a foreign key by its id (the customer is a _CustomerRef)
                setattr(match, match._meta.get_field(name).attname, _comparable(values[name]))
            self.changed.append(match)
            self.changed_fields.update(changes)
            self.result.changed += 1
            self.result.outcome(
                self.title, row.number, "changed", label, [self.headers.get(n, n) for n in changes]
            )

    def write(self):
        now = timezone.now()
        new = _insert_new(Alignment, self.new, now)
        for record in self.changed:
            record.version += 1
            record.updated_at = now
        if self.changed:
            Alignment.objects.bulk_update(
                self.changed,
                [*sorted(self.changed_fields), "version", "updated_at"],
                batch_size=1000,
            )
        # Where each row is now (and was, if it moved): its own change log, and its customer's.
        of_territory = {
            t: changelog.places_of(Alignment, {"territory_id": t})
            for t in {values["territory_id"] for values in self.new}
        }
        places = {values["id"]: of_territory[values["territory_id"]] for values in self.new}
        for r in self.changed:
            places[r.pk] = list(
                dict.fromkeys([*self.places.get(r.pk, []), *changelog.places_of(Alignment, r)])
            )
        if connection.vendor == "postgresql":
            changelog.log_written(Alignment, list(places), ChangeOp.SCOPE, places=places)
        else:
            changelog.log_rows(Alignment, [*new, *self.changed], ChangeOp.SCOPE, places=places)
        _history(Alignment, new, self.changed, self.by)
        territories = {p[0] for ps in places.values() for p in ps if p and p[0]}
        if territories:
            events.send_on_commit(
                alignment_changed,
                sender=Alignment,
                alignment_id=None,
                customer_id=None,
                territory_ids=tuple(sorted(territories, key=str)),
            )


SHEETS = {
    ImportKind.INSTITUTIONS: InstitutionSheet,
    ImportKind.DEPARTMENTS: DepartmentSheet,
    ImportKind.CUSTOMERS: CustomerSheet,
    ImportKind.ALIGNMENTS: AlignmentSheet,
}


# The job.


def import_start(
    *,
    by: User,
    file,
    kind: str,
    dry_run: bool = True,
    name: str = "",
    checked: Import | None = None,
) -> Import:
    """Keep the file in a new `Import` job and run it after commit. A file that is empty or
    over the size limit is refused at once (ValidationError {"file": [...]})."""
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Unknown kind: %(kind)s.") % {"kind": kind}})
    if not can_import(by, kind):
        raise PermissionDenied
    data = file if isinstance(file, bytes) else import_files.read_data(file)
    job = Import.objects.create(
        kind=kind,
        dry_run=dry_run,
        file_name=(name or getattr(file, "name", "") or "import")[:200],
        data=data,
        created_by=by,
        checked=checked,
        batches=100,
    )
    if len(data) <= settings.IMPORT_INLINE_KB * 1024:  # small: done before the answer
        return import_run(job_id=job.pk)
    outbox.send_on_commit(run_import, str(job.pk))
    return job


def import_apply(*, by: User, job: Import) -> Import:
    """Apply the file a dry run checked, as a new job."""
    if not job.dry_run or job.status != JobStatus.DONE or job.error_count:
        raise ValidationError({"job": _("Only a check without errors can be applied.")})
    return import_start(
        by=by, file=bytes(job.data), kind=job.kind, dry_run=False, name=job.file_name, checked=job
    )


class _Progress:
    """Progress seen by other connections while the import's transaction is open: written
    through a connection of its own on PostgreSQL (nothing on SQLite, whose writers take turns).
    The job's row is never written by the import's own transaction."""

    def __init__(self, job_id):
        self.job_id, self.done, self.at = job_id, -1, 0.0
        self.side = None

    def __call__(self, fraction):
        done = max(0, min(99, int(fraction * 100)))
        if done <= self.done or time.monotonic() - self.at < 0.5:
            return
        self.done, self.at = done, time.monotonic()
        if connection.vendor != "postgresql":
            return
        if self.side is None:
            self.side = connections.create_connection("default")
        with self.side.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_import SET batches_done = %s WHERE id = %s",
                [done, self.job_id],
            )

    def close(self):
        if self.side is not None:
            self.side.close()


def import_run(*, job_id) -> Import:
    """Run a queued import (a job already claimed or finished is left alone)."""
    claimed = Import.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    job = Import.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    progress = _Progress(job.pk)
    language = getattr(job.created_by, "language", None) or settings.LANGUAGE_CODE
    try:
        with translation.override(language), history.source(history.Source.IMPORT):
            result = _run(job, progress)
    except Exception as error:
        Import.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(error), finished_at=timezone.now()
        )
        raise
    finally:
        progress.close()
    Import.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        batches_done=100,
        rows=result.rows,
        created=result.created,
        changed=result.changed,
        unchanged=result.unchanged,
        error_count=result.error_count,
        errors=[e.as_dict() for e in result.errors],
        outcomes=result.outcomes,
    )
    job.refresh_from_db()
    return job


def _sheets_of(job, data):
    """[(kind, title, table)] in the order they are imported."""
    try:
        sheets = import_files.read_sheets(data, first_only=job.kind != ImportKind.WORKBOOK)
    except ValidationError as error:
        raise _FileError(error.message_dict["file"]) from error
    if job.kind != ImportKind.WORKBOOK:
        (title, table), *_rest = sheets
        return [(job.kind, None, table)]
    names = {}
    for kind in ORDER:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names[str(ImportKind(kind).label).casefold()] = kind
        names[str(kind).casefold()] = kind
    found, unknown = [], []
    for title, table in sheets:
        kind = names.get((title or "").strip().casefold())
        if kind is None:
            unknown.append(title)
        else:
            found.append((kind, title, table))
    if unknown:
        raise _FileError(
            [
                _("Unknown sheet “%(sheet)s”: name each sheet after its kind (%(kinds)s).")
                % {"sheet": title, "kinds": ", ".join(ORDER)}
                for title in unknown
            ]
        )
    return sorted(found, key=lambda item: ORDER.index(item[0]))


class _FileError(Exception):
    def __init__(self, messages):
        super().__init__(messages)
        self.messages = messages


def _run(job, progress) -> Result:
    result = Result()
    by = job.created_by
    try:
        sheets = _sheets_of(job, bytes(job.data))
    except _FileError as error:
        for message in error.messages:
            result.error(RowError(None, "", str(message)))
        return result
    progress(0.05)
    total = sum(len(table) for _k, _t, table in sheets) or 1
    done = 0
    with transaction.atomic():
        for position, (kind, title, table) in enumerate(sheets):
            last = position == len(sheets) - 1
            if not can_import(by, kind):
                result.error(
                    RowError(
                        None,
                        "",
                        _("You may not import %(kind)s.") % {"kind": ImportKind(kind).label},
                        title or "",
                    )
                )
                break
            if kind == ImportKind.MEASURES:
                _measures(by, table, title, result, dry_run=job.dry_run)
                done += len(table)
                progress(0.05 + 0.9 * done / total)
                if result.error_count:
                    break
                continue
            sheet = SHEETS[kind](
                job=job, by=by, kind=_kinds()[kind], table=table, title=title, result=result
            )
            errors_before = result.error_count
            if not sheet.read_header():
                break
            seen = {}
            for chunk in _chunks(sheet.body, CHUNK):
                rows = [sheet.parse(number, cells) for number, cells in chunk]
                result.rows += len(rows)
                sheet.check(rows)
                sheet.plan(rows, seen)
                done += len(rows)
                progress(0.05 + 0.6 * done / total)
            if result.error_count > errors_before:
                break
            if not (job.dry_run and last):
                sheet.write()
            progress(0.05 + 0.9 * done / total)
        if job.dry_run or result.error_count:
            transaction.set_rollback(True)
    if result.error_count:
        result.errors.sort(key=lambda e: (e.sheet, e.row or 0))
    return result


# The row number at the start of a measure import's message ("Row 3: …", "第 3 行：…").
ROW_PREFIX = re.compile(r"^\D{0,8}?(\d+)\D")


def _measures(by, table, title, result, *, dry_run):
    from .imports import measures_import_table

    try:
        report = measures_import_table(by=by, table=table, dry_run=dry_run)
    except ValidationError as error:
        for message in error.message_dict["file"]:
            match = ROW_PREFIX.match(str(message))
            row = int(match.group(1)) if match else None
            result.error(RowError(row, "", str(message), title or ""))
        return
    result.rows += report.rows
    result.created += report.created
    result.changed += report.replaced
    result.unchanged += report.unchanged


# Reading a finished job.


def import_errors_by_sheet(job: Import):
    errors = {}
    for error in job.errors:
        errors.setdefault(error.get("sheet") or "", {}).setdefault(error["row"], []).append(
            f"{error['column']}: {error['message']}" if error["column"] else error["message"]
        )
    return errors


def rejected_rows(job: Import, fmt: str):
    """(content, content type, file name) of the file's rows that have errors, as the file
    shows them with an added "error" column: CSV (UTF-8 with BOM, a single sheet) or XLSX."""
    errors = import_errors_by_sheet(job)
    sheets = import_files.read_sheets(bytes(job.data), first_only=job.kind != ImportKind.WORKBOOK)
    tables = []
    for title, table in sheets:
        wanted = (
            errors.get(title or "", {}) if job.kind == ImportKind.WORKBOOK else errors.get("", {})
        )
        if not wanted:
            continue
        (header_number, header), *body = table
        header = [*header, _("error")]
        rows = [[*cells, "; ".join(wanted[number])] for number, cells in body if number in wanted]
        if header_number in wanted:  # errors of the header itself
            rows.insert(0, [*([""] * (len(header) - 1)), "; ".join(wanted[header_number])])
        tables.append((title or job.kind, header, rows))
    base = re.sub(r"\.[A-Za-z0-9]+$", "", job.file_name) or "import"
    if fmt == "csv" and len(tables) <= 1:
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        for _title, header, rows in tables:
            writer.writerow([escape_formula(text(c)) for c in header])
            for row in rows:
                writer.writerow([escape_formula(_cell_text(c)) for c in row])
        return buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{base}-rejected.csv"
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in tables or [(job.kind, [_("error")], [])]:
        sheet = workbook.create_sheet(str(title)[:31])
        sheet.append([escape_formula(text(c)) for c in header])
        for row in rows:
            sheet.append([escape_formula(c) if isinstance(c, str) else c for c in row])
    out = io.BytesIO()
    workbook.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{base}-rejected.xlsx",
    )


def _cell_text(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return text(value)
