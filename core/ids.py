"""Ids from a query string or a form post, parsed before use: a malformed one is a 404 (as an id
in a URL), never a database error."""

import uuid

from django.http import Http404


def uuid_or_404(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as error:
        raise Http404 from error


def int_or_404(value) -> int:
    """A positive integer primary key (up to PostgreSQL's bigint)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        raise Http404
    return int(text)
