"""The company defaults of DOMAIN.md ("Coverage and frequency requirements"): admins edit them."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [  # class, monthly coverage, calls per month, quarterly coverage (None: as needed)
    ("A", "0.90", 4, "1.00"),
    ("B", "0.90", 4, "1.00"),
    ("C", "0.60", 1, "0.80"),
    ("D", "0.20", None, "0.60"),
    ("N1", "0.50", 1, "0.80"),
    ("N2", "0.50", 2, "0.80"),
    ("N3", None, None, None),
]


def add_defaults(apps, schema_editor):
    Requirement = apps.get_model("reports", "Requirement")
    for klass, monthly, calls, quarterly in DEFAULTS:
        Requirement.objects.get_or_create(
            team=None,
            klass=klass,
            defaults={
                "monthly_coverage": Decimal(monthly) if monthly else None,
                "calls_per_month": calls,
                "quarterly_coverage": Decimal(quarterly) if quarterly else None,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
