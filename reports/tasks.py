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
    from . import engine, services

    for period in services.nightly_periods():
        for batch in engine.district_batches():
            for district_id in batch:
                recompute_district.delay(period.key, str(district_id))
