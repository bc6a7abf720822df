"""Celery tasks of the segmentation: thin wrappers of services, taking ids."""

from celery import shared_task


@shared_task(acks_late=True)
def reclassify(job_id: str):
    from . import services

    services.reclassification_run(job_id=job_id)


@shared_task
def reclassify_all():
    from . import services

    services.reclassify_all()


@shared_task
def log_ended_alignments():
    from . import services

    services.alignments_log_ended()


@shared_task(acks_late=True)
def run_import(job_id: str):
    """An import of master data or measures (customers/services/bulk_import.py)."""
    from .services import bulk_import

    bulk_import.import_run(job_id=job_id)
