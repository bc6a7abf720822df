"""The JSON parser of every API endpoint: a body nested too deep or holding a forbidden character
(NUL, a lone surrogate) is a 400 in the API's error shape, before any view reads it. (A body over
DATA_UPLOAD_MAX_MEMORY_SIZE is refused by Django as it is read: config.api answers it a 400.)"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

from core.text import forbidden_message, has_forbidden_characters

MAX_DEPTH = 64  # the deepest body of the API (a call with its details) is 4 levels deep


class JSONParser(parsers.JSONParser):
    """Refuses bodies deeper than MAX_DEPTH (RecursionError included) or with NUL / lone
    surrogates in any key or string (the top-level field is named)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError(_too_deep()) from error
        _check(data)
        return data


def _too_deep():
    return _("The request body is nested too deeply (at most %(n)s levels).") % {"n": MAX_DEPTH}


def _check(data):
    """Walks the parsed body without recursion: depth, then every key and string."""
    stack = [(data, 1, None)]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(_too_deep())
        if isinstance(value, dict):
            for key, item in value.items():
                name = field or key
                if has_forbidden_characters(key):
                    _refuse(None)
                stack.append((item, depth + 1, name))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
        elif isinstance(value, str) and has_forbidden_characters(value):
            _refuse(field)


def _refuse(field):
    raise exceptions.ValidationError({field or "non_field_errors": [forbidden_message()]})
