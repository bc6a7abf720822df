"""Change requests in the API (issue 18): a rep's change of a verified customer's identity
fields waits as a request; `change-requests/` lists them (admins: the open ones; a rep or DM:
the ones they asked, in their scope) with before → after per field, and admins accept or reject
them through the same services the steward's page uses."""

import pytest

from customers import services
from customers.models import ChangeRequest, Customer
from tests.concurrency import postgres_only, send_at_once
from tests.factories import CustomerFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-requests/"


def ask(world, rep=None, customer=None, **changes):
    """rep_x asks to change cx (by default): the open request."""
    saved = services.customer_update(
        by=rep or world.rep_x, customer=customer or world.cx, **(changes or {"name": "王建华"})
    )
    return saved.change_request


def test_an_admin_lists_the_open_requests_with_before_and_after(world, api):
    change = ask(world, name="王建华", department=None)
    other = ask(world, rep=world.rep_y, customer=world.cy, name="李明明")
    admin = api(world.admin)

    listed = admin.get(URL).json()

    assert [row["id"] for row in listed["results"]] == [change.pk, other.pk]
    assert listed["next"] is None
    row = listed["results"][0]
    assert (row["customer"], row["customer_name"], row["status"]) == (
        str(world.cx.pk),
        "王建国",
        "open",
    )
    lines = {line["field"]: line for line in row["changes"]}
    assert (lines["name"]["before"], lines["name"]["after"]) == ("王建国", "王建华")
    assert lines["department"]["before"] == str(world.dx.pk)
    assert lines["department"]["before_display"] == world.dx.display_name
    assert (lines["department"]["after"], lines["department"]["after_display"]) == (None, "—")
    detail = admin.get(f"{URL}{change.pk}/")
    assert detail.status_code == 200 and detail["ETag"] == '"1"'
    assert detail.json()["changes"] == row["changes"]
    by_customer = admin.get(URL, {"customer": str(world.cy.pk)}).json()["results"]
    assert [row["id"] for row in by_customer] == [other.pk]
    assert admin.get(URL, {"status": "nonsense"}).status_code == 400
    assert admin.get(URL, {"customer": "nonsense"}).status_code == 400


def test_the_list_reads_a_fixed_number_of_queries(world, api):
    admin = api(world.admin)
    ask(world, department=None)
    few = count_queries(admin, URL)
    for i in range(5):
        customer = CustomerFactory(
            name=f"客户{i}", institution=world.hx, department=world.dx, territory=world.tx
        )
        ask(world, customer=customer, name=f"新名{i}", department=None)

    assert count_queries(admin, URL) == few
    assert len(admin.get(URL).json()["results"]) == 6
    page = admin.get(URL, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    assert len(admin.get(page["next"]).json()["results"]) == 2


def test_a_rep_sees_the_requests_they_asked_in_their_scope(world, api):
    change = ask(world)
    theirs = api(world.rep_x)
    other = api(world.rep_y)

    assert [row["id"] for row in theirs.get(URL).json()["results"]] == [change.pk]
    assert theirs.get(f"{URL}{change.pk}/").status_code == 200
    assert other.get(URL).json()["results"] == []
    assert other.get(f"{URL}{change.pk}/").status_code == 404  # another territory's
    assert api(world.dm_x).get(f"{URL}{change.pk}/").status_code == 404  # not the DM's request
    assert other.get(f"{URL}nonsense/").status_code == 404


def test_decisions_are_the_admins_with_clear_errors_and_nothing_written(world, api):
    change = ask(world)
    url = f"{URL}{change.pk}/"

    assert api(world.rep_x).post(url + "accept/").status_code == 403  # their own request
    assert api(world.dm_x).post(url + "reject/", {"reason": "x"}).status_code == 404  # not theirs
    assert api(world.rep_y).post(url + "accept/").status_code == 404  # out of scope
    admin = api(world.admin)
    assert admin.post(f"{URL}999999/accept/").status_code == 404
    missing = admin.post(url + "reject/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    too_long = admin.post(url + "reject/", {"reason": "长" * 301}, format="json")
    assert too_long.status_code == 400
    stale = admin.post(url + "accept/", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412 and stale.json()["status"] == "open"
    world.cx.refresh_from_db()
    change.refresh_from_db()
    assert (world.cx.name, change.status) == ("王建国", "open")

    accepted = admin.post(url + "accept/", HTTP_IF_MATCH='"1"')

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_by"] == world.admin.pk
    world.cx.refresh_from_db()
    assert world.cx.name == "王建华"
    again = admin.post(url + "reject/", {"reason": "晚了"}, format="json")
    assert again.status_code == 409 and again.json()["detail"]
    assert admin.post(url + "accept/").status_code == 409
    assert admin.get(URL).json()["results"] == []  # no longer open
    decided = admin.get(URL, {"status": "accepted"}).json()["results"]
    assert [row["id"] for row in decided] == [change.pk]


def test_reject_keeps_the_customer_and_tells_why(world, api):
    change = ask(world)

    rejected = api(world.admin).post(
        f"{URL}{change.pk}/reject/", {"reason": "姓名无误"}, format="json"
    )

    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "姓名无误")
    world.cx.refresh_from_db()
    assert world.cx.name == "王建国"
    mine = api(world.rep_x).get(URL).json()["results"]
    assert [(row["id"], row["status"]) for row in mine] == [(change.pk, "rejected")]


def test_a_rep_adding_to_the_request_makes_the_stewards_copy_stale(world, api):
    change = ask(world)
    admin = api(world.admin)
    etag = admin.get(f"{URL}{change.pk}/")["ETag"]
    ask(world, kind="non_prescriber", role_group="N2")  # the rep adds to it meanwhile

    stale = admin.post(f"{URL}{change.pk}/accept/", HTTP_IF_MATCH=etag)

    assert stale.status_code == 412
    assert stale.json()["version"] == 2 and stale["ETag"] == '"2"'
    assert {line["field"] for line in stale.json()["changes"]} >= {"name", "kind"}
    world.cx.refresh_from_db()
    assert world.cx.name == "王建国"


def test_the_customer_merged_meanwhile_is_a_conflict(world, api, monkeypatch):
    from customers.api import ChangeRequestViewSet

    change = ask(world)
    other = services.customer_create(by=world.admin, name="王建国", institution=world.hx)
    read = ChangeRequestViewSet.get_object

    def read_then_merged(view):
        found = read(view)
        services.customer_merge(by=world.admin, customer=world.cx, into=other)
        return found

    monkeypatch.setattr(ChangeRequestViewSet, "get_object", read_then_merged)

    answer = api(world.admin).post(f"{URL}{change.pk}/accept/")

    assert answer.status_code == 409
    assert "merged or rejected meanwhile" in answer.json()["detail"]
    assert Customer.objects.get(pk=other.pk).name == "王建国"


def test_errors_and_labels_in_chinese(world, api):
    change = ask(world)
    world.admin.language = "zh-hans"
    world.admin.save()
    admin = api(world.admin)

    lines = admin.get(f"{URL}{change.pk}/").json()["changes"]
    missing = admin.post(f"{URL}{change.pk}/reject/", {}, format="json")
    admin.post(f"{URL}{change.pk}/accept/")
    again = admin.post(f"{URL}{change.pk}/accept/")

    assert lines[0]["label"] == "姓名"
    assert missing.json()["errors"]["reason"] == ["该字段是必填项。"]
    assert again.status_code == 409 and again.json()["detail"] == "该变更申请已被处理。"
    rep = api(world.rep_x)
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    assert rep.post(f"{URL}{change.pk}/accept/").json()["detail"] == "只有管理员可以执行此操作。"


@postgres_only
def test_two_stewards_at_once_one_wins(world, api):
    change = ask(world)
    url = f"{URL}{change.pk}/"
    first, second = api(world.admin), api(world.admin)

    answers = send_at_once(
        [
            lambda: first.post(url + "accept/"),
            lambda: second.post(url + "reject/", {"reason": "重复"}, format="json"),
        ]
    )

    assert sorted(answer.status_code for answer in answers) == [200, 409], answers
    change = ChangeRequest.objects.get(pk=change.pk)
    world.cx.refresh_from_db()
    assert (change.status == "accepted") == (world.cx.name == "王建华")
