"""One way to send a Celery task: `send()` now, or `send_on_commit()` once the write commits.

When the broker does not answer (Redis down), the task is not lost and the request does not
wait: it is recorded in the outbox (core.models.OutboxTask) and `sweep()` — the `sweep_outbox`
beat job, every minute — sends it when the broker is back. Delivery is at least once (a task
may run twice if a sweep dies between sending and marking): every task sent this way is an
idempotent recompute or a job that guards against running twice.

After a failed send the broker is taken as down for BROKER_RETRY_AFTER seconds in this process:
further sends go straight to the outbox instead of waiting for another connection attempt."""

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

BROKER_RETRY_AFTER = 30  # seconds a process skips the broker after a failed send
SWEEP_BATCH = 500
KEEP_SENT = timedelta(days=7)

_down_until = 0.0


def _publish(task_name, args, kwargs):
    """Send one task to the broker; raises when it does not answer. Results are not stored
    (nobody waits on them: jobs keep their progress in the database), so sending needs the
    broker only, not the result backend."""
    from celery import current_app

    options = {"ignore_result": True, "retry": False}
    task = current_app.tasks.get(task_name)
    if task is None:  # a task of another code base (not registered here): by name
        current_app.send_task(task_name, args=list(args), kwargs=dict(kwargs), **options)
    else:  # runs at once when CELERY_TASK_ALWAYS_EAGER (tests, the quick start)
        task.apply_async(args=list(args), kwargs=dict(kwargs), **options)


def _task_name(task):
    return task if isinstance(task, str) else task.name


def send(task, *args, **kwargs):
    """Send `task` (a Celery task or its name) with these arguments, or record it in the outbox
    when the broker is down. Returns True when it was sent. Arguments must be JSON values."""
    global _down_until
    name = _task_name(task)
    error = "broker marked down"
    if time.monotonic() >= _down_until:
        try:
            _publish(name, args, kwargs)
            return True
        except Exception as exc:  # any failure to reach the broker: keep the task
            _down_until = time.monotonic() + BROKER_RETRY_AFTER
            error = f"{type(exc).__name__}: {exc}"
            log.warning("broker unavailable, task %s kept in the outbox: %s", name, error)
    from .models import OutboxTask

    OutboxTask.objects.create(task=name, args=list(args), kwargs=dict(kwargs), last_error=error)
    return False


def send_on_commit(task, *args, **kwargs):
    """Send `task` once the current transaction commits (nothing when it rolls back)."""
    transaction.on_commit(lambda: send(task, *args, **kwargs), robust=True)


def reset():
    """Forget that the broker was down (tests; the sweep after a successful send)."""
    global _down_until
    _down_until = 0.0


def sweep(*, batch=SWEEP_BATCH):
    """Send the outbox's pending tasks, oldest first; stop at the first failed send (the broker
    is still down). Returns how many were sent. Sent rows are kept a week, then deleted."""
    from .models import OutboxTask

    sent = 0
    with transaction.atomic():
        rows = OutboxTask.objects.filter(sent_at__isnull=True).select_for_update(skip_locked=True)
        for row in rows[:batch]:
            try:
                _publish(row.task, row.args, row.kwargs)
            except Exception as exc:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"
                row.save(update_fields=["attempts", "last_error"])
                log.warning("outbox: broker still unavailable (%s)", row.last_error)
                break
            row.attempts += 1
            row.sent_at = timezone.now()
            row.save(update_fields=["attempts", "sent_at"])
            sent += 1
    if sent:
        reset()
    OutboxTask.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return sent
