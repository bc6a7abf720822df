"""The migrations that add the integrity constraints first fix the data those would refuse:
overlapping alignments of one customer and territory are merged, of two overlapping holdings the
later one wins from its first day, and a territory's rep gets the open holding."""

import datetime
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from customers.models import Alignment
from org.models import Territory, TerritoryAssignment

D = datetime.date
BEFORE = [("org", "0006_changelog_scope_user"), ("customers", "0004_customer_pinyin_keys")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migrations_fix_the_data_before_adding_the_constraints():
    old = migrate(BEFORE)
    user = old.get_model("org", "User")
    first = user.objects.create(username="first", role="rep")
    second = user.objects.create(username="second", role="rep")
    region = old.get_model("org", "Region").objects.create(name="R", code="R")
    district = old.get_model("org", "District").objects.create(region=region, name="D", code="D")
    team = old.get_model("org", "Team").objects.create(name="T", code="T")
    territories = old.get_model("org", "Territory").objects
    held = territories.create(name="A", code="A", team=team, district=district, rep=second)
    other = territories.create(name="B", code="B", team=team, district=district, rep=second)
    holdings = old.get_model("org", "TerritoryAssignment").objects
    holdings.create(territory=held, rep=first, valid_from=D(2025, 1, 1))
    holdings.create(territory=held, rep=second, valid_from=D(2025, 7, 1))
    holdings.create(territory=other, rep=first, valid_from=D(2025, 1, 1))  # other.rep: second
    institution = old.get_model("customers", "Institution").objects.create(name="H")
    customer = old.get_model("customers", "Customer").objects.create(
        name="C", institution=institution
    )
    alignments = old.get_model("customers", "Alignment").objects
    for valid_from, valid_to in [
        (D(2025, 1, 1), D(2025, 6, 30)),
        (D(2025, 6, 1), D(2025, 12, 31)),  # overlaps the first: merged into it
        (D(2026, 1, 1), None),  # adjacent: kept
    ]:
        alignments.create(
            customer=customer, territory=held, valid_from=valid_from, valid_to=valid_to
        )

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert list(Alignment.objects.order_by("valid_from").values_list("valid_from", "valid_to")) == [
        (D(2025, 1, 1), D(2025, 12, 31)),
        (D(2026, 1, 1), None),
    ]
    assert list(
        TerritoryAssignment.objects.filter(territory_id=held.pk)
        .order_by("valid_from")
        .values_list("rep_id", "valid_from", "valid_to")
    ) == [(first.pk, D(2025, 1, 1), D(2025, 6, 30)), (second.pk, D(2025, 7, 1), None)]
    today = timezone.localdate()
    assert list(
        TerritoryAssignment.objects.filter(territory_id=other.pk)
        .order_by("valid_from")
        .values_list("rep_id", "valid_from", "valid_to")
    ) == [(first.pk, D(2025, 1, 1), today - timedelta(days=1)), (second.pk, today, None)]
    assert Territory.objects.get(pk=other.pk).rep_id == second.pk
