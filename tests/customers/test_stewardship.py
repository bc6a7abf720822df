"""Master data (issue 18): a customer a rep creates is pending and usable at once; a data steward
(admin) verifies it, merges it into an existing customer (everything pointing at it moves, the
merged-away one is deleted for the sync) or rejects it; a rep's change of a verified customer's
identity is a change request; the rep is told of the outcome."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from calls import services as call_services
from calls.models import Call
from core.concurrency import Conflict
from core.models import ChangeLog
from customers import services
from customers.models import (
    Alignment,
    ChangeRequest,
    ClassOverride,
    Customer,
    CustomerStatus,
    Measure,
)
from customers.services.stewardship import _relations
from notifications.models import Notification, Rule
from planning.models import PlanMonth, PlanTarget
from tests.concurrency import postgres_only, race
from tests.factories import ProductFactory
from tests.planning.factories import make_plan
from tests.queries import count_queries

pytestmark = pytest.mark.django_db
D = datetime.date
QUEUE = reverse("customers:steward")


def pending(world, name="王建国", **fields):
    """A customer rep_x creates in tx (a likely duplicate of cx by default)."""
    fields.setdefault("institution", world.hx)
    fields.setdefault("department", world.dx)
    return services.customer_create(by=world.rep_x, territory=world.tx, name=name, **fields)


def log_call(world, *customers):
    return call_services.call_create(by=world.rep_x, customers=list(customers))


def test_a_reps_customer_is_pending_and_used_at_once_an_admins_is_verified(world):
    customer = pending(world)
    call = log_call(world, customer)

    assert customer.status == CustomerStatus.PENDING
    assert customer.created_by == world.rep_x
    assert list(call.customers.all()) == [customer]
    by_admin = services.customer_create(
        by=world.admin, territory=world.tx, name="赵六", institution=world.hx
    )
    assert by_admin.status == CustomerStatus.VERIFIED


def test_status_in_the_api_is_read_only_and_filterable(world, api):
    client = api(world.rep_x)
    created = client.post(
        "/api/v1/customers/",
        {"name": "孙七", "institution": str(world.hx.pk), "status": "verified"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending"

    listed = client.get("/api/v1/customers/?status=pending").json()["results"]
    assert [row["name"] for row in listed] == ["孙七"]
    assert client.get("/api/v1/customers/?status=nonsense").status_code == 400


def test_verify_tells_the_rep_and_a_second_verify_is_a_conflict(
    world, django_capture_on_commit_callbacks
):
    customer = pending(world)

    with django_capture_on_commit_callbacks(execute=True):
        services.customer_verify(by=world.admin, customer=customer)

    customer.refresh_from_db()
    assert customer.status == CustomerStatus.VERIFIED
    note = Notification.objects.get(user=world.rep_x, kind=Rule.MASTER_DATA)
    assert customer.name in note.message
    with pytest.raises(Conflict):
        services.customer_verify(by=world.admin, customer=customer)
    with pytest.raises(PermissionDenied):
        services.customer_verify(by=world.dm_x, customer=customer)


def test_merge_moves_everything_and_deletes_the_duplicate(
    world, django_capture_on_commit_callbacks
):
    duplicate = pending(world, education="北京大学医学部")
    product = ProductFactory()
    world.tx.team.products.add(product)
    together = log_call(world, duplicate, world.cx)  # the same call: one attendance kept
    alone = log_call(world, duplicate)
    services.threshold_save(by=world.admin, product=product, potential_min=1, support_min=1)
    services.measure_save(
        by=world.admin, customer=duplicate, product=product, potential=5, support=5
    )
    services.override_create(
        by=world.admin, customer=duplicate, product=product, klass="B", reason="x"
    )
    plan = make_plan(world.rep_x, world.tx, targets=[(duplicate, 2), (world.cx, 1)])
    month = PlanMonth.objects.create(plan=plan, month="2026-11")
    month.focus.add(duplicate, world.cx)
    Alignment.objects.filter(customer=duplicate).update(valid_from=D(2025, 1, 1))
    alone_version, plan_version = alone.version, plan.version
    duplicate_id = duplicate.pk

    with django_capture_on_commit_callbacks(execute=True):
        kept = services.customer_merge(by=world.admin, customer=duplicate, into=world.cx)

    assert kept == world.cx and not Customer.objects.filter(pk=duplicate_id).exists()
    for model, field in _relations():  # nothing points at the old id, whatever the app
        assert not model._base_manager.filter(**{field.attname: duplicate_id}).exists(), model
    assert set(together.customers.all()) == {world.cx}
    assert list(alone.customers.all()) == [world.cx]
    assert Call.objects.get(pk=alone.pk).version > alone_version  # clients sync the call again
    # the overlapping alignments to tx collapse into one, widened to the earlier start
    periods = Alignment.objects.filter(customer=world.cx).values_list("valid_from", "valid_to")
    assert list(periods) == [(D(2025, 1, 1), None)]
    assert Measure.objects.get(product=product).customer == world.cx
    assert ClassOverride.objects.get(product=product).customer == world.cx
    targets = PlanTarget.objects.filter(plan=plan).values_list("customer", "calls_per_month")
    assert dict(targets) == {world.cx.pk: 1}  # the kept customer's target wins
    assert list(month.focus.all()) == [world.cx]
    plan.refresh_from_db()
    assert plan.version > plan_version
    world.cx.refresh_from_db()
    assert world.cx.education == "北京大学医学部"  # a fact the kept customer lacked
    assert world.cx.classes.filter(product=product, valid_to__isnull=True).get().klass == "B"
    # the delete goes to the territory that held the merged-away customer
    assert ChangeLog.objects.filter(
        model="customers.customer", object_id=duplicate_id, op="delete", scope_territory=world.tx.pk
    ).exists()
    history = Customer.history.filter(id=duplicate_id).latest("history_date")
    assert history.history_type == "-" and str(world.cx.pk) in history.history_change_reason
    note = Notification.objects.get(user=world.rep_x, kind=Rule.MASTER_DATA)
    assert world.cx.name in note.message


def test_merge_bad_input(world):
    customer = pending(world)
    with pytest.raises(ValidationError):
        services.customer_merge(by=world.admin, customer=customer, into=customer)
    with pytest.raises(PermissionDenied):
        services.customer_merge(by=world.rep_x, customer=customer, into=world.cx)
    services.customer_merge(by=world.admin, customer=customer, into=world.cx)
    with pytest.raises(Conflict):  # a second steward, a moment later
        services.customer_merge(by=world.admin, customer=customer, into=world.cx)


def test_reject_keeps_the_calls_without_the_customer(world, django_capture_on_commit_callbacks):
    customer = pending(world, name="假医生")
    call = log_call(world, customer, world.cx)

    with pytest.raises(ValidationError):
        services.customer_reject(by=world.admin, customer=customer, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_reject(by=world.admin, customer=customer, reason="不是本院医生")

    assert not Customer.objects.filter(name="假医生").exists()
    assert list(Call.objects.get(pk=call.pk).customers.all()) == [world.cx]
    assert "不是本院医生" in Notification.objects.get(user=world.rep_x).message
    with pytest.raises(Conflict):
        services.customer_reject(by=world.admin, customer=world.cx, reason="verified")


def test_a_focus_customer_is_merged_not_rejected(world):
    customer = pending(world, name="计划医生")
    make_plan(world.rep_x, world.tx, targets=[(customer, 2)])

    with pytest.raises(Conflict):
        services.customer_reject(by=world.admin, customer=customer, reason="x")
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_a_reps_identity_change_is_a_request_profile_facts_apply_at_once(
    world, django_capture_on_commit_callbacks
):
    saved = services.customer_update(
        by=world.rep_x, customer=world.cx, name="王建华", title="主任医师", attitude="positive"
    )

    world.cx.refresh_from_db()
    assert (world.cx.name, world.cx.title, world.cx.attitude) == ("王建国", "主任医师", "positive")
    request = saved.change_request
    assert (request.before, request.changes) == ({"name": "王建国"}, {"name": "王建华"})

    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_accept(by=world.admin, request=request)
    world.cx.refresh_from_db()
    assert world.cx.name == "王建华"
    assert Notification.objects.filter(user=world.rep_x, kind=Rule.MASTER_DATA).exists()
    with pytest.raises(Conflict):
        services.change_request_reject(by=world.admin, request=request, reason="late")


def test_a_pending_customer_and_an_admins_edit_change_at_once(world):
    customer = pending(world, name="钱八")
    services.customer_update(by=world.rep_x, customer=customer, name="钱九")
    services.customer_update(by=world.admin, customer=world.cx, name="王建华")

    customer.refresh_from_db()
    world.cx.refresh_from_db()
    assert (customer.name, world.cx.name) == ("钱九", "王建华")
    assert not ChangeRequest.objects.exists()


def test_the_api_actions_admin_only_with_clear_errors(world, api):
    customer = pending(world)
    url = f"/api/v1/customers/{customer.pk}/"

    assert api(world.rep_y).get(url).status_code == 404  # another territory's pending customer
    assert api(world.dm_x).post(url + "verify/").status_code == 403
    assert api(world.rep_x).post(url + "merge/", {"into": str(world.cx.pk)}).status_code == 403
    admin = api(world.admin)
    assert admin.post(url + "merge/", {"into": "not-a-uuid"}, format="json").status_code == 400
    assert admin.post(url + "merge/", {"into": str(customer.pk)}, format="json").status_code == 400
    assert admin.post(url + "reject/", {}, format="json").status_code == 400
    assert admin.post(url + "verify/", HTTP_IF_MATCH='"99"').status_code == 412
    verified = admin.post(url + "verify/")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    again = admin.post(url + "verify/")
    assert again.status_code == 409 and again.json()["detail"]
    assert admin.post(url + "reject/", {"reason": "x"}, format="json").status_code == 409

    merged = admin.post(url + "merge/", {"into": str(world.cx.pk)}, format="json")
    assert merged.status_code == 200 and merged.json()["id"] == str(world.cx.pk)
    assert admin.post(url + "verify/").status_code == 404


def test_the_queue_in_chinese(world, login):
    pending(world)
    services.customer_update(by=world.rep_y, customer=world.cy, name="李明明")
    world.admin.language = "zh-hans"
    world.admin.save()
    client = login(world.admin)

    page = client.get(QUEUE).content.decode()

    assert "主数据管理员" in page and "待核实客户" in page and "变更申请" in page
    assert f'value="{world.cx.pk}"' in page  # the likely original, to merge into
    assert "李明明" in page and "李明" in page  # before → after
    assert reverse("customers:steward") in client.get(reverse("settings")).content.decode()
    for i in range(3):
        pending(world, name=f"新客户{i}")
    assert count_queries(client, QUEUE) <= 12


def test_the_queue_is_for_admins_only(world, login):
    assert login(world.dm_x).get(QUEUE).status_code == 403
    customer = pending(world)
    verify = reverse("customers:steward_verify", args=[customer.pk])
    assert login(world.rep_x).post(verify).status_code == 403


def test_the_queue_actions(world, login):
    client = login(world.admin)
    merged, rejected, verified = (
        pending(world),
        pending(world, name="甲"),
        pending(world, name="乙"),
    )

    client.post(reverse("customers:steward_merge", args=[merged.pk]), {"into": world.cx.pk})
    refused = client.post(reverse("customers:steward_reject", args=[rejected.pk]), {"reason": ""})
    client.post(reverse("customers:steward_verify", args=[verified.pk]))
    twice = client.post(reverse("customers:steward_verify", args=[verified.pk]), follow=True)

    assert refused.status_code == 302 and Customer.objects.filter(pk=rejected.pk).exists()
    assert not Customer.objects.filter(pk=merged.pk).exists()
    assert Customer.objects.get(pk=verified.pk).status == CustomerStatus.VERIFIED
    assert "verified already" in twice.content.decode()


@postgres_only
def test_a_merge_and_a_reps_edit_at_once(world):
    duplicate = pending(world, name="王建国")
    edit = lambda: services.customer_update(by=world.rep_x, customer=duplicate, education="复旦")  # noqa: E731
    merge = lambda: services.customer_merge(by=world.admin, customer=duplicate, into=world.cx)  # noqa: E731

    results = race(edit, merge)

    assert not isinstance(results[1], Exception), results[1]
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    if isinstance(results[0], Exception):  # the merge went first: the rep is told, no 500
        assert isinstance(results[0], Conflict)
    else:  # the edit went first: the merge took the rep's new fact over
        assert Customer.objects.get(pk=world.cx.pk).education == "复旦"


@postgres_only
def test_two_stewards_at_once_one_wins(world):
    customer = pending(world)
    results = race(
        lambda: services.customer_merge(by=world.admin, customer=customer, into=world.cx),
        lambda: services.customer_reject(by=world.admin, customer=customer, reason="重复"),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), results
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_merge_collisions_the_kept_customers_measure_and_override_win(world):
    duplicate = pending(world)
    product = ProductFactory()
    for customer, klass, amount in ((world.cx, "A", 9), (duplicate, "D", 1)):
        services.measure_save(
            by=world.admin, customer=customer, product=product, potential=amount, support=amount
        )
        services.override_create(
            by=world.admin, customer=customer, product=product, klass=klass, reason="x"
        )

    services.customer_merge(by=world.admin, customer=duplicate, into=world.cx)

    assert list(Measure.objects.values_list("customer", "potential")) == [(world.cx.pk, 9)]
    assert list(ClassOverride.objects.values_list("customer", "klass")) == [(world.cx.pk, "A")]


def test_the_rep_sees_which_customers_wait_for_the_steward(world, login):
    customer = pending(world, name="孙七")
    client = login(world.rep_x)

    listed = client.get(reverse("customers:list")).content.decode()
    shown = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert listed.count("Pending verification") == 1  # 孙七, not 王建国
    assert "Pending verification" in shown and "you can log calls with them now" in shown


def test_the_steward_merges_into_any_customer_found_by_the_type_ahead(world, login):
    """The likely duplicates (same institution) are listed first; any other customer is found
    by the search box (the customers search) and merged into, in Chinese."""
    customer = pending(world)
    world.admin.language = "zh-hans"
    world.admin.save()
    client = login(world.admin)
    choices = reverse("customers:steward_choices")

    page = client.get(QUEUE).content.decode()
    found = client.get(choices, {"q": "李明"}).json()["results"]
    by_pinyin = client.get(choices, {"q": "liming"}).json()["results"]
    merged = client.post(
        reverse("customers:steward_merge", args=[customer.pk]),
        {"into": world.cy.pk},  # another institution's customer
        follow=True,
    ).content.decode()

    assert page.index(f'value="{world.cx.pk}"') < page.index("合并到其他客户")
    assert f'data-typeahead-select="{choices}"' in page and "js/typeahead_select.js" in page
    assert page.count(">合并</button>") == 1 and ">合并到搜索结果</button>" in page
    assert found == [{"id": str(world.cy.pk), "label": "李明 · 华山医院 · 心内科 · 主任医师"}]
    assert [row["id"] for row in by_pinyin] == [str(world.cy.pk)]
    assert client.get(choices, {"q": ""}).json() == {"results": []}
    assert "王建国 已合并到 李明。" in merged
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_the_merge_search_is_the_stewards_and_refuses_what_it_cannot_merge_into(world, login):
    customer = pending(world)
    choices = reverse("customers:steward_choices")
    merge = reverse("customers:steward_merge", args=[customer.pk])

    assert login(world.rep_x).get(choices, {"q": "王"}).status_code == 403
    client = login(world.admin)
    typed = client.post(merge, {"into": "李明 · 华山医院"}, follow=True).content.decode()
    itself = client.post(merge, {"into": customer.pk}, follow=True).content.decode()
    services.customer_erase(by=world.admin, customer=world.cy, reason="PIPL request 2026-11")
    erased = client.post(merge, {"into": world.cy.pk}, follow=True).content.decode()

    assert "Choose the customer to merge into." in typed
    assert "Choose another customer to merge into." in itself
    assert "Choose the customer to merge into." in erased
    assert Customer.objects.get(pk=customer.pk).status == CustomerStatus.PENDING
