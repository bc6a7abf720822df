"""What every app shares: the outbox, and the batch jobs with their progress.

The outbox: Celery tasks that could not be sent to the broker when their write committed. A write
is saved even when the broker (Redis) is down; the jobs it triggers (a territory's
recompute, a reclassification, reminder e-mails…) are kept here and sent by the `sweep_outbox`
beat job once the broker answers again (core/outbox.py)."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


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
