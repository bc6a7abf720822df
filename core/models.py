"""What every app shares: the synced records and their change log, the outbox, and the batch jobs
with their progress.

Synced records: a `SyncedModel` is what REST clients sync; every save and delete of one is logged
in `ChangeLog` (core/changelog.py), which the sync reads (core/sync.py).

The outbox: Celery tasks that could not be sent to the broker when their write committed. A write
is saved even when the broker (Redis) is down; the jobs it triggers (a territory's
recompute, a reclassification, reminder e-mails…) are kept here and sent by the `sweep_outbox`
beat job once the broker answers again (core/outbox.py)."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class BilingualName:
    """A thing with a Chinese and an English name (`name` and `name_en`, or the fields named by
    `bilingual_fields`): `display_name` gives the one of the active language, falling back to the
    other (core.text.localized)."""

    bilingual_fields = ("name", "name_en")

    @property
    def display_name(self):
        from .text import localized

        chinese, english = self.bilingual_fields
        return localized(getattr(self, chinese), getattr(self, english))

    def __str__(self):
        return self.display_name or ""

    def clean(self):
        """Where the Chinese name is optional (a catalogue item may have an English name only),
        one of the two names is required. Where it is required, its field says so already."""
        super().clean()
        chinese, english = self.bilingual_fields
        if self._meta.get_field(chinese).blank and not (
            (getattr(self, chinese) or "").strip() or (getattr(self, english) or "").strip()
        ):
            from django.core.exceptions import ValidationError
            from django.utils.translation import gettext as _

            raise ValidationError({chinese: _("Give a Chinese or an English name.")})


class SyncedModel(models.Model):
    """A record REST clients sync: a UUID id, a version (+1 on every save) and updated_at."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version = (self.version or 0) + 1
        super().save(*args, **kwargs)


class ChangeOp(models.TextChoices):
    UPSERT = "upsert", _("upsert")
    DELETE = "delete", _("delete")
    SCOPE = "scope", _("scope change")


class ChangeLog(models.Model):
    """One change of a synced record, in commit-safe order (core.changelog explains the cursor).

    `txid` is the writing transaction's id on PostgreSQL (`pg_current_xact_id()`), 0 on SQLite.
    The entry names the record only: the sync reads the record as it is when it answers.
    """

    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(_("transaction"), default=0)
    model = models.CharField(_("model"), max_length=64)
    object_id = models.UUIDField(_("object id"))
    op = models.CharField(_("operation"), max_length=8, choices=ChangeOp.choices)
    # Where the record was when it was deleted or its scope changed (the territory, district or
    # region it left or entered; null where unknown): only a caller who held that place is sent
    # the delete (core.changelog). Plain ids, not foreign keys: the place may be gone since.
    scope_territory = models.UUIDField(_("territory"), null=True, blank=True)
    scope_district = models.UUIDField(_("district"), null=True, blank=True)
    scope_region = models.UUIDField(_("region"), null=True, blank=True)
    # A user who held it (an absence's rep, a notification's reader); 0: nobody but admins.
    scope_user = models.BigIntegerField(_("user"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        # The table predates the model's move from org to core (a state-only move: the table,
        # its rows and its indexes are org's as they were).
        db_table = "org_changelog"
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        indexes = [
            models.Index(fields=["txid", "id"], name="changelog_position"),
            models.Index(fields=["created_at"], name="changelog_created"),
        ]

    def __str__(self):
        return f"{self.id} {self.model} {self.object_id} {self.op}"


class OutboxTask(models.Model):
    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(
        _("keyword arguments"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox task")
        verbose_name_plural = _("outbox tasks")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="core_outbox_pending")]

    def __str__(self):
        return self.task


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class BatchJob(models.Model):
    """A job that runs in batches, each in its own transaction: its state, who started it,
    when it finished, and `progress` (0..1; 1 once done).

    Its page shows it with templates/includes/job_progress.html, which static/js/job_progress.js
    keeps up to date from the job's status view: `JsonResponse(job.status_payload())`."""

    # The job's counters added to its status payload (e.g. ("rows",)): what its page reports.
    status_counters = ()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    batches = models.PositiveIntegerField(_("batches"), default=0)
    batches_done = models.PositiveIntegerField(_("batches done"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        "org.User",
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def progress(self):
        if self.status == JobStatus.DONE:
            return 1.0
        return self.batches_done / self.batches if self.batches else 0.0

    @property
    def finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self):
        """The progress as a whole percentage (0..100), for the progress bar."""
        return round(self.progress * 100)

    def status_payload(self):
        """{"status", "status_display", "progress" (0..1), and the counters} for the poller."""
        return {
            "status": self.status,
            "status_display": self.get_status_display(),
            "progress": self.progress,
            **{name: getattr(self, name) for name in self.status_counters},
        }
