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

from django.db.models import F, Q, Value
from django.db.models.functions import Replace
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
    """Replace each `old` of `pairs` by its `new` in the text `fields` of `queryset`'s rows
    (set-based: one UPDATE per field and pair, on the rows that contain it). `synced`: the rows
    are synced records — their version is raised and `updated_at` set, so clients read them
    again. Returns the primary keys of the rows changed."""
    changed = []
    model = queryset.model
    for old, new in pairs:
        matching = Q()
        for field in fields:
            matching |= Q(**{f"{field}__contains": old})
        pks = list(queryset.filter(matching).values_list("pk", flat=True))
        if not pks:
            continue
        for field in fields:
            model._base_manager.filter(pk__in=pks, **{f"{field}__contains": old}).update(
                **{field: Replace(F(field), Value(old), Value(new))}
            )
        if synced:
            model._base_manager.filter(pk__in=pks).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
        changed.extend(pks)
    return list(dict.fromkeys(changed))


def scrub_json(value, pairs):
    """`value` (decoded JSON) with every `old` of `pairs` in its strings replaced by `new`."""
    if isinstance(value, str):
        for old, new in pairs:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [scrub_json(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: scrub_json(v, pairs) for k, v in value.items()}
    return value
