"""Celery tasks of the reports: thin wrappers of services, taking plain values."""

from celery import shared_task


@shared_task(acks_late=True)
def recompute_district(period: str, district_id: str):
    """One district's snapshots of a period, outside any job (tasks sent by earlier versions)."""
    from core.periods import parse

    from . import services

    services.compliance_recompute_district(period=parse(period), district_id=district_id)


@shared_task
def recompute_nightly():
    """One recompute job per period (this and last month and quarter), one task per district
    for the workers to share; the sweep resumes a job whose tasks were lost."""
    from . import services

    services.recompute_nightly()


@shared_task(acks_late=True)
def recompute_territory(period: str, territory_id: str):
    """Refresh one territory's snapshots of a period (enqueued on commit of a change)."""
    from core.periods import parse

    from . import services

    services.compliance_recompute_territory(period=parse(period), territory_id=territory_id)


@shared_task(acks_late=True)
def recompute_job_district(job_id: str, district_id: str):
    """One district of an admin's "recompute now" job."""
    from . import services

    services.recompute_job_district(job_id=job_id, district_id=district_id)


@shared_task
def sweep_recompute_jobs():
    """Beat: send again the unfinished districts of recompute jobs that lost their workers."""
    from . import services

    services.recompute_jobs_sweep()
