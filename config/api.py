"""What every endpoint of /api/v1/ shares: the error shape, cursor pagination, the router."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Every error answers {"detail": "...", "errors": {"field": ["message", ...]}}."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = exceptions.ParseError(
            _("The request body is too large (at most %(n)s bytes).")
            % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        if "__all__" in errors:
            errors["non_field_errors"] = errors.pop("__all__")
        response.data = {"detail": _("Invalid input."), "errors": errors}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"detail": data["detail"], "errors": {}}
    else:
        response.data = {"detail": str(data), "errors": {}}
    return response


ERROR_STATUSES = {
    "400": "Invalid input: `errors` names the fields.",
    "401": "No or bad credentials.",
    "403": "Your role does not allow this.",
    "404": "No such record in your scope.",
    "429": "Too many requests: wait and retry (see Retry-After).",
}
WRITE_ERROR_STATUSES = {
    "409": "Conflict: locked call, duplicate id with other content, illegal state change.",
    "412": "Stale If-Match: the answer carries the current record.",
}


def error_responses_hook(result, generator, request, public):
    """drf-spectacular post-processing: every operation documents the error shape it can answer
    (`{"detail", "errors"}`), so clients (and the schemathesis test) can rely on it."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "required": ["detail", "errors"],
        "properties": {
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {}},
                "description": "Messages per field (`non_field_errors` for the whole input).",
            },
        },
    }
    reference = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            statuses = dict(ERROR_STATUSES)
            if method in ("post", "put", "patch", "delete"):
                statuses.update(WRITE_ERROR_STATUSES)
            responses = operation.setdefault("responses", {})
            for code, description in statuses.items():
                responses.setdefault(code, {"description": description, **reference})
    return result


def not_found(request, exception=None):
    """`handler404`: an API path no route matches (`/api/v1/users/abc/`) answers the error shape
    in JSON; pages answer the HTML 404."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "errors": {}}, status=404)
    return defaults.page_not_found(request, exception)
