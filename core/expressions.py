"""Query expressions the apps share."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, F, Func, Q


class AnyOf(Func):
    """`value = ANY(array)` (PostgreSQL): unlike `IN (SELECT …)`, an index on `value` answers
    it, also as one branch of an OR."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


def one_of(field, rows, column="pk"):
    """Q: the foreign key `field` points at one of `rows` (a queryset of its model, or of
    another model whose `column` holds the key): on PostgreSQL `field_id = ANY(ARRAY(SELECT
    column …))`, read once before the rows it narrows; elsewhere `field_id IN (SELECT …)`."""
    keys = rows.order_by().values(column)
    if connection.vendor == "postgresql":
        return Q(AnyOf(F(f"{field}_id"), ArraySubquery(keys)))
    return Q(**{f"{field}__in": keys})
