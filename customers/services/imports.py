"""Import of measures (potential × support) from CSV or XLSX, the format prescription data
arrives in.

`measures_import` reads the file, validates every row first (errors name the row as the user sees
it in the file, the header being row 1), then writes all the measures set-based in one
transaction and reclassifies the products they touch. A dry run does the same and rolls back,
reporting the class changes the import would cause. One bad row: nothing is written.
"""

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import changelog, history
from org.models import Product, User, in_force_on

from ..classification import classify
from ..models import ClassHistory, Customer, CustomerKind, Measure
from .import_files import blank, invalid, read_table, text
from .segmentation import can_edit_segmentation

MAX_ERRORS = 500  # a file with more errors reports the first ones and how many more
MOVERS = 100  # customers listed by name in the report
ANALYZE_AFTER = 1000  # measures written by an import before the table's statistics are refreshed
FEW_CUSTOMERS = 20  # up to this many customers of a product: classify them one by one

# Accepted header names (compared case-insensitively) of each column.
COLUMNS = {
    "customer": ("customer", "客户"),
    "product": ("product", "产品"),
    "potential": ("potential", "潜力"),
    "support": ("support", "支持度"),
    "valid_from": ("valid_from", "生效日期"),
}
REQUIRED = ("customer", "product", "potential", "support")
LABELS = {"potential": gettext_lazy("potential"), "support": gettext_lazy("support")}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    rows: int = 0
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    on: datetime.date | None = None  # the day the classes are compared on
    changes: Counter = field(default_factory=Counter)  # (old, new) → customers; None: no class
    movers: list = field(default_factory=list)  # the first MOVERS (customer, product, old, new)
    dry_run: bool = True

    @property
    def written(self):
        return self.created + self.replaced

    @property
    def moved(self):
        return sum(self.changes.values())

    def change_lines(self):
        """[("B", "A", 12), ...]: the moves between classes, the biggest first."""
        return [
            (old, new, n)
            for (old, new), n in sorted(
                self.changes.items(), key=lambda item: (-item[1], str(item[0]))
            )
        ]

    def as_dict(self):
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "on": self.on.isoformat() if self.on else None,
            "moved": self.moved,
            "changes": [
                {"old": old, "new": new, "count": n, "label": f"{old or '—'} → {new or '—'}: {n}"}
                for old, new, n in self.change_lines()
            ],
            "customers": [
                {
                    "customer": str(m["customer"].pk),
                    "name": m["customer"].name,
                    "product": m["product"].code,
                    "old": m["old"],
                    "new": m["new"],
                }
                for m in self.movers
            ],
        }


_invalid = invalid


def measures_import(*, by: User, file, dry_run: bool) -> ImportReport:
    """Import the measures of `file` (a binary file object, CSV or XLSX) as `by`.

    Raises ValidationError({"file": [row-numbered messages]}) when any row is bad: nothing is
    written. A dry run writes inside a transaction that it rolls back."""
    return measures_import_table(by=by, table=_read_table(file), dry_run=dry_run)


def measures_import_table(*, by: User, table, dry_run: bool) -> ImportReport:
    """`measures_import` of a table already read (import_files.read_sheets): the measures sheet
    of a workbook imported with the master data (customers/services/bulk_import.py)."""
    if not can_edit_segmentation(by):
        raise PermissionDenied
    rows = _validated(table)
    with transaction.atomic(), history.source(history.Source.IMPORT):
        report = _apply(by=by, rows=rows, audit=not dry_run)
        report.dry_run = dry_run
        if dry_run:
            transaction.set_rollback(True)
    return report


# Reading the file (customers/services/import_files.py).


def _read_table(file):
    return read_table(file)


_blank = blank
_text = text


# Validation.


@dataclass
class Row:
    number: int
    customer: uuid.UUID
    product: Product
    potential: Decimal
    support: Decimal
    valid_from: datetime.date


def _columns(header):
    """{column: index} from the header row; errors for the required columns it lacks."""
    names = {}
    for index, cell in enumerate(header):
        text = str(cell or "").strip().lstrip("\ufeff").casefold().replace(" ", "_")
        for column, aliases in COLUMNS.items():
            if text in aliases and column not in names:
                names[column] = index
    missing = [column for column in REQUIRED if column not in names]
    if missing:
        raise _invalid(
            *(
                _("Missing column “%(column)s” (or “%(chinese)s”) in the header row.")
                % {"column": column, "chinese": COLUMNS[column][1]}
                for column in missing
            )
        )
    return names


def _validated(table):
    """Every row checked; all errors at once, or the rows ready to write."""
    (_number, header), *body = table
    columns = _columns(header)
    if not body:
        raise _invalid(_("The file has a header but no rows."))

    def values(cells):
        found = {}
        for column in COLUMNS:
            index = columns.get(column)
            value = cells[index] if index is not None and index < len(cells) else None
            found[column] = value.strip() if isinstance(value, str) else value
        return found

    body = [(number, values(cells)) for number, cells in body]
    lookups = {
        "kinds": _customer_kinds({_uuid(v["customer"]) for _n, v in body} - {None}),
        "products": {p.code.casefold(): p for p in Product.objects.all()},
        "today": timezone.localdate(),
    }
    errors, rows, first_seen = [], [], {}
    for number, row_values in body:
        row, row_errors = _check_row(number, row_values, **lookups)
        if row is not None:
            key = (row.customer, row.product.pk, row.valid_from)
            if key in first_seen:
                row_errors.append(
                    _(
                        "Row %(row)s: the same customer, product and date as row %(first)s; "
                        "keep one of them."
                    )
                    % {"row": number, "first": first_seen[key]}
                )
            first_seen.setdefault(key, number)
        errors.extend(row_errors)
        if not row_errors:
            rows.append(row)
    if errors:
        if len(errors) > MAX_ERRORS:
            more = len(errors) - MAX_ERRORS
            errors = [*errors[:MAX_ERRORS], _("… and %(n)s more errors.") % {"n": f"{more:,}"}]
        raise _invalid(*errors)
    return rows


def _check_row(number, values, *, kinds, products, today):
    """(Row, []) for a good row, (None or a Row, [messages]) for a bad one."""
    errors = []

    def error(message, **params):
        errors.append(message % {"row": number, **params})

    customer = _uuid(values["customer"])
    if _blank(values["customer"]):
        error(_("Row %(row)s: the customer is missing."))
    elif customer not in kinds:
        error(_("Row %(row)s: unknown customer %(value)s."), value=values["customer"])
    elif kinds[customer] != CustomerKind.PRESCRIBER:
        error(
            _(
                "Row %(row)s: customer %(value)s is a non-prescriber (always class N); "
                "non-prescribers have no measures."
            ),
            value=values["customer"],
        )
    code = _text(values["product"])
    product = products.get(code.casefold())
    if not code:
        error(_("Row %(row)s: the product is missing."))
    elif product is None:
        error(_("Row %(row)s: unknown product %(value)s."), value=code)
    potential = _amount(values["potential"], LABELS["potential"], error)
    support = _amount(values["support"], LABELS["support"], error)
    valid_from = _date(values["valid_from"], today, error)
    if errors:
        return None, errors
    return Row(number, customer, product, potential, support, valid_from), errors


def _uuid(value):
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (TypeError, ValueError, AttributeError):
        return None


def _amount(value, label, error):
    """A non-negative number with at most two decimals (rounded), or None after an error."""
    if _blank(value):
        error(_("Row %(row)s: %(field)s is missing."), field=label)
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        error(
            _("Row %(row)s: %(field)s must be a number, not “%(value)s”."), field=label, value=value
        )
        return None
    if number < 0:
        error(_("Row %(row)s: %(field)s cannot be negative (%(value)s)."), field=label, value=value)
        return None
    if number >= 10**10:
        error(_("Row %(row)s: %(field)s is too large (%(value)s)."), field=label, value=value)
        return None
    return number.quantize(Decimal("0.01"))


def _date(value, default, error):
    """YYYY-MM-DD (or YYYY/M/D, as Chinese Excel saves CSV dates) or an Excel date cell;
    empty: `default`."""
    if _blank(value):
        return default
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    error(_("Row %(row)s: bad date “%(value)s”; write it as YYYY-MM-DD."), value=value)
    return None


def _chunks(values, size=None):
    size = size or (900 if connection.vendor == "sqlite" else 10_000)
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _customer_kinds(ids):
    kinds = {}
    for chunk in _chunks(ids):
        kinds.update(Customer.objects.filter(pk__in=chunk).values_list("pk", "kind"))
    return kinds


# Writing and reclassifying.


def _apply(*, by, rows, audit=True):
    """Write the rows (new or changed measures only, with their audit rows unless `audit` is
    off: a dry run rolls them back anyway) and reclassify; report the class changes on the day
    the new measures are in force (today, or the earliest date of the file when it is later)."""
    today = timezone.localdate()
    on = max(today, min(row.valid_from for row in rows))
    pairs = {(row.customer, row.product.pk) for row in rows}
    products = {row.product.pk: row.product for row in rows}
    customers = {row.customer for row in rows}
    report = ImportReport(rows=len(rows), on=on)

    existing = _existing_measures(rows, customers, products)
    new, changed = [], []
    for row in rows:
        old = existing.get((row.customer, row.product.pk, row.valid_from))
        if old and (old["potential"], old["support"]) == (row.potential, row.support):
            report.unchanged += 1
            continue
        measure = Measure(
            id=old["id"] if old else uuid.uuid4(),
            version=old["version"] + 1 if old else 1,
            customer_id=row.customer,
            product=row.product,
            potential=row.potential,
            support=row.support,
            valid_from=row.valid_from,
            author=by,
        )
        (changed if old else new).append(measure)
    report.created, report.replaced = len(new), len(changed)
    if not new and not changed:
        return report

    before = _classes_on(on, customers, products)
    Measure.objects.bulk_create(
        [*new, *changed],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["customer", "product", "valid_from"],
        update_fields=["potential", "support", "author", "version", "updated_at"],
    )
    changelog.record(Measure, [m.pk for m in [*new, *changed]])  # bulk_create sends no signal
    if audit:
        Measure.history.bulk_history_create(new, batch_size=1000, default_user=by)
        Measure.history.bulk_history_create(changed, batch_size=1000, update=True, default_user=by)
    written = {(m.customer_id, m.product_id) for m in [*new, *changed]}
    if connection.vendor == "postgresql" and len(written) > ANALYZE_AFTER:
        # Fresh statistics (they count this transaction's rows) keep the classification's plan
        # of hash joins; stale ones make it crawl in nested loops.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Measure._meta.db_table}")
    for product in products.values():
        ids = {customer for customer, product_id in written if product_id == product.pk}
        if len(ids) <= FEW_CUSTOMERS:
            for customer in ids:
                classify(product=product, customer=customer)
        elif ids:
            classify(product=product)
    after = _classes_on(on, customers, products)

    moves = []
    for pair in pairs:
        old, new_klass = before.get(pair), after.get(pair)
        if old != new_klass:
            report.changes[(old, new_klass)] += 1
            moves.append((pair, old, new_klass))
    report.movers = _movers(moves, products)
    return report


def _existing_measures(rows, customers, products):
    """{(customer, product, valid_from): {id, version, potential, support}} of the measures the
    file would replace."""
    dates = {row.valid_from for row in rows}
    found = {}
    for chunk in _chunks(customers):
        measures = Measure.objects.filter(customer__in=chunk, product__in=list(products))
        if len(dates) <= 100:
            measures = measures.filter(valid_from__in=dates)
        for m in measures.values(
            "customer_id", "product_id", "valid_from", "id", "version", "potential", "support"
        ):
            found[(m["customer_id"], m["product_id"], m["valid_from"])] = m
    return found


def _classes_on(day, customers, products):
    """{(customer, product): class} on `day` for these customers and products."""
    classes = {}
    for chunk in _chunks(customers):
        classes.update(
            ((customer, product), klass)
            for customer, product, klass in ClassHistory.objects.filter(
                in_force_on(day), customer__in=chunk, product__in=list(products)
            ).values_list("customer_id", "product_id", "klass")
        )
    return classes


def _movers(moves, products):
    """The first MOVERS customers who change class, with their names."""
    moves = sorted(moves, key=lambda m: (products[m[0][1]].code, m[2] or "", m[1] or "", m[0][0]))
    moves = moves[:MOVERS]
    names = Customer.objects.in_bulk([customer for (customer, _p), _o, _n in moves])
    return [
        {"customer": names[customer], "product": products[product], "old": old, "new": new}
        for (customer, product), old, new in moves
    ]
