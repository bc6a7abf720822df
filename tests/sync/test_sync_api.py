"""`GET /api/v1/sync/`: the initial sync, incremental changes, deletes and scope changes."""

import datetime

import pytest
from django.utils import timezone

from calls import services as call_services
from core.models import ChangeLog
from customers import services as customer_services
from customers.models import Alignment, Customer
from org import services as org_services
from tests.factories import CustomerFactory
from tests.sync.conftest import apply, sync_all

pytestmark = pytest.mark.django_db


def ids(changes, type_, op="upsert"):
    return {
        (c["data"]["id"] if op == "upsert" else c["id"])
        for c in changes
        if c["type"] == type_ and c["op"] == op
    }


def test_the_initial_sync_sends_everything_in_scope_as_the_api_shows_it(cw, api):
    client = api(cw.rep_x)

    changes, cursor = sync_all(client)

    assert ids(changes, "customers") == {str(cw.cx.pk), str(cw.cx2.pk)}
    assert ids(changes, "institutions") == {str(cw.hx.pk)}
    assert ids(changes, "territories") == {str(cw.tx.pk)}
    customer = next(c["data"] for c in changes if c["data"]["id"] == str(cw.cx.pk))
    assert customer == client.get(f"/api/v1/customers/{cw.cx.pk}/").json()
    assert cursor


def test_the_initial_sync_pages_without_losing_or_repeating(cw, api):
    for _ in range(7):
        CustomerFactory(institution=cw.hx, territory=cw.tx)
    client = api(cw.rep_x)

    paged, _cursor = sync_all(client, types="customers", page_size=2)
    whole, _cursor = sync_all(client, types="customers")

    assert len(ids(paged, "customers")) == 9
    assert apply({}, paged) == apply({}, whole)


def test_an_incremental_sync_sends_what_changed_once_in_its_latest_state(cw, api):
    client = api(cw.rep_x)
    _changes, cursor = sync_all(client)

    customer_services.customer_update(by=cw.rep_x, customer=cw.cx, title="主任")
    customer_services.customer_update(by=cw.rep_x, customer=cw.cx, title="副主任")
    call = call_services.call_create(by=cw.rep_x, customers=[cw.cx])
    customer_services.customer_update(by=cw.rep_y, customer=cw.cy, title="主任")  # not rep_x's
    changes, cursor = sync_all(client, since=cursor)

    upserts = [c for c in changes if c["op"] == "upsert"]
    assert [(c["type"], c["data"]["id"]) for c in upserts] == [
        ("customers", str(cw.cx.pk)),
        ("calls", str(call.pk)),
    ]
    assert upserts[0]["data"]["title"] == "副主任"
    assert changes == upserts  # rep_y's work is neither sent nor hinted at as a delete
    # and nothing more after that
    assert sync_all(client, since=cursor)[0] == []


def test_a_deleted_record_arrives_as_a_delete(cw, api):
    client = api(cw.rep_x)
    _changes, cursor = sync_all(client, types="customers,alignments")
    alignment = Alignment.objects.get(customer=cw.cx2)

    Customer.objects.get(pk=cw.cx2.pk).delete()
    changes, _cursor = sync_all(client, since=cursor, types="customers,alignments")

    assert ids(changes, "customers", "delete") == {str(cw.cx2.pk)}
    assert ids(changes, "alignments", "delete") == {str(alignment.pk)}


def test_a_realigned_customer_leaves_one_rep_and_reaches_the_other(cw, api):
    rep_x, rep_y = api(cw.rep_x), api(cw.rep_y)
    state_x = apply({}, (start_x := sync_all(rep_x))[0])
    state_y = apply({}, (start_y := sync_all(rep_y))[0])
    assert ("customers", str(cw.cx2.pk)) in state_x

    alignment = Alignment.objects.get(customer=cw.cx2)
    customer_services.alignment_save(alignment=alignment, territory=cw.ty)

    apply(state_x, sync_all(rep_x, since=start_x[1])[0])
    apply(state_y, sync_all(rep_y, since=start_y[1])[0])
    assert ("customers", str(cw.cx2.pk)) not in state_x
    assert ("alignments", str(alignment.pk)) not in state_x
    assert ("customers", str(cw.cx2.pk)) in state_y
    assert state_y[("alignments", str(alignment.pk))]["territory"] == str(cw.ty.pk)
    assert ("institutions", str(cw.hx.pk)) in state_y  # cx2 works at hx
    assert ("institutions", str(cw.hx.pk)) in state_x  # cx still does too


def test_a_territory_handed_to_another_rep_leaves_the_first(cw, api):
    call = call_services.call_create(by=cw.rep_x, customers=[cw.cx])
    old, new = api(cw.rep_x), api(cw.rep_x2)
    state_old = apply({}, (start_old := sync_all(old))[0])
    state_new = apply({}, (start_new := sync_all(new))[0])
    assert ("calls", str(call.pk)) in state_old
    assert not [key for key in state_new if key[0] in ("calls", "customers", "territories")]

    org_services.territory_assign_rep(territory=cw.tx, rep=cw.rep_x2, on=timezone.localdate())

    apply(state_old, sync_all(old, since=start_old[1])[0])
    apply(state_new, sync_all(new, since=start_new[1])[0])
    assert not [key for key in state_old if key[0] in ("calls", "customers", "territories")]
    assert ("calls", str(call.pk)) in state_new
    assert ("customers", str(cw.cx.pk)) in state_new
    assert ("territories", str(cw.tx.pk)) in state_new


def test_an_alignment_that_ended_yesterday_leaves_the_rep_after_the_nightly_job(cw, api):
    client = api(cw.rep_x)
    _changes, cursor = sync_all(client, types="customers")
    # the passing of time: cx2's alignment ended yesterday (no write tells the sync)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Alignment.objects.filter(customer=cw.cx2).update(
        valid_from=yesterday - datetime.timedelta(days=30), valid_to=yesterday
    )
    assert sync_all(client, since=cursor, types="customers")[0] == []

    assert customer_services.alignments_log_ended() == 1
    changes, _cursor = sync_all(client, since=cursor, types="customers")

    assert ids(changes, "customers", "delete") == {str(cw.cx2.pk)}


def test_a_client_that_syncs_incrementally_ends_with_the_servers_state(cw, api):
    client = api(cw.dm_x)
    state = apply({}, (result := sync_all(client, page_size=3))[0])
    cursor = result[1]
    for day in range(5):
        call_services.call_create(
            by=cw.rep_x, customers=[cw.cx], date=timezone.localdate() - datetime.timedelta(day)
        )
        customer_services.customer_update(by=cw.rep_x, customer=cw.cx2, title=f"T{day}")
        changes, cursor = sync_all(client, since=cursor, page_size=3)
        apply(state, changes)

    fresh = apply({}, sync_all(client)[0])
    assert state == fresh


@pytest.mark.parametrize(
    "params",
    [
        {"since": "not a cursor"},
        {"since": "eyJwIjoxfQ"},  # {"p":1}
        {"since": "W10"},  # []
        {"types": "customers,spaceships"},
        {"page_size": "many"},
    ],
)
def test_bad_parameters_answer_400_with_the_error_shape(world, api, params):
    response = api(world.rep_x).get("/api/v1/sync/", params)

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_a_cursor_of_other_types_answers_400(world, api):
    client = api(world.rep_x)
    cursor = client.get("/api/v1/sync/", {"types": "customers"}).json()["cursor"]

    response = client.get("/api/v1/sync/", {"types": "calls", "since": cursor})

    assert response.status_code == 400
    assert "since" in response.json()["errors"]


def test_a_huge_page_size_is_clamped(world, api):
    response = api(world.rep_x).get("/api/v1/sync/", {"page_size": 10**9})

    assert response.status_code == 200


def test_the_sync_needs_a_login(world, api):
    assert api(None).get("/api/v1/sync/").status_code == 401


def test_every_synced_save_and_delete_is_logged_in_its_transaction(world):
    before = ChangeLog.objects.count()
    customer = CustomerFactory(institution=world.hx, territory=world.tx)
    pk = customer.pk
    customer.delete()

    ops = list(ChangeLog.objects.filter(object_id=pk).order_by("id").values_list("op", flat=True))
    assert ops[0] == "upsert" and ops[-1] == "delete"
    assert ChangeLog.objects.count() > before
