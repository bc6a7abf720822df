"""Celery tasks of core: thin wrappers."""

from celery import shared_task


@shared_task
def sweep_outbox():
    """Send the tasks kept in the outbox while the broker was down (every minute)."""
    from . import outbox

    return outbox.sweep()
