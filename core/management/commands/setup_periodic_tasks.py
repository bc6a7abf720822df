"""Load the periodic jobs declared in settings.PERIODIC_JOBS into django-celery-beat.

Each entry: name -> {"task": "app.tasks.name", "crontab": {"minute": "0", "hour": "2", ...}}.
A job admins retimed in the admin keeps their timing; new jobs are added, none is deleted.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Create the periodic jobs declared in code in django-celery-beat (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for name, entry in settings.PERIODIC_JOBS.items():
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            crontab, _ = CrontabSchedule.objects.get_or_create(
                timezone=settings.TIME_ZONE, **entry["crontab"]
            )
            PeriodicTask.objects.create(name=name, task=entry["task"], crontab=crontab)
            created += 1
        self.stdout.write(
            f"Periodic jobs: {created} created, "
            f"{len(settings.PERIODIC_JOBS) - created} already there."
        )
