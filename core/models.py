"""The outbox: Celery tasks that could not be sent to the broker when their write committed.

A write is saved even when the broker (Redis) is down; the jobs it triggers (a territory's
recompute, a reclassification, reminder e-mails…) are kept here and sent by the `sweep_outbox`
beat job once the broker answers again (core/outbox.py)."""

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
