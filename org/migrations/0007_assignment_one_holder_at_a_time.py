"""One holder of a territory at a time, kept by the schema: at most one open holding per
territory (every database) and no two holdings sharing a day (an exclusion constraint, on
PostgreSQL; `btree_gist` lets it compare the territory with `=`).

Before the constraints, the data is made to fit them (normally there is nothing to fix: the
handover service never wrote overlaps): of two overlapping holdings the later one wins from its
first day (the earlier one ends the day before, or goes when both start on the same day), and a
territory whose `rep` is not the holder of its open holding is handed to that `rep` from today
(the rep the app shows and scopes by), as the handover service would."""

from datetime import timedelta

from django.contrib.postgres.fields.ranges import RangeBoundary
from django.contrib.postgres import operations as postgres
from django.db import migrations, models
from django.utils import timezone

import core.constraints


class BtreeGistExtension(postgres.BtreeGistExtension):
    """Created on PostgreSQL (Django skips it elsewhere); left in place when migrating back
    (harmless, maybe used by others; Django's own reverse would also fail on SQLite)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def one_holder_at_a_time(apps, schema_editor):
    Territory = apps.get_model("org", "Territory")
    Assignment = apps.get_model("org", "TerritoryAssignment")
    previous = None
    for holding in Assignment.objects.order_by("territory_id", "valid_from", "id"):
        if (
            previous is not None
            and previous.territory_id == holding.territory_id
            and (previous.valid_to is None or previous.valid_to >= holding.valid_from)
        ):
            if previous.valid_from == holding.valid_from:
                previous.delete()
            else:
                previous.valid_to = holding.valid_from - timedelta(days=1)
                previous.save(update_fields=["valid_to"])
        previous = holding

    today = timezone.localdate()
    for territory in Territory.objects.all():
        holdings = Assignment.objects.filter(territory=territory)
        current = holdings.filter(valid_to__isnull=True).first()
        if territory.rep_id == (current.rep_id if current else None):
            continue
        if current is not None:
            if current.valid_from < today:
                current.valid_to = today - timedelta(days=1)
                current.save(update_fields=["valid_to"])
            else:
                current.delete()
        if territory.rep_id is not None:
            last = holdings.aggregate(last=models.Max("valid_to"))["last"]
            start = today if last is None or last < today else last + timedelta(days=1)
            Assignment.objects.create(
                territory=territory, rep_id=territory.rep_id, valid_from=start
            )
    if schema_editor.connection.vendor == "postgresql":
        # Check the deferred foreign keys now: ALTER TABLE refuses pending trigger events.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0006_changelog_scope_user"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(one_holder_at_a_time, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="territoryassignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("valid_to__isnull", True)),
                fields=("territory",),
                name="assignment_one_open_per_territory",
                violation_error_message="Another rep holds the territory in this period.",
            ),
        ),
        migrations.AddConstraint(
            model_name="territoryassignment",
            constraint=core.constraints.PostgresExclusionConstraint(
                expressions=[
                    ("territory", "="),
                    (
                        core.constraints.DateRange(
                            "valid_from",
                            "valid_to",
                            RangeBoundary(inclusive_lower=True, inclusive_upper=True),
                        ),
                        "&&",
                    ),
                ],
                name="assignment_no_overlap",
            ),
        ),
    ]
