"""Substring search ("contains, in any case") that PostgreSQL answers from an index whatever the
length of the word.

`icontains` is `UPPER(field) LIKE UPPER('%word%')`: a trigram index (pg_trgm) serves it for words
of three characters or more, but a surname is often one hanzi (王) or two, and a trigram index
cannot answer those (it would read all of itself). For such a short word PostgreSQL asks that
its characters are among the field's characters, `Characters(field) @> Characters(word)`, which a
GIN index on `Characters(field)` answers, then checks the exact substring on the rows found.
Customers migration 0015 makes both kinds of index for the names searched (customers,
institutions, departments). Elsewhere (SQLite) it is plain `icontains`.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import CharField, F, Func, Q, Value
from django.db.models.functions import Concat, StrIndex, Upper
from django.db.models.lookups import GreaterThan

# pg_trgm finds words of this many characters or more in its index.
TRIGRAM = 3


class Characters(Func):
    """`regexp_split_to_array(UPPER(text), '')`: the upper-case characters of a text, as an
    array (PostgreSQL). The character indexes hold the same expression."""

    function = "regexp_split_to_array"

    def __init__(self, expression, **extra):
        super().__init__(
            Upper(expression), Value(""), output_field=ArrayField(CharField()), **extra
        )


def text_contains(field, word):
    """Q: the text in `field` (of the filtered model) contains `word`, in any case — the rows
    `icontains` finds. On PostgreSQL a word of one or two characters is found by its
    characters and checked with `strpos`, not LIKE: the planner would read a whole trigram
    index for a LIKE it cannot answer."""
    if connection.vendor != "postgresql" or len(word) >= TRIGRAM:
        return Q(**{f"{field}__icontains": word})
    every_character = DataContains(Characters(F(field)), Characters(Value(word)))
    return Q(every_character, GreaterThan(StrIndex(Upper(F(field)), Upper(Value(word))), 0))


def found_first(field):
    """An expression that sorts as `field` does but that no index serves (`field || ''`).
    Search results sorted by it are found from their indexes first and then sorted: sorted by
    `field` itself, PostgreSQL may walk the field's index for the few matching rows, and those
    of a common surname (王) sit together far down a name index."""
    return Concat(F(field), Value(""), output_field=CharField())
