"""Structured logs: one JSON object a line (production) or readable text (DEBUG), each record
carrying the id of the request, or of the Celery task, it belongs to.

The id lives in a context variable: `core.middleware.RequestIdMiddleware` sets it for a request,
the Celery signals below carry it into the tasks that request sends (a message header) and set it
again in the worker while the task runs. `RequestIdFilter` (on the handler, in settings.LOGGING)
copies it onto every record, so `grep <id>` follows one request from web into the worker."""

import contextvars
import logging
import re
import uuid

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
task_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "request_id"  # the Celery message header
# What an incoming id may be: a UUID, a proxy's hex id, "Root=1-5f84…" style ids; nothing that
# could split a log line or smuggle markup.
_SANE_ID = re.compile(r"[A-Za-z0-9._:=+-]{1,128}")


def new_request_id() -> str:
    return str(uuid.uuid4())


def clean_request_id(value) -> str:
    """`value` when it is a sane id (≤ 128 of letters, digits and `._:=+-`), else a new UUID."""
    if isinstance(value, str) and _SANE_ID.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (and `task` in a worker) to every record; `-` outside any request."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        task = task_var.get()
        if task and not getattr(record, "task", None):
            record.task = task
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line: timestamp (UTC, ISO 8601), level, logger, message, request_id,
    the record's `extra` fields and, on an error, the traceback. The `request` object Django
    attaches to its records is left out: it is not JSON and its repr holds the query string."""

    DROPPED = frozenset({"request", "server_time", "color_message"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault(
            "rename_fields", {"levelname": "level", "name": "logger", "exc_info": "traceback"}
        )
        kwargs.setdefault("json_ensure_ascii", False)  # Chinese stays readable
        super().__init__("{levelname}{name}{message}{request_id}", *args, style="{", **kwargs)

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        for key in self.DROPPED:
            log_data.pop(key, None)


TEXT_FORMAT = "{asctime} {levelname:<7} [{request_id}] {name}: {message}"


def logging_config(log_format: str = "json", level: str = "INFO") -> dict:
    """The LOGGING dict of settings (and of gunicorn, config/gunicorn.py): everything — Django,
    our apps, Celery, gunicorn — goes to the root logger's one stderr handler and formatter."""
    if log_format not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    formatter = (
        {"()": "core.logging.JsonFormatter"}
        if log_format == "json"
        else {"format": TEXT_FORMAT, "style": "{"}
    )
    through_root = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "default",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (console when DEBUG, mail_admins) give way to ours.
            "django": {**through_root, "level": "INFO"},
            # runserver's request lines: our access log (core.middleware) says the same.
            "django.server": {**through_root, "level": "WARNING"},
            "gunicorn.error": {**through_root, "level": "INFO"},
            # Off: the product's access line (core.middleware) says more, with the request id.
            # (gunicorn writes it whenever it is given a logging config, whatever --access-logfile.)
            "gunicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            "celery": {**through_root, "level": level},
        },
    }


# Celery: the request id travels in a message header and comes back as the worker's context.


def _before_task_publish(sender=None, headers=None, **kwargs):
    request_id = request_id_var.get()
    if request_id and headers is not None and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id


def _task_prerun(sender=None, task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    incoming = request.get(TASK_HEADER) if request is not None else None
    # A task sent by a request (or by another task) keeps that id; one sent by beat gets its own
    # task id; an eager task (tests, the quick start) runs inside its sender's context.
    request_id = clean_request_id(incoming) if incoming else request_id_var.get() or task_id or "-"
    from .history import Source, enter_source  # a task's writes are the job's (see core.history)

    tokens = (
        request_id_var.set(request_id),
        task_var.set(getattr(task, "name", None)),
        enter_source(Source.JOB),
    )
    if request is not None:
        request._log_context_tokens = tokens


def _task_postrun(sender=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    tokens = getattr(request, "_log_context_tokens", None)
    if tokens:
        from .history import exit_source

        request_id_var.reset(tokens[0])
        task_var.reset(tokens[1])
        exit_source(tokens[2])
        request._log_context_tokens = None


def _setup_celery_logging(**kwargs):
    """Celery leaves the logging to us (a receiver of `setup_logging`): Django's LOGGING."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


def connect_celery_signals():
    from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

    before_task_publish.connect(_before_task_publish, weak=False, dispatch_uid="core.request_id")
    task_prerun.connect(_task_prerun, weak=False, dispatch_uid="core.request_id")
    task_postrun.connect(_task_postrun, weak=False, dispatch_uid="core.request_id")
    setup_logging.connect(_setup_celery_logging, weak=False, dispatch_uid="core.logging")
