"""Rules the schema keeps on PostgreSQL: periods of the same thing may not overlap.

An exclusion constraint (`EXCLUDE USING gist (... WITH =, daterange(...) WITH &&)`) refuses the
second of two writers that race past the services' checks. It exists on PostgreSQL only: on
SQLite (tests, development) its SQL is skipped and the services' checks under their locks stand
alone (SQLite has one writer at a time). The `btree_gist` extension (`BtreeGistExtension()` in
the migration) lets the constraint compare plain columns with `=`.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Func

__all__ = ["DateRange", "PostgresExclusionConstraint", "RangeOperators", "inclusive_period"]


class DateRange(Func):
    """`daterange(lower, upper, bounds)`; a null upper bound is open (unbounded)."""

    function = "DATERANGE"
    output_field = DateRangeField()


def inclusive_period(start="valid_from", end="valid_to"):
    """The period [start, end] of a row whose both days count (null end: still running)."""
    return DateRange(start, end, RangeBoundary(inclusive_lower=True, inclusive_upper=True))


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ExclusionConstraint created on PostgreSQL only (no SQL on any other database).

    It does not validate models: the model's `clean()` checks the same rule on every database
    and names the field; the constraint is the guard against writers racing past that check
    (their IntegrityError names the constraint, see `violated`)."""

    def _postgresql(self, schema_editor):
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        return (
            super().constraint_sql(model, schema_editor)
            if self._postgresql(schema_editor)
            else None
        )

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._postgresql(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._postgresql(schema_editor) else None

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        return None


def violated(error, *names):
    """Whether the IntegrityError `error` is a violation of one of the constraints `names`."""
    cause = getattr(error, "__cause__", None)
    diag = getattr(cause, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name is not None:
        return name in names
    return any(n in str(error) for n in names)  # SQLite names the index in its message
