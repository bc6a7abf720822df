"""A customer is aligned to a territory at most once on any day, even when writers race: the
alignments service locks the customer before its check, and on PostgreSQL the schema refuses an
overlap (exclusion constraint `alignment_no_overlap`) written past any check — a clean 400 with
the error shape, never a 500. Periods are inclusive: one ending on the 31st and one starting on
the 1st do not overlap."""

import datetime
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction

from customers.models import Alignment
from tests.calls.test_api_concurrency import postgres_only, send_at_once

pytestmark = pytest.mark.django_db
D = datetime.date
URL = "/api/v1/alignments/"
WRITERS = 4
OVERLAP = "The customer is already aligned to this territory in this period."

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL"
)


def aligned(world):
    return Alignment.objects.filter(customer=world.cx, territory=world.ty)


@postgres_only
@pytest.mark.parametrize("repeat", range(3))
def test_racing_overlapping_alignment_creates_store_one(world, api, repeat):
    clients = [api(world.admin) for _ in range(WRITERS)]
    bodies = [
        {
            "customer": str(world.cx.pk),
            "territory": str(world.ty.pk),
            "valid_from": f"2026-0{i + 1}-01",
        }
        for i in range(WRITERS)
    ]

    responses = send_at_once(
        [partial(c.post, URL, body, format="json") for c, body in zip(clients, bodies)]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [400] * (WRITERS - 1), [r.json() for r in responses]
    for loser in (r for r in responses if r.status_code == 400):
        assert loser.json()["detail"]
        assert loser.json()["errors"] == {"valid_from": [OVERLAP]}
    assert aligned(world).count() == 1


@needs_postgresql
def test_the_database_refuses_an_overlapping_alignment_and_accepts_an_adjacent_one(world):
    Alignment.objects.create(
        customer=world.cx, territory=world.ty, valid_from=D(2026, 1, 1), valid_to=D(2026, 3, 31)
    )

    Alignment.objects.create(customer=world.cx, territory=world.ty, valid_from=D(2026, 4, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Alignment.objects.create(  # shares 31 March (both ends count)
            customer=world.cx,
            territory=world.ty,
            valid_from=D(2025, 6, 1),
            valid_to=D(2026, 3, 31),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Alignment.objects.create(customer=world.cx, territory=world.ty, valid_from=D(2027, 1, 1))

    assert aligned(world).count() == 2


@needs_postgresql
def test_an_overlap_written_past_the_check_answers_400_not_500(world, api, monkeypatch):
    """As a writer whose check ran before the other's insert committed: the constraint fires."""
    Alignment.objects.create(customer=world.cx, territory=world.ty, valid_from=D(2026, 1, 1))
    monkeypatch.setattr(Alignment, "clean", lambda self: None)

    response = api(world.admin).post(
        URL,
        {"customer": str(world.cx.pk), "territory": str(world.ty.pk), "valid_from": "2026-06-01"},
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {"valid_from": [OVERLAP]}
    assert aligned(world).count() == 1


def test_adjacent_alignments_are_accepted_and_a_shared_day_is_refused(world, api):
    client = api(world.admin)

    def post(valid_from, valid_to=None):
        body = {"customer": str(world.cx.pk), "territory": str(world.ty.pk)}
        body |= {"valid_from": valid_from, "valid_to": valid_to}
        return client.post(URL, body, format="json")

    assert post("2026-01-01", "2026-03-31").status_code == 201
    assert post("2026-04-01").status_code == 201
    refused = post("2025-12-01", "2026-01-01")

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"valid_from": [OVERLAP]}
    assert aligned(world).count() == 2


def test_moving_an_alignment_onto_another_period_is_refused(world, api):
    first = Alignment.objects.create(
        customer=world.cx, territory=world.ty, valid_from=D(2026, 1, 1), valid_to=D(2026, 3, 31)
    )
    Alignment.objects.create(customer=world.cx, territory=world.ty, valid_from=D(2026, 4, 1))

    response = api(world.admin).patch(
        f"{URL}{first.pk}/", {"valid_to": "2026-04-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"valid_from": [OVERLAP]}
    first.refresh_from_db()
    assert first.valid_to == D(2026, 3, 31)
