"""One holder of a territory at a time, and `Territory.rep` is always the holder of its open
holding: every write path (API, admin) hands over through the handover service, a change racing
a handover never writes back the rep it read before, and the schema refuses a second open
holding (every database) or two holdings sharing a day (PostgreSQL)."""

import datetime
import itertools
from datetime import timedelta
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from org.api import TerritorySerializer
from org.models import Territory, TerritoryAssignment
from org.services import territory_assign_rep
from tests.concurrency import postgres_only, send_at_once
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def assert_one_holder(territory):
    """The open holding (at most one) is the territory's rep's; no two holdings share a day."""
    territory.refresh_from_db()
    holdings = list(territory.assignments.order_by("valid_from"))
    open_holdings = [h for h in holdings if h.valid_to is None]
    assert len(open_holdings) <= 1
    assert territory.rep_id == (open_holdings[0].rep_id if open_holdings else None)
    for earlier, later in itertools.pairwise(holdings):
        assert earlier.valid_to is not None and earlier.valid_to < later.valid_from


def admin_form(territory, **changes):
    """The admin change form of `territory` as the browser posts it (with its holdings inline)."""
    holdings = list(territory.assignments.order_by("-valid_from")) if territory.pk else []
    data = {
        "name": territory.name,
        "code": territory.code,
        "team": territory.team_id,
        "district": territory.district_id,
        "rep": territory.rep_id or "",
        "assignments-TOTAL_FORMS": len(holdings),
        "assignments-INITIAL_FORMS": len(holdings),
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
    }
    for i, holding in enumerate(holdings):
        data[f"assignments-{i}-id"] = holding.pk
        data[f"assignments-{i}-territory"] = territory.pk
    return data | {name: "" if value is None else value for name, value in changes.items()}


def test_every_handover_path_keeps_the_rep_and_the_open_holding_in_line(
    world, api, world_admin_client
):
    client = api(world.admin)
    tx_url = f"/api/v1/territories/{world.tx.pk}/"
    change_url = reverse("admin:org_territory_change", args=[world.tx.pk])

    assert client.patch(tx_url, {"rep": str(world.rep_x2.pk)}, format="json").status_code == 200
    assert_one_holder(world.tx)
    assert (
        world_admin_client.post(change_url, admin_form(world.tx, rep=world.rep_x.pk)).status_code
        == 302
    )
    assert_one_holder(world.tx)
    assert world.tx.rep == world.rep_x
    assert world_admin_client.post(change_url, admin_form(world.tx, rep=None)).status_code == 302
    assert_one_holder(world.tx)
    assert world.tx.rep is None

    created = client.post(
        "/api/v1/territories/",
        {
            "name": "New",
            "code": "NEW1",
            "team": str(world.tx.team_id),
            "district": str(world.tx.district_id),
            "rep": str(world.rep_x.pk),
        },
        format="json",
    )
    assert created.status_code == 201
    assert_one_holder(Territory.objects.get(code="NEW1"))
    new = Territory(name="Newer", code="NEW2", team=TeamFactory(), district=world.tx.district)
    added = world_admin_client.post(
        reverse("admin:org_territory_add"), admin_form(new, rep=world.rep_x2.pk)
    )
    assert added.status_code == 302
    assert_one_holder(Territory.objects.get(code="NEW2"))
    assert Territory.objects.get(code="NEW2").rep == world.rep_x2


def test_a_change_racing_a_handover_does_not_write_back_the_old_rep(world, api, monkeypatch):
    """A rename read the territory (held by rep_x); a handover to rep_x2 commits before the
    rename writes: the rename keeps rep_x2."""
    validate = TerritorySerializer.validate

    def handover_meanwhile(self, attrs):
        territory_assign_rep(territory=world.tx, rep=world.rep_x2, on=timezone.localdate())
        return validate(self, attrs)

    monkeypatch.setattr(TerritorySerializer, "validate", handover_meanwhile)

    response = api(world.admin).patch(
        f"/api/v1/territories/{world.tx.pk}/", {"name": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["rep"] == world.rep_x2.pk
    assert_one_holder(world.tx)
    assert (world.tx.name, world.tx.rep) == ("Renamed", world.rep_x2)


@postgres_only
@pytest.mark.parametrize("repeat", range(3))
def test_racing_handovers_and_changes_of_one_territory_leave_one_holder(world, api, repeat):
    reps = [world.rep_x2, UserFactory(username="rep_x3")]
    url = f"/api/v1/territories/{world.tx.pk}/"
    bodies = [{"rep": reps[i % 2].pk} if i % 2 == 0 else {"name": f"T{i}"} for i in range(6)]
    bodies += [{"rep": reps[1].pk}, {"rep": reps[0].pk}]
    clients = [api(world.admin) for _ in bodies]

    responses = send_at_once(
        [partial(c.patch, url, body, format="json") for c, body in zip(clients, bodies)]
    )

    assert {r.status_code for r in responses} == {200}, [r.json() for r in responses]
    assert_one_holder(world.tx)
    assert world.tx.rep in reps


def test_the_database_refuses_a_second_open_holding(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        TerritoryAssignment.objects.create(
            territory=world.tx, rep=world.rep_x2, valid_from=D(2027, 1, 1)
        )

    assert_one_holder(world.tx)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL"
)
def test_the_database_refuses_holdings_sharing_a_day_and_accepts_adjacent_ones(world):
    TerritoryAssignment.objects.filter(territory=world.tx).update(valid_to=D(2025, 12, 31))

    with pytest.raises(IntegrityError), transaction.atomic():
        TerritoryAssignment.objects.create(
            territory=world.tx, rep=world.rep_x2, valid_from=D(2025, 3, 1), valid_to=D(2025, 4, 1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TerritoryAssignment.objects.create(
            territory=world.tx, rep=world.rep_x2, valid_from=D(2025, 12, 31)
        )
    TerritoryAssignment.objects.create(
        territory=world.tx, rep=world.rep_x2, valid_from=D(2026, 1, 1)
    )

    assert world.tx.assignments.count() == 2


def test_the_admin_shows_holdings_and_refuses_a_handover_before_the_current_holder(
    world, world_admin_client
):
    later = timezone.localdate() + timedelta(days=30)
    territory_assign_rep(territory=world.tx, rep=world.rep_x2, on=later)

    response = world_admin_client.post(
        reverse("admin:org_territory_change", args=[world.tx.pk]),
        admin_form(world.tx, rep=world.rep_y.pk),
    )

    assert response.status_code == 200
    assert "current holder starts after this date." in response.content.decode()
    assert_one_holder(world.tx)
    assert world.tx.rep == world.rep_x2
    assert world_admin_client.get(reverse("admin:org_territoryassignment_add")).status_code == 403
    holding = world.tx.assignments.first()
    url = reverse("admin:org_territoryassignment_change", args=[holding.pk])
    assert world_admin_client.post(url, {"valid_to": "2027-01-01"}).status_code == 403
