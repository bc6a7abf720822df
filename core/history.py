"""Who changed what, when: the versions of records (django-simple-history) as rows of changes —
(when, who, record, field, old → new) — for the history tables of the pages
(`templates/includes/history.html`).

`changes(records, ...)` reads the historical records of a queryset (one record or many) in a
fixed number of queries whatever their number: the users selected, each many-to-many field
(`HistoricalRecords(m2m_fields=...)`) in one query, the related names in one query per related
model. Each version is compared with the previous version of the same record, in memory.

The source of every version (`Source`: page, API, import, job, admin, shell) is the one home of
"through what": `HistoricalRecords` here is simple-history's with a `history_source` column on
every historical model, whose default is the source of the current context — set per request by
`core.middleware.HistorySourceMiddleware` (/api/ → API, /admin/ → admin, else page), per Celery
task (job, `core.logging`), by the imports (`with source(Source.IMPORT)`) and per management
command (`manage.py`: shell for the shells, else job). Outside of all of these: shell.
"""

import contextlib
import contextvars
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history import models as simple_history


class Source(models.TextChoices):
    PAGE = "page", gettext_lazy("page")
    API = "api", gettext_lazy("API")
    IMPORT = "import", gettext_lazy("import")
    JOB = "job", gettext_lazy("job")
    ADMIN = "admin", gettext_lazy("admin")
    SHELL = "shell", gettext_lazy("shell")


_source: contextvars.ContextVar[str | None] = contextvars.ContextVar("history_source", default=None)
_process_default = [Source.SHELL.value]


def current_source():
    """The source of the writes of the current context (the default of `history_source`)."""
    return _source.get() or _process_default[0]


def set_process_source(value):
    """The source of the writes of this process outside a request, task or import
    (manage.py: shell or job)."""
    _process_default[0] = Source(value).value


SHELL_COMMANDS = frozenset({"shell", "shell_plus", "dbshell"})


def source_of_command(argv):
    """The source of a process's writes outside requests and tasks, from its command line:
    `manage.py shell` → shell, any other `manage.py` command → job, anything else → shell."""
    if len(argv) < 2 or not argv[0].endswith("manage.py"):
        return Source.SHELL
    return Source.SHELL if argv[1] in SHELL_COMMANDS else Source.JOB


@contextlib.contextmanager
def source(value):
    """The writes inside are recorded as coming from `value` (the innermost source wins: an
    import run by a job is an import)."""
    token = _source.set(Source(value).value)
    try:
        yield
    finally:
        _source.reset(token)


def enter_source(value):
    """Set the source until `exit_source(token)` (a Celery task's prerun/postrun)."""
    return _source.set(Source(value).value)


def exit_source(token):
    _source.reset(token)


class SourceModel(models.Model):
    """The base of every historical model: through what the version was written."""

    history_source = models.CharField(
        gettext_lazy("source"),
        max_length=8,
        choices=Source.choices,
        default=current_source,
    )

    class Meta:
        abstract = True


class HistoricalRecords(simple_history.HistoricalRecords):
    """simple-history's, with the source of every version (`SourceModel`)."""

    def __init__(self, *args, bases=(), **kwargs):
        super().__init__(*args, bases=[*bases, SourceModel], **kwargs)


SKIPPED = frozenset({"id", "version", "created_at", "updated_at"})


class _Values(NamedTuple):
    label: str
    old: str | None
    new: str | None


class FieldChange(_Values):
    """One field of one version: (label, old, new) — its label (verbose_name, in the reader's
    language) and its old and new values as text (None: empty) — and its `name`."""

    def __new__(cls, label, old, new, name=""):
        self = super().__new__(cls, label, old, new)
        self.name = name
        return self


@dataclass
class Change:
    """One version of one record: `fields` are (label, old, new) of what changed, as text;
    `created` when it is the record's first version (old values are then None)."""

    when: datetime
    who: object
    record: str
    created: bool
    reason: str = ""
    source: str = ""
    source_label: str = ""
    history_id: int | None = None
    fields: list = field(default_factory=list)


def _source_label(value):
    return str(Source(value).label) if value in Source.values else value or ""


def _label(model_field):
    return str(model_field.verbose_name)


def _text(model_field, value, related):
    """A value as the page shows it."""
    if value is None or value == "":
        return None
    if isinstance(model_field, models.ForeignKey):
        return related.get((model_field.related_model, value), str(value))
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _names(model, pks):
    """{pk: display name} of `model`'s rows `pks` (one query)."""
    if not pks:
        return {}
    rows = model._base_manager.filter(pk__in=pks)
    return {row.pk: str(getattr(row, "display_name", None) or row) for row in rows}


def changes(
    records,
    *,
    fields=None,
    m2m=(),
    empty=None,
    label=None,
    limit=50,
):
    """The changes of the historical `records` (a queryset of `Model.history`), newest first,
    at most `limit` versions.

    `fields`: the model's field names compared (default: every editable field of the model but
    the bookkeeping ones); `m2m`: the many-to-many field names tracked by the history;
    `empty`: {field name: text of an empty value} (e.g. "every team"); `label`: a function of a
    historical record giving the record's name (default: its `display_name` or str).
    A version that changed none of the fields (a save without changes) is left out."""
    model = records.model.instance_type
    empty = empty or {}
    if fields is None:
        tracked = {f.name for f in records.model.tracked_fields}
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if f.editable and f.name not in SKIPPED and not f.primary_key and f.name in tracked
        ]
    model_fields = {name: model._meta.get_field(name) for name in fields}
    pk_name = model._meta.pk.attname
    # Every version of these records (the diff needs the one before the oldest shown).
    shown_ids = list(
        records.order_by("-history_date", "-history_id").values_list("history_id", flat=True)[
            :limit
        ]
    )
    if not shown_ids:
        return []
    objects = records.model.objects.filter(history_id__in=shown_ids).values_list(pk_name)
    versions = list(
        records.model.objects.filter(**{f"{pk_name}__in": objects})
        .select_related("history_user")
        .order_by(pk_name, "history_date", "history_id")
    )
    # The names of the related rows, one query per related model.
    wanted: dict = {}
    for model_field in model_fields.values():
        if isinstance(model_field, models.ForeignKey):
            wanted.setdefault(model_field.related_model, set()).update(
                getattr(v, model_field.attname) for v in versions
            )
    m2m_values = {}
    for name in m2m:
        m2m_field = model._meta.get_field(name)
        target = m2m_field.related_model
        column = m2m_field.m2m_reverse_field_name()
        # The rows of the many-to-many at each version (simple-history's m2m history model).
        m2m_model = getattr(records.model, name).model
        at_version: dict = {v.history_id: set() for v in versions}
        for history_id, pk in m2m_model.objects.filter(history_id__in=list(at_version)).values_list(
            "history_id", f"{column}_id"
        ):
            at_version[history_id].add(pk)
        for history_id, pks in at_version.items():
            m2m_values[(history_id, name)] = frozenset(pks)
        wanted.setdefault(target, set()).update(
            pk for (_hid, n), pks in m2m_values.items() if n == name for pk in pks
        )
    related = {}
    for related_model, pks in wanted.items():
        pks.discard(None)
        for pk, text in _names(related_model, pks).items():
            related[(related_model, pk)] = text

    def value(version, name):
        if name in m2m:
            target = model._meta.get_field(name).related_model
            pks = m2m_values[(version.history_id, name)]
            return ", ".join(sorted(related.get((target, pk), str(pk)) for pk in pks)) or None
        model_field = model_fields[name]
        return _text(model_field, getattr(version, model_field.attname), related)

    names = [*fields, *m2m]
    field_labels = {n: _label(model._meta.get_field(n)) for n in names}
    out = []
    previous = {}
    shown = set(shown_ids)
    for version in versions:
        pk = getattr(version, pk_name)
        before = previous.get(pk)
        previous[pk] = version
        if version.history_id not in shown:
            continue
        rows = []
        for name in names:
            new = value(version, name)
            old = value(before, name) if before is not None else None
            if before is not None and old == new:
                continue
            if before is None and new is None:
                continue
            rows.append(
                FieldChange(
                    field_labels[name],
                    old if old is not None else empty.get(name),
                    new if new is not None else empty.get(name),
                    name,
                )
            )
        if before is not None and not rows:
            continue
        if label is not None:
            record_label = label(version)
        else:
            instance = version.instance
            record_label = str(getattr(instance, "display_name", None) or instance)
        out.append(
            Change(
                when=version.history_date,
                who=version.history_user,
                record=record_label,
                created=before is None,
                reason=version.history_change_reason or "",
                source=getattr(version, "history_source", ""),
                source_label=_source_label(getattr(version, "history_source", "")),
                history_id=version.history_id,
                fields=rows,
            )
        )
    out.sort(key=lambda c: c.when, reverse=True)
    return out


def record_changes(model, pk, *, limit=50, history_ids=None, **options):
    """The changes of one record of `model` (newest first; see `changes` for `options`); only
    the versions `history_ids` when given (a page of the API)."""
    records = model.history.filter(**{model._meta.pk.attname: pk})
    if history_ids is not None:
        records = records.filter(history_id__in=list(history_ids))
    return changes(records, limit=limit, **options)
