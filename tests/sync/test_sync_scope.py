"""A sync sends a delete only to callers who held the record: the ids of customers re-aligned,
territories handed over or records deleted elsewhere never reach another district or region."""

import json

import pytest
from django.utils import timezone

from calls import services as call_services
from customers import services as customer_services
from customers.models import Alignment, Customer
from org import services as org_services
from tests.factories import CustomerFactory, TerritoryFactory, UserFactory
from tests.sync.conftest import apply, sync_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(cw):
    """cw and: rep_x3 holding tx3, a second territory of district X (region EAST); outsider_rep
    (another region) with a customer of their own."""
    cw.rep_x3 = UserFactory(username="rep_x3")
    cw.tx3 = TerritoryFactory(district=cw.district_x, team=cw.tx.team, holder=cw.rep_x3)
    cw.co = CustomerFactory(territory=cw.outsider_rep.territories.get())
    return cw


def _start(api, *users):
    clients = {user.username: api(user) for user in users}
    return {name: (client, sync_all(client)) for name, client in clients.items()}


def _after(started, name):
    client, (changes, cursor) = started[name]
    return changes, sync_all(client, since=cursor)[0]


def _mentions(changes, pk):
    return str(pk) in json.dumps(changes)


def test_a_realigned_customer_is_deleted_for_the_rep_who_lost_it_only(two, api):
    w = two
    started = _start(api, w.rep_x, w.rep_x3, w.rep_y, w.dm_y, w.outsider_rep, w.admin, w.dm_x)
    alignment = Alignment.objects.get(customer=w.cx2)

    customer_services.alignment_save(alignment=alignment, territory=w.tx3)

    before, after = _after(started, "rep_x")
    state = apply(apply({}, before), after)
    assert ("customers", str(w.cx2.pk)) not in state
    assert {"type": "customers", "op": "delete", "id": str(w.cx2.pk)} in after
    before, after = _after(started, "rep_x3")
    assert ("customers", str(w.cx2.pk)) in apply(apply({}, before), after)
    for name in ("dm_x", "admin"):  # still in scope: the new version, no delete
        _before, after = _after(started, name)
        assert [c["op"] for c in after if _mentions(c, w.cx2.pk)] != []
        assert "delete" not in [c["op"] for c in after if c.get("id") == str(w.cx2.pk)]
    for name in ("rep_y", "dm_y", "outsider"):  # never had it: not even its id
        _before, after = _after(started, name)
        assert not _mentions(after, w.cx2.pk), name
        assert not _mentions(after, alignment.pk), name


def test_an_ended_alignment_tells_only_the_rep_who_had_the_customer(two, api):
    w = two
    started = _start(api, w.rep_x, w.rep_y, w.outsider_rep)
    yesterday = timezone.localdate() - timezone.timedelta(days=1)
    Alignment.objects.filter(customer=w.cx2).update(
        valid_from=yesterday - timezone.timedelta(days=30), valid_to=yesterday
    )
    customer_services.alignments_log_ended()

    assert {"type": "customers", "op": "delete", "id": str(w.cx2.pk)} in _after(started, "rep_x")[1]
    for name in ("rep_y", "outsider"):
        assert not _mentions(_after(started, name)[1], w.cx2.pk)


def test_a_territory_handed_over_is_deleted_for_the_old_rep_only(two, api):
    w = two
    call = call_services.call_create(by=w.rep_x, customers=[w.cx])
    started = _start(api, w.rep_x, w.rep_x3, w.dm_y, w.outsider_rep)

    org_services.territory_assign_rep(territory=w.tx, rep=w.rep_x2, on=timezone.localdate())

    after = _after(started, "rep_x")[1]
    assert {"type": "calls", "op": "delete", "id": str(call.pk)} in after
    assert {"type": "territories", "op": "delete", "id": str(w.tx.pk)} in after
    for name in ("rep_x3", "dm_y", "outsider"):
        after = _after(started, name)[1]
        for pk in (call.pk, w.tx.pk, w.cx.pk):
            assert not _mentions(after, pk), name


def test_a_deleted_customer_is_deleted_only_where_it_was(two, api):
    w = two
    started = _start(api, w.rep_x, w.rep_y, w.outsider_rep)

    Customer.objects.get(pk=w.co.pk).delete()

    assert {"type": "customers", "op": "delete", "id": str(w.co.pk)} in _after(started, "outsider")[
        1
    ]
    for name in ("rep_x", "rep_y"):
        assert not _mentions(_after(started, name)[1], w.co.pk), name


def test_a_new_dm_takes_the_district_from_the_old_one_only(two, api):
    w = two
    from org.models import Role

    new_dm = UserFactory(username="dm_new", role=Role.DM)
    started = _start(api, w.dm_x, w.rep_x3, w.dm_y, w.outsider_rep, new_dm)

    w.district_x.dm = new_dm
    w.district_x.save()

    old = apply(apply({}, _after(started, "dm_x")[0]), _after(started, "dm_x")[1])
    assert ("customers", str(w.cx.pk)) not in old and ("territories", str(w.tx.pk)) not in old
    new = apply(apply({}, _after(started, "dm_new")[0]), _after(started, "dm_new")[1])
    assert ("customers", str(w.cx.pk)) in new
    for name in ("rep_x3", "dm_y", "outsider"):  # rep_x3 keeps tx3; tx was never theirs
        after = _after(started, name)[1]
        assert not [c for c in after if c["op"] == "delete"], name
        assert not _mentions(after, w.cx.pk), name


def _sync_queries(client, cursor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/sync/", {"since": cursor, "types": "customers"})
    assert response.status_code == 200
    return len(queries), response.json()["changes"]


@pytest.mark.parametrize("persona", ["rep_x", "outsider_rep"])
def test_the_queries_of_a_page_of_deletes_do_not_grow_with_them(two, api, persona):
    w = two
    client = api(getattr(w, persona))
    counts = []
    for n in (2, 6):
        customers = [CustomerFactory(institution=w.hx, territory=w.tx) for _ in range(n)]
        cursor = sync_all(client, types="customers")[1]
        for customer in customers:
            customer_services.alignment_save(
                alignment=Alignment.objects.get(customer=customer), territory=w.tx3
            )
        count, changes = _sync_queries(client, cursor)
        deletes = {c["id"] for c in changes if c["op"] == "delete"}
        assert deletes == ({str(c.pk) for c in customers} if persona == "rep_x" else set())
        counts.append(count)
    assert counts[0] == counts[1]
