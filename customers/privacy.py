"""A healthcare professional's personal data (PIPL / GDPR): what is held about one customer,
and how it is scrubbed when the person asks to be erased.

The customers app knows the profile, classes, measures, overrides, alignments and their history;
the higher apps know the rest (the calls the person attended, the plans naming them, the
notifications mentioning them). Each registers, in its `AppConfig.ready()`:

- `register_export_part(name, fn)`: `fn(customer)` → the rows of that part (JSON-ready dicts),
  read set-based (a fixed number of queries whatever the number of rows);
- `register_scrubber(fn)`: `fn(customer, pairs)` replaces every mention of the person (`pairs`:
  (old name, erased name), from `replacements(customer)`) in the text it holds about them —
  current rows and their history — inside the erasure's transaction (customers.services).

`scrub_text` and `scrub_json` are the helpers the scrubbers share.
"""

import re

from django.db import connections
from django.db.models import F, Func, Q, Value
from django.utils import timezone

_export_parts: dict = {}
_scrubbers: list = []

# What an erased customer is called from then on (the Chinese name field and the English one),
# followed by a short code so that two erased attendees of one call can be told apart.
ERASED_NAME = "已删除客户"
ERASED_NAME_EN = "Erased customer"


def erased_names(customer) -> tuple[str, str]:
    code = customer.pk.hex[:6].upper()
    return f"{ERASED_NAME} {code}", f"{ERASED_NAME_EN} {code}"


def register_export_part(name: str, fn) -> None:
    _export_parts[name] = fn


def register_scrubber(fn) -> None:
    if fn not in _scrubbers:
        _scrubbers.append(fn)


def export_parts() -> dict:
    return dict(_export_parts)


def scrubbers() -> list:
    return list(_scrubbers)


def rows(queryset, *fields) -> list[dict]:
    """The rows of `queryset` as dicts (one query): `fields`, or every concrete field."""
    return list(queryset.values(*fields))


def replacements(customer) -> list[tuple[str, str]]:
    """(old, new) pairs that scrub mentions of `customer` (as it is before the erasure): its
    Chinese name by the erased name, its English name by the English one. A name shorter than
    MIN_NAME characters is not searched for in free text (it would wreck unrelated words)."""
    new_name, new_name_en = erased_names(customer)
    pairs = [(customer.name, new_name), (customer.name_en, new_name_en)]
    pairs = [(old.strip(), new) for old, new in pairs if len((old or "").strip()) >= MIN_NAME]
    return sorted(pairs, key=lambda pair: -len(pair[0]))  # the longer first


MIN_NAME = 2


def scrub_text(queryset, fields, pairs, *, synced=False) -> list:
    """Replace each `old` of `pairs` by its `new` in the text `fields` of `queryset`'s rows, in
    any case ("wang jianguo" and "WANG JIANGUO" as well as "Wang Jianguo"), set-based: one
    UPDATE per field and pair on the rows that contain it (`_replace`). `synced`: the rows are
    synced records — their version is raised and `updated_at` set, so clients read them again.
    Returns the primary keys of the rows changed."""
    changed = []
    model = queryset.model
    for old, new in pairs:
        matching = Q()
        for field in fields:
            matching |= Q(**{f"{field}__icontains": old})
        pks = list(queryset.filter(matching).values_list("pk", flat=True))
        if not pks:
            continue
        for field in fields:
            _replace(
                model._base_manager.db_manager(queryset.db).filter(
                    pk__in=pks, **{f"{field}__icontains": old}
                ),
                field,
                old,
                new,
            )
        if synced:
            model._base_manager.db_manager(queryset.db).filter(pk__in=pks).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
        changed.extend(pks)
    return list(dict.fromkeys(changed))


class _RegexpReplaceAll(Func):
    """PostgreSQL's `regexp_replace(text, pattern, replacement, 'gi')`: every match, any case."""

    function = "REGEXP_REPLACE"
    arity = 4


def _replace(rows, field, old, new):
    """`old` → `new` in `field` of `rows`, whatever the case. SQL's REPLACE is case-sensitive on
    every database: PostgreSQL replaces with a case-insensitive regular expression (`old`
    escaped) in one UPDATE; SQLite, which has no regexp_replace, rewrites the matching rows'
    text in Python (its LIKE folds ASCII only, so a non-ASCII name in another case is found
    on PostgreSQL alone — Chinese names have no case)."""
    if connections[rows.db].vendor == "postgresql":
        rows.update(
            **{
                field: _RegexpReplaceAll(
                    F(field),
                    Value(_pg_pattern(old)),
                    Value(new.replace("\\", "\\\\")),
                    Value("gi"),
                )
            }
        )
        return
    found = list(rows.only("pk", field))
    for row in found:
        setattr(row, field, _sub(getattr(row, field), old, new))
    rows.model._base_manager.db_manager(rows.db).bulk_update(found, [field], batch_size=500)


def _pg_pattern(old):
    """`old` as a PostgreSQL regular expression matching itself: every character that is not
    a letter, digit or CJK ideograph escaped (a backslash before such a character is a literal
    in PostgreSQL's expressions)."""
    return "".join(char if char.isalnum() else "\\" + char for char in old)


def _sub(text, old, new):
    """`text` with every `old`, in any case, replaced by `new`."""
    if not text:
        return text
    return re.sub(re.escape(old), lambda _match: new, text, flags=re.IGNORECASE)


def scrub_json(value, pairs):
    """`value` (decoded JSON) with every `old` of `pairs` in its strings, in any case,
    replaced by `new`."""
    if isinstance(value, str):
        for old, new in pairs:
            value = _sub(value, old, new)
        return value
    if isinstance(value, list):
        return [scrub_json(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: scrub_json(v, pairs) for k, v in value.items()}
    return value
