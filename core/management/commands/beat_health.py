"""The health check of the beat container: beat has sent a periodic job lately.

django-celery-beat writes each job's `last_run_at` to the database (at least every 5 minutes);
with the outbox sweep due every minute, no job sent for `--max-age` seconds means beat is stuck
or gone. Exit status 0 when healthy, 1 otherwise (what `docker compose` health checks read)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask


class Command(BaseCommand):
    help = "Exit 0 when beat has sent a periodic job within --max-age seconds, else 1."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=600, help="seconds (default 600)")

    def handle(self, *args, max_age, **options):
        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
        if last is None or timezone.now() - last > timedelta(seconds=max_age):
            raise CommandError(f"beat has sent no periodic job since {last or 'ever'}")
        self.stdout.write(f"beat sent a periodic job at {last.isoformat()}")
