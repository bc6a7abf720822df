from celery import shared_task

from . import services


@shared_task
def run_due_rules():
    """Every 15 minutes: each scheduled rule that is due runs (once per person and period)."""
    return [run.pk for run in services.rules_run_due()]


@shared_task
def run_rule(rule, started_by=None):
    run = services.rule_run(rule, started_by_id=started_by, force=True)
    return run.pk if run else None


@shared_task(autoretry_for=(Exception,), retry_backoff=30, max_retries=6)
def send_emails(run_id):
    """The e-mails of a run, after its commit; retried on failure without duplicates."""
    return services.emails_send(run_id)
