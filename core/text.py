"""Characters no text of the product may hold: NUL (PostgreSQL refuses it in text) and lone
UTF-16 surrogates (not encodable as UTF-8: neither storable nor printable in an answer)."""

import re

from django.utils.translation import gettext as _

FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def has_forbidden_characters(text: str) -> bool:
    return FORBIDDEN.search(text) is not None


def forbidden_message():
    return _("Text may not contain NUL or broken (surrogate) characters.")


def clean_search(text) -> str:
    """What a search box searches for: the query without the forbidden characters."""
    return FORBIDDEN.sub("", text or "")


def localized(chinese, english, language=None):
    """The name of the user's language, falling back to the other one (one rule for every
    bilingual name: region, district, territory, team, product, institution, department, key
    message, material, person)."""
    from django.utils.translation import get_language

    language = language or get_language() or "zh-hans"
    if language.lower().startswith("en"):
        return english or chinese
    return chinese or english
