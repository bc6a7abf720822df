"""The request id and the access log (first in MIDDLEWARE, so it sees every request and the
final status, a 500 included); the pages' handler of domain errors."""

import logging
import time

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.functional import empty
from django.utils.log import log_response

from .concurrency import Conflict, Stale
from .history import Source, source
from .logging import REQUEST_ID_HEADER, clean_request_id, request_id_var
from .net import client_ip, safe_referer

access_log = logging.getLogger("baifang.access")

# Probes that answer 200 every few seconds are not logged (a failing one is).
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


def _user_id(request):
    """The id of the user the request was made as, without loading a user nobody asked for."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


class RequestIdMiddleware:
    """Gives the request an id — the client's or proxy's `X-Request-ID` when it is sane (see
    core.logging.clean_request_id), else a new UUID — that every log record of the request and
    every task it sends carries; answers it in `X-Request-ID`; logs one access line at the end:
    method, path (without the query string, which may hold secrets), status, duration in ms,
    user id and client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if response.status_code >= 400:
                # Django logs a 4xx/5xx answered without an exception (django.request) after
                # the middleware, where the id is gone: log it here, with the id, as it would.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
            self.log(request, response, start)
            return response
        finally:
            request_id_var.reset(token)

    def log(self, request, response, start):
        if request.path in QUIET_PATHS and response.status_code < 400:
            return
        duration_ms = round((time.perf_counter() - start) * 1000, 1)
        access_log.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": _user_id(request),
                "ip": client_ip(request),
            },
        )


class DomainErrorMiddleware:
    """The pages' one handler for a domain error a view did not catch (the API's is
    core.api.exception_handler): a `Conflict` (the record's state forbids the change) or a
    `Stale` write (changed since it was read) is not a 500 but the page the user came from,
    read again, with the service's message on top. A view that can show the error beside its
    field (a form) still catches it itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Conflict | Stale) or request.path.startswith("/api/"):
            return None
        messages.error(request, exception.message)
        response = HttpResponseRedirect(safe_referer(request, "/"))
        response.status_code = 303  # the page is read again with GET
        return response


class HistorySourceMiddleware:
    """The source of the history versions a request writes (core.history): /api/ → API,
    /admin/ → admin, any other address → page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            value = Source.API
        elif request.path.startswith("/admin/"):
            value = Source.ADMIN
        else:
            value = Source.PAGE
        with source(value):
            return self.get_response(request)
