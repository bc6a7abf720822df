"""What the REST resources with a `version` share (API.md's conventions), in one place.

- `VersionedMixin`: `ETag: "<version>"` on every answer with one record; `PUT`/`PATCH` (and
  `DELETE`, where a resource offers it) with `If-Match: "<version>"` answer 412 with the
  current record when the version is stale — the version compared under the row lock, in the
  writing transaction (core.concurrency), so of several writes sent at once with the same
  `If-Match` exactly one succeeds. Without `If-Match` (or with `*`) the last writer wins. A
  header naming no version (`"abc"`) is a precondition no record meets: 412. The OpenAPI
  schema documents the header, the ETag and the 412.
- `SyncedWriteMixin`: that, plus the idempotent create with a client-supplied `id` and a
  service's `Conflict` as 409.
- `SyncView`: `GET /api/v1/sync/`, one endpoint over every resource the apps register with
  core.sync.
- `HistoryMixin`: `GET <resource>/{id}/history/`, the record's versions as changes (core.history),
  scoped as the record (`get_object`: 404 out of scope), newest first, cursor-paginated.
- `exception_handler`: the error shape of every endpoint, `{"detail", "errors"}`; a domain
  error no view caught is still its status (`Conflict` 409, `Stale` 412), never a 500.
"""

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import sync
from .concurrency import STALE_RECORD, Conflict, Stale, check_version, has_version, lock_for_update
from .history import Source, record_changes
from .pagination import Pagination


def etag_version(header):
    """The version in an If-Match header (`"3"`, `W/"3"`, `3`); None for `*` or garbage."""
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    return int(value) if value.isdigit() else None


def expected_version(request):
    """The version `If-Match` names; None without one (or `*`); 0 — no record's version —
    for a header that names none (a stale precondition, like any other mismatch)."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    version = etag_version(header)
    return 0 if version is None else version


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=gettext_lazy(
        '"<version>": answer 412 with the current record when it has changed since.'
    ),
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=gettext_lazy('"<version>" of the record answered.'),
    response=[200, 201, 412],
)
STALE_DESCRIPTION = gettext_lazy("Stale If-Match: the answer carries the current record.")
REPEATED_DESCRIPTION = gettext_lazy("The same create again (same id): the stored record.")


class VersionedSchema(AutoSchema):
    """The If-Match parameter of writes, the ETag header and the 412 answer with the record."""

    def _versioned(self):
        model = getattr(self.view, "model", None)
        return model is not None and has_version(model)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if not self._versioned():
            return parameters
        names = {p.name for p in parameters if isinstance(p, OpenApiParameter)}
        if self.method in ("PUT", "PATCH", "DELETE") and "If-Match" not in names:
            parameters.append(IF_MATCH)
        if "ETag" not in names and getattr(self.view, "action", None) != "history":
            parameters.append(ETAG)  # (a record's history is not the record: no ETag)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._versioned() and self.method in ("PUT", "PATCH") and "412" not in responses:
            response = self._get_response_for_code(self.get_response_serializers(), "412")
            response["description"] = str(STALE_DESCRIPTION)
            responses["412"] = response
        if (
            getattr(self.view, "idempotent_create", False)
            and self.method == "POST"
            and getattr(self.view, "action", None) == "create"
            and "201" in responses
            and "200" not in responses
        ):  # the same create again answers the stored object
            responses["200"] = {**responses["201"], "description": str(REPEATED_DESCRIPTION)}
        return responses


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This change conflicts with the record's state.")
    default_code = "conflict"


class VersionedMixin:
    """If-Match, 412 and ETag for a viewset whose `model` carries a `version` (for one without,
    it changes nothing). Writes go through `perform_update`, which re-reads the record under the
    row lock, compares the version and saves on the locked row — unless the viewset's service
    does that itself (`version_checked_by_service`: the serializer hands the context's
    `expected_version` to a service that locks the row and calls core.concurrency)."""

    schema = VersionedSchema()
    stale_message = STALE_RECORD
    version_checked_by_service = False

    def _has_version(self):
        model = getattr(self, "model", None) or self.get_queryset().model
        return has_version(model)

    def expected_version(self):
        return expected_version(self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.method in ("PUT", "PATCH"):
            context["expected_version"] = self.expected_version()
        return context

    def check_precondition(self, record, message=None):
        """The precondition before the body is read (a stale If-Match is a 412 even when the
        body is bad); the write checks it again under the lock."""
        check_version(record, self.expected_version(), message or self.stale_message)

    def update(self, request, *args, **kwargs):
        if self._has_version():
            self.check_precondition(self.get_object())
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        if not self._has_version() or self.version_checked_by_service:
            return super().perform_update(serializer)
        with transaction.atomic():
            serializer.instance = lock_for_update(
                serializer.instance, self.expected_version(), self.stale_message
            )
            return super().perform_update(serializer)

    def handle_exception(self, exc):
        if isinstance(exc, Stale):
            return self._precondition_failed(exc)
        return super().handle_exception(exc)

    def _precondition_failed(self, exc):
        """412 with the current object (read after the failed write rolled back)."""
        current = self.get_queryset().filter(pk=self.kwargs.get(self.lookup_field)).first()
        if current is None:
            return super().handle_exception(exceptions.NotFound())
        data = {"detail": exc.message, "errors": {}, **self.get_serializer(current).data}
        return Response(data, status=status.HTTP_412_PRECONDITION_FAILED)

    def finalize_response(self, request, response, *args, **kwargs):
        data = getattr(response, "data", None)
        if isinstance(data, dict) and isinstance(data.get("version"), int):
            response["ETag"] = f'"{data["version"]}"'
        return super().finalize_response(request, response, *args, **kwargs)


class SyncedWriteMixin(VersionedMixin):
    """What API.md asks of the writes of a synced resource with a service of its own.
    Idempotent create with a client-supplied `id`: the same create again answers the existing
    object (200), also when both copies arrive at the same moment; the id of an object with other
    content, or of one out of the caller's scope, is a 409 — a viewset says how a stored object
    compares with a request in `same_content(existing, sent)` (`sent`: the serializer's service
    keyword arguments). Optimistic concurrency as `VersionedMixin`, checked by the services.
    A service's `Conflict` (a locked call, an illegal state change) is a 409 with its message."""

    exists_message = gettext_lazy("An object with this id exists already.")
    differs_message = gettext_lazy("An object with this id exists already, with other content.")
    version_checked_by_service = True
    idempotent_create = True  # VersionedSchema documents the 200 of a repeated create

    def same_content(self, existing, sent) -> bool:
        raise NotImplementedError

    def handle_exception(self, exc):
        if isinstance(exc, Conflict):
            exc = ConflictError(exc.message)
        elif isinstance(exc, IntegrityError):  # a conflicting write at the same time
            exc = ConflictError(self.exists_message)
        return super().handle_exception(exc)

    def create(self, request, *args, **kwargs):
        client_id = request.data.get("id") if isinstance(request.data, dict) else None
        if client_id:
            try:
                client_id = uuid.UUID(str(client_id))
            except ValueError:
                client_id = None  # the serializer reports it
        if not client_id:
            return super().create(request, *args, **kwargs)
        model = self.get_queryset().model
        if not model.objects.filter(pk=client_id).exists():
            try:
                return super().create(request, *args, **kwargs)
            except (IntegrityError, Conflict, DjangoValidationError):
                # The same id stored by another request at the same moment (its insert won; this
                # one rolled back): answer as the repeated create below. Otherwise the error.
                if not model.objects.filter(pk=client_id).exists():
                    raise
        return self._repeated_create(request, client_id)

    def _repeated_create(self, request, client_id):
        """A create whose id is stored: 200 with the stored object when the content is the same,
        else 409 (also for an id out of the caller's scope, without naming it)."""
        existing = self.get_queryset().filter(pk=client_id).first()
        if existing is None:
            raise ConflictError(self.exists_message)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not self.same_content(existing, serializer.service_kwargs()):
            raise ConflictError(self.differs_message)
        return Response(self.get_serializer(existing).data, status=status.HTTP_200_OK)


# The sync (core.sync): one endpoint over every registered resource.


class HistoryPagination(Pagination):
    """The versions of one record, newest first: `{"results": [...], "next": url|null}`."""

    page_size = 50
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        return ("-history_id",)


class HistoryFieldSerializer(serializers.Serializer):
    field = serializers.CharField(source="name", help_text=gettext_lazy("The field's name."))
    label = serializers.CharField(
        help_text=gettext_lazy("The field's label, in the caller's language.")
    )
    old = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy(
            "The value before, as the pages show it (choices as labels, references as names); "
            "null: empty or, on creation, none."
        ),
    )
    new = serializers.CharField(allow_null=True, help_text=gettext_lazy("The value after."))


class HistoryEntrySerializer(serializers.Serializer):
    """One version of a record: when, who, through what, and what changed."""

    id = serializers.IntegerField(source="history_id")
    when = serializers.DateTimeField()
    who = serializers.SerializerMethodField(
        help_text=gettext_lazy("The author's name in the caller's language; null: unknown.")
    )
    who_id = serializers.SerializerMethodField()
    source = serializers.ChoiceField(
        choices=Source.choices,
        help_text=gettext_lazy("Through what: page, api, import, job, admin or shell."),
    )
    source_label = serializers.CharField(help_text=gettext_lazy("The source, translated."))
    created = serializers.BooleanField(help_text=gettext_lazy("The record's first version."))
    reason = serializers.CharField()
    changes = HistoryFieldSerializer(source="fields", many=True)

    def get_who(self, entry) -> str | None:
        return str(entry.who) if entry.who is not None else None

    def get_who_id(self, entry) -> int | None:
        return entry.who.pk if entry.who is not None else None


class HistoryMixin:
    """`GET <resource>/{id}/history/`: the record's versions, newest first (a version that
    changed no shown field is left out, so a page may hold fewer than `page_size`)."""

    history_options: dict = {}  # core.history.changes options (fields, m2m, empty)

    @extend_schema(
        responses=HistoryEntrySerializer(many=True),
        filters=False,
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description=gettext_lazy("Next page.")),
            OpenApiParameter(
                "page_size", OpenApiTypes.INT, description=gettext_lazy("Up to 200; default 50.")
            ),
        ],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=HistoryPagination)
    def history(self, request, pk=None):
        """Who changed the record, when, through what (page, api, import, job, admin, shell),
        from which value to which; scoped as the record (404 out of scope)."""
        record = self.get_object()
        model = type(record)
        versions = model.history.filter(**{model._meta.pk.attname: record.pk}).only("history_id")
        page = self.paginate_queryset(versions)
        ids = [version.history_id for version in page]
        entries = (
            record_changes(
                model, record.pk, history_ids=ids, limit=len(ids), **self.history_options
            )
            if ids
            else []
        )
        return self.get_paginated_response(HistoryEntrySerializer(entries, many=True).data)


class SyncChangeSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=gettext_lazy("The resource, e.g. `customers`, `calls`."))
    op = serializers.ChoiceField(["upsert", "delete"])
    data = serializers.DictField(
        required=False,
        help_text=gettext_lazy("`upsert`: the record as `GET /api/v1/<type>/<id>/` answers it."),
    )
    id = serializers.UUIDField(required=False, help_text=gettext_lazy("`delete`: the record's id."))


class SyncPageSerializer(serializers.Serializer):
    changes = SyncChangeSerializer(many=True)
    cursor = serializers.CharField(
        help_text=gettext_lazy("Send it back as `since` for what comes next.")
    )
    has_more = serializers.BooleanField(
        help_text=gettext_lazy("More changes are waiting: ask again now.")
    )


class SyncView(APIView):
    """Every change visible to the caller after `since`, oldest first (initial sync without it).

    A record deleted or no longer in the caller's scope arrives as `op: delete`."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.STR,
                description=gettext_lazy("The cursor of the previous answer."),
            ),
            OpenApiParameter(
                "types",
                OpenApiTypes.STR,
                description=gettext_lazy(
                    "Comma-separated resources (default: all), e.g. customers,calls."
                ),
            ),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description=gettext_lazy("Changes per page: default 500, at most 1000."),
            ),
        ],
        responses=SyncPageSerializer,
    )
    def get(self, request):
        params = request.query_params
        page = sync.sync_page(
            request=request,
            since=params.get("since"),
            types_param=params.get("types"),
            size=sync.page_size(params.get("page_size")),
        )
        return Response(page)


# The error shape of every endpoint (API.md): the domain errors of core.concurrency, Django's and
# DRF's, as {"detail", "errors"}; and the API's 404 for a path no route matches.


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = STALE_RECORD
    default_code = "stale"


def decision_comment(request) -> str:
    """The `comment` of a decision's body (approve, return, reject): "" when absent or not a
    string (a required comment is then the service's error)."""
    comment = request.data.get("comment", "") if isinstance(request.data, dict) else ""
    return comment if isinstance(comment, str) else ""


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
    elif isinstance(exc, Conflict):  # a service's refusal the view did not catch: 409
        exc = ConflictError(exc.message)
    elif isinstance(exc, Stale):  # without the view's current record (VersionedMixin adds it)
        exc = PreconditionFailed(exc.message)
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


def not_found(request, exception=None):
    """`handler404`: an API path no route matches (`/api/v1/users/abc/`) answers the error shape
    in JSON; pages answer the HTML 404."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "errors": {}}, status=404)
    return defaults.page_not_found(request, exception)
