"""The sync cursor never skips a change committed by a transaction that was still open when a
page was read (core.changelog): real concurrent writers on PostgreSQL, and the ordering rule
itself on any database."""

import random
import threading
import uuid

import pytest
from django.db import transaction

from core import changelog
from core.models import ChangeLog
from customers import services as customer_services
from customers.models import Customer
from tests.concurrency import in_thread, needs_postgres
from tests.factories import CustomerFactory
from tests.sync.conftest import apply, sync_all


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_younger_one_is_not_skipped(world, api):
    # given a rep who has synced
    client = api(world.rep_x)
    cx2 = CustomerFactory(institution=world.hx, territory=world.tx)
    state = apply({}, (result := sync_all(client))[0])
    cursor = result[1]
    a_wrote, a_may_commit = threading.Event(), threading.Event()

    def writer_a():
        with transaction.atomic():
            customer_services.customer_update(by=world.rep_x, customer=world.cx, title="A")
            a_wrote.set()
            assert a_may_commit.wait(30)

    # when A writes first but commits last, after B committed and the reader synced
    thread_a, errors_a = in_thread(writer_a)
    assert a_wrote.wait(30)
    customer_services.customer_update(by=world.rep_x, customer=cx2, title="B")  # B commits
    changes, cursor = sync_all(client, since=cursor)
    apply(state, changes)
    a_may_commit.set()
    thread_a.join(30)
    assert not errors_a
    changes, cursor = sync_all(client, since=cursor)
    apply(state, changes)

    # then the reader has both changes
    assert state[("customers", str(world.cx.pk))]["title"] == "A"
    assert state[("customers", str(cx2.pk))]["title"] == "B"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_an_incremental_reader_end_with_the_servers_state(world, api):
    customers = [CustomerFactory(institution=world.hx, territory=world.tx) for _ in range(6)]
    client = api(world.dm_x)
    state = apply({}, (result := sync_all(client))[0])
    cursor = result[1]
    done = threading.Event()

    def writer(seed):
        rng = random.Random(seed)
        for step in range(8):
            with transaction.atomic():
                customer = rng.choice(customers)
                customer_services.customer_update(
                    by=world.rep_x, customer=customer, title=f"w{seed}-{step}"
                )
                if rng.random() < 0.3:
                    CustomerFactory(institution=world.hx, territory=world.tx)
                done.wait(rng.random() * 0.05)  # hold the transaction open a little

    threads = [in_thread(lambda seed=seed: writer(seed)) for seed in range(4)]
    while any(thread.is_alive() for thread, _errors in threads):
        changes, cursor = sync_all(client, since=cursor, page_size=3)
        apply(state, changes)
    for thread, errors in threads:
        thread.join(30)
        assert not errors
    apply(state, sync_all(client, since=cursor)[0])

    assert state == apply({}, sync_all(client)[0])
    titles = {c.pk: c.title for c in Customer.objects.filter(pk__in=[c.pk for c in customers])}
    assert {pk: state[("customers", str(pk))]["title"] for pk in titles} == titles


@pytest.mark.django_db
def test_entries_are_read_in_transaction_order_below_the_horizon(monkeypatch):
    """B (transaction 101) commits before A (transaction 100, an older id): a reader in between
    gets nothing (A is still open: the horizon is 100); once A commits, A then B."""
    label = "customers.customer"
    a, b = uuid.uuid4(), uuid.uuid4()
    base = ChangeLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ChangeLog.objects.create(id=base + 2, txid=101, model=label, object_id=b, op="upsert")
    monkeypatch.setattr(changelog, "horizon", lambda using="default": (100, None))
    position = (99, changelog.MAX_ID)

    assert changelog.entries_after(position, models=[label], limit=10) == []

    ChangeLog.objects.create(id=base + 1, txid=100, model=label, object_id=a, op="upsert")
    monkeypatch.setattr(changelog, "horizon", lambda using="default": (102, None))
    entries = changelog.entries_after(position, models=[label], limit=10)

    assert [entry[3] for entry in entries] == [a, b]
