"""Periods of one customer's alignment to one territory may not overlap, kept by the schema on
PostgreSQL (an exclusion constraint; `btree_gist` comes with org 0005).

Before the constraint, overlapping alignments of the same customer and territory (normally none:
the services never wrote them) are merged into the earliest one, which then runs until the
latest end of the merged ones: the customer stays aligned on exactly the same days."""

from django.contrib.postgres.fields.ranges import RangeBoundary
from django.db import migrations

import core.constraints


def merge_overlaps(apps, schema_editor):
    Alignment = apps.get_model("customers", "Alignment")
    previous = None
    for alignment in Alignment.objects.order_by(
        "customer_id", "territory_id", "valid_from", "created_at", "id"
    ):
        if (
            previous is not None
            and (previous.customer_id, previous.territory_id)
            == (alignment.customer_id, alignment.territory_id)
            and (previous.valid_to is None or previous.valid_to >= alignment.valid_from)
        ):
            if previous.valid_to is not None and (
                alignment.valid_to is None or alignment.valid_to > previous.valid_to
            ):
                previous.valid_to = alignment.valid_to
                previous.version += 1
                previous.save(update_fields=["valid_to", "version", "updated_at"])
            alignment.delete()
            continue
        previous = alignment
    if schema_editor.connection.vendor == "postgresql":
        # Check the deferred foreign keys now: ALTER TABLE refuses pending trigger events.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_customer_pinyin_keys"),
        ("org", "0007_assignment_one_holder_at_a_time"),
    ]

    operations = [
        migrations.RunPython(merge_overlaps, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="alignment",
            constraint=core.constraints.PostgresExclusionConstraint(
                expressions=[
                    ("customer", "="),
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
                name="alignment_no_overlap",
            ),
        ),
    ]
