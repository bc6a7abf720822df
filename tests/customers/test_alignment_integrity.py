"""A customer is aligned to a territory at most once on any day, even when writers race: the
alignments service locks the customer before its check, and on PostgreSQL the schema refuses an
overlap (exclusion constraint `alignment_no_overlap`) written past any check — a clean 400 with
the error shape, never a 500; the admin checks it too (a form error). Periods are inclusive:
one ending on the 31st and one starting on the 1st do not overlap."""

import datetime
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from customers.models import Alignment
from tests.concurrency import WRITERS, at_once, postgres_only, send_at_once

pytestmark = pytest.mark.django_db
D = datetime.date
URL = "/api/v1/alignments/"
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


@postgres_only
def test_an_overlap_committed_after_the_check_answers_400_not_500(world, api, monkeypatch):
    """Another writer (one that does not take the customer's lock, e.g. a script) commits an
    overlapping alignment between this request's check and its insert: the schema refuses the
    insert and the request answers the overlap, not a 500."""
    save = Alignment.save

    def other_writer():
        Alignment.objects.bulk_create(
            [Alignment(customer=world.cx, territory=world.ty, valid_from=D(2026, 1, 1))]
        )

    def save_after_another_writer(self, *args, **kwargs):
        monkeypatch.setattr(Alignment, "save", save)
        assert at_once(other_writer) == []
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Alignment, "save", save_after_another_writer)

    response = api(world.admin).post(
        URL,
        {"customer": str(world.cx.pk), "territory": str(world.ty.pk), "valid_from": "2026-06-01"},
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert response.json()["detail"]
    assert response.json()["errors"] == {"valid_from": [OVERLAP]}
    assert list(aligned(world).values_list("valid_from", flat=True)) == [D(2026, 1, 1)]


def test_the_admin_refuses_an_overlap_with_a_form_error_and_accepts_an_adjacent_period(
    world, world_admin_client
):
    Alignment.objects.create(
        customer=world.cx, territory=world.ty, valid_from=D(2026, 1, 1), valid_to=D(2026, 3, 31)
    )
    url = reverse("admin:customers_alignment_add")
    body = {"customer": world.cx.pk, "territory": world.ty.pk, "valid_to": ""}

    refused = world_admin_client.post(url, body | {"valid_from": "2026-03-31"})
    accepted = world_admin_client.post(url, body | {"valid_from": "2026-04-01"})

    assert refused.status_code == 200
    assert OVERLAP in refused.content.decode()
    assert accepted.status_code == 302
    assert list(aligned(world).order_by("valid_from").values_list("valid_from", "valid_to")) == [
        (D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), None),
    ]
