"""Celery tasks of the reports: thin wrappers of services, taking plain values."""

from celery import shared_task


@shared_task(acks_late=True)
def recompute_district(period: str, district_id: str):
    from . import services
    from .periods import parse

    services.compliance_recompute_district(period=parse(period), district_id=district_id)


@shared_task
def recompute_nightly():
    """Fan out: one task per period and batch of districts, for the workers to share."""
    from core import outbox

    from . import engine, services

    for period in services.nightly_periods():
        for batch in engine.district_batches():
            for district_id in batch:
                outbox.send(recompute_district, period.key, str(district_id))


@shared_task(acks_late=True)
def recompute_territory(period: str, territory_id: str):
    """Refresh one territory's snapshots of a period (enqueued on commit of a change)."""
    from . import services
    from .periods import parse

    services.compliance_recompute_territory(period=parse(period), territory_id=territory_id)


@shared_task(acks_late=True)
def recompute_job_district(job_id: str, district_id: str):
    """One district of an admin's "recompute now" job."""
    from . import services

    services.recompute_job_district(job_id=job_id, district_id=district_id)
