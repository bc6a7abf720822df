from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.periods import parse
from reports import services


class Command(BaseCommand):
    help = (
        "Recompute coverage, frequency compliance, call rate and PIMs for every territory: "
        "this and last month and quarter, or --period 2026-10 / 2026-Q4."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", action="append", help="e.g. 2026-10 or 2026-Q4")

    def handle(self, *args, period=None, **options):
        try:
            periods = [parse(key) for key in period] if period else services.nightly_periods()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        for each in periods:
            rows = services.compliance_recompute(period=each)
            self.stdout.write(f"{each.key}: {rows} class rows")
