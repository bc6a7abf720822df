"""A healthcare professional's data on request (PIPL / GDPR): the export of everything held about
one person, and the erasure — personal data gone from every page, API, export, history and
notification, the calls and counts of the past kept, clients told by a sync delete."""

import io
import json
import threading

import pytest
from django.db import transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallAttendee, CallProduct
from core.concurrency import Conflict
from customers import services
from customers.models import Alignment, ClassHistory, ClassOverride, Customer, Erasure, Measure
from notifications.models import Notification, Rule
from planning import selectors as plan_selectors
from planning.models import PlanStatus, PlanVersion
from tests.calls.conftest import cw  # noqa: F401
from tests.calls.factories import make_call
from tests.concurrency import postgres_only
from tests.factories import TerritoryFactory, classify
from tests.planning.factories import make_plan
from tests.queries import count_queries
from tests.sync.conftest import apply, sync_all

NAMES = ("王建国", "Wang Jianguo")
REASON = "Written request of 2026-11-02 (ticket 4711)"


def _erase_api(api, user, customer, reason=REASON):
    return api(user).post(f"/api/v1/customers/{customer.pk}/erase/", {"reason": reason})


@pytest.fixture
def person(cw):  # noqa: F811
    """cx (王建国 / Wang Jianguo) with a profile, a class, a measure, two calls (one with cx2)
    whose text names him, a plan naming him (approved: a version keeps its content) and a
    notification naming him."""
    cx = cw.cx
    services.customer_update(
        by=cw.admin, customer=cx, research_topics="肺癌靶向治疗", best_time_to_visit="周四下午"
    )
    classify(cx, cw.px, "A")
    ClassOverride.objects.create(
        customer=cx, product=cw.py, klass="B", reason="王建国 moved to the new ward", author=cw.dm_x
    )
    Measure.objects.create(customer=cx, product=cw.px, potential=100, support=20)
    group = make_call(
        cw.tx,
        [cx, cw.cx2],
        products=[(cw.px, [cw.km1], "王建国 liked the data")],
        notes="王建国 asked for the trial; Wang Jianguo will try it on 3 patients",
    )
    group.notes += " — follow up"
    group.save()  # a second version in the call's history, naming him too
    make_call(cw.tx, [cx], products=[(cw.px, [], "Wang Jianguo: the dose is too high")])
    plan = make_plan(
        cw.rep_x,
        cw.tx,
        status=PlanStatus.APPROVED,
        targets=[(cx, 2), (cw.cx2, 1)],
        goals="Convert the oncology department",
    )
    plan.targets.filter(customer=cx).update(objective="王建国 to speak at the PIM")
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        snapshot=plan_selectors.snapshot(plan),
        approved_by=cw.dm_x,
        approved_at=timezone.now(),
    )
    Notification.objects.create(
        user=cw.rep_x, kind=Rule.MONTH_END, period="2026-11", message="Visit 王建国 (A) this week"
    )
    cw.group_call, cw.plan = group, plan
    return cw


# The export.


def test_an_admin_exports_everything_held_about_the_person(person, api):
    response = api(person.admin).get(f"/api/v1/customers/{person.cx.pk}/export/")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"][0]["name"] == "王建国"
    assert data["profile"][0]["research_topics"] == "肺癌靶向治疗"
    assert [c["klass"] for c in data["classes"]] == ["A"]
    assert [float(m["potential"]) for m in data["measures"]] == [100.0]
    assert [a["territory__code"] for a in data["alignments"]] == ["TX"]
    assert len(data["history"]["customer"]) >= 2  # created, then the profile changed
    calls = {c["id"]: c for c in data["calls"]}
    group = calls[str(person.group_call.pk)]
    assert group["notes"].startswith("王建国 asked")
    assert group["attendees"] == 2  # counted, not named: cx2 is another person
    assert group["products"][0]["feedback"] == "王建国 liked the data"
    assert group["products"][0]["key_messages"] == ["Longer progression-free survival"]
    assert "陈芳" not in response.content.decode()
    assert [t["calls_per_month"] for t in data["plans"]["targets"]] == [2]


def test_the_export_reads_set_based_whatever_the_number_of_calls(person, client):
    client.force_login(person.admin)
    url = reverse("customers:export", args=[person.cx.pk])

    def queries():
        with CaptureQueriesContext(transaction.get_connection()) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(3):
        make_call(person.tx, [person.cx], products=[(person.px, [person.km2], "ok")])
    assert queries() == before


def test_the_export_is_for_admins(person, api, client):
    url = f"/api/v1/customers/{person.cx.pk}/export/"
    assert api(person.rep_x).get(url).status_code == 403  # in scope, not an admin
    assert api(person.dm_x).get(url).status_code == 403
    assert api(person.rep_y).get(url).status_code == 404  # out of scope
    client.force_login(person.rep_x)
    assert client.get(reverse("customers:export", args=[person.cx.pk])).status_code == 403
    client.force_login(person.rep_y)
    assert client.get(reverse("customers:export", args=[person.cx.pk])).status_code == 404


# The erasure: bad input and scope.


@pytest.mark.parametrize(
    "reason, message",
    [
        ("", "This field may not be blank."),
        ("   ", "This field may not be blank."),
        ("Wang Jianguo asked by phone", "may not name the person"),
        ("王建国本人来电要求删除", "may not name the person"),
        ("x" * 301, "no more than 300"),
    ],
)
def test_an_erasure_needs_a_reason_that_names_nobody(person, api, reason, message):
    response = _erase_api(api, person.admin, person.cx, reason)

    assert response.status_code == 400
    assert message in response.json()["errors"]["reason"][0]
    person.cx.refresh_from_db()
    assert person.cx.name == "王建国" and person.cx.erased_at is None
    assert not Erasure.objects.exists()


def test_an_erasure_without_a_body_is_a_400(person, api):
    response = api(person.admin).post(f"/api/v1/customers/{person.cx.pk}/erase/")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


def test_erasing_twice_is_a_409(person, api):
    assert _erase_api(api, person.admin, person.cx).status_code == 200

    again = _erase_api(api, person.admin, person.cx)

    assert again.status_code == 409
    assert "erased" in again.json()["detail"]
    assert Erasure.objects.count() == 1


def test_only_admins_erase(person, api):
    assert _erase_api(api, person.rep_x, person.cx).status_code == 403
    assert _erase_api(api, person.dm_x, person.cx).status_code == 403
    assert _erase_api(api, person.regional, person.cx).status_code in (403, 404)
    assert _erase_api(api, person.rep_y, person.cx).status_code == 404
    assert _erase_api(api, person.admin, Customer(pk="0" * 32)).status_code == 404
    assert not Customer.objects.filter(erased_at__isnull=False).exists()


# The erasure: what is kept, what goes, and the completeness test.


def test_the_rows_past_compliance_rests_on_are_kept(person, api):
    attendances = CallAttendee.objects.filter(customer=person.cx).count()

    response = _erase_api(api, person.admin, person.cx)

    assert response.status_code == 200
    assert response.json()["reason"] == REASON
    cx = Customer._base_manager.get(pk=person.cx.pk)
    assert cx.erased_at is not None
    assert cx.name.startswith("已删除客户") and cx.name_en.startswith("Erased customer")
    assert (cx.kind, cx.institution_id, cx.department_id) == (
        person.cx.kind,
        person.hx.pk,
        person.dx.pk,
    )
    assert cx.research_topics == "" and cx.best_time_to_visit == "" and cx.title == ""
    assert CallAttendee.objects.filter(customer=cx).count() == attendances
    assert ClassHistory.objects.filter(customer=cx).count() == 1
    assert Measure.objects.filter(customer=cx).count() == 1
    assert person.plan.targets.filter(customer=cx).exists()
    # no longer a target from tomorrow: the alignment ends today
    assert list(Alignment.objects.filter(customer=cx).values_list("valid_to", flat=True)) == [
        timezone.localdate()
    ]
    erasure = Erasure.objects.get()
    assert (erasure.customer_id, erasure.erased_by, erasure.reason) == (
        cx.pk,
        person.admin,
        REASON,
    )
    # the rest of the call notes is the rep's record: kept, with the erased name
    notes = Call.objects.get(pk=person.group_call.pk).notes
    assert notes.startswith(f"{cx.name} asked for the trial; {cx.name_en} will try")


def _text(response):
    """A response's text; JSON decoded and written again without escapes; XLSX cells read."""
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content))
        return " ".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    if "json" in content_type:
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode("utf-8")


def _assert_nameless(text, where):
    for name in NAMES:
        assert name not in text, f"{name} still in {where}"


def test_after_the_erasure_the_name_appears_nowhere(person, api, client):
    sync = sync_all
    rep_sync = api(person.rep_x)
    state, cursor = sync(rep_sync)
    state = apply({}, state)
    assert ("customers", str(person.cx.pk)) in state
    group, plan = person.group_call, person.plan
    # the name is everywhere before (the test would see it)
    client.force_login(person.rep_x)
    assert "王建国" in client.get(reverse("calls:detail", args=[group.pk])).content.decode()

    assert _erase_api(api, person.admin, person.cx).status_code == 200

    # the rep's client: a delete of the customer, and nothing naming him
    changes, _ = sync(rep_sync, since=cursor)
    assert {"type": "customers", "op": "delete", "id": str(person.cx.pk)} in changes
    apply(state, changes)
    assert ("customers", str(person.cx.pk)) not in state
    _assert_nameless(json.dumps(list(state.values()), ensure_ascii=False), "the rep's data")
    _assert_nameless(json.dumps(sync(api(person.admin))[0], ensure_ascii=False), "admin sync")

    pages = {
        person.rep_x: [
            reverse("customers:list"),
            reverse("customers:list") + "?q=王建国",
            reverse("customers:list") + "?q=wangjianguo",
            reverse("calls:customer_search") + "?q=王建国",
            reverse("calls:list"),
            reverse("calls:detail", args=[group.pk]),
            reverse("planning:detail", args=[plan.pk]),
            reverse("notifications:list"),
            reverse("customers:institution_detail", args=[person.hx.pk]),
        ],
        person.dm_x: [
            reverse("customers:list"),
            reverse("customers:list") + "?export=csv",
            reverse("customers:list") + "?export=xlsx",
            reverse("calls:list"),
            reverse("calls:list") + "?export=csv",
            reverse("calls:list") + "?export=xlsx",
            reverse("planning:detail", args=[plan.pk]),
        ],
        person.admin: [
            reverse("customers:list"),
            reverse("customers:list") + "?q=Wang",
            reverse("customers:list") + "?export=xlsx",
            f"/admin/customers/customer/{person.cx.pk}/history/",
            "/admin/customers/customer/?q=王",
        ],
    }
    person.admin.is_staff = person.admin.is_superuser = True
    person.admin.save()
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user, url, response.status_code)
            # the query the user typed, echoed back ("no customer matches “王建国”")
            text = _text(response).replace('value="王建国"', "").replace("“王建国”", "")
            _assert_nameless(text, f"{url} as {user}")
    client.force_login(person.rep_x)
    assert client.get(reverse("customers:detail", args=[person.cx.pk])).status_code == 404

    for user in (person.rep_x, person.admin):
        for url in (
            "/api/v1/customers/",
            "/api/v1/customers/?q=王建国",
            "/api/v1/calls/",
            f"/api/v1/calls/{group.pk}/",
            f"/api/v1/plans/{plan.pk}/",
            "/api/v1/notifications/",
        ):
            response = api(user).get(url)
            assert response.status_code in (200, 404), (user, url)
            _assert_nameless(_text(response), f"API {url} as {user}")
    assert api(person.admin).get(f"/api/v1/customers/{person.cx.pk}/").status_code == 404

    # the history (django-simple-history) and what the approved plan keeps
    for model, rows in (
        (Customer, Customer.history.filter(id=person.cx.pk)),
        (ClassOverride, ClassOverride.history.filter(customer_id=person.cx.pk)),
        (Call, Call.history.filter(id=group.pk)),
        (CallProduct, CallProduct.history.filter(call_id=group.pk)),
        (PlanVersion, PlanVersion.objects.filter(plan=plan)),
        (Notification, Notification.objects.all()),
        (Erasure, Erasure.objects.all()),
    ):
        assert rows.exists(), model
        dump = json.dumps(list(rows.values()), ensure_ascii=False, default=str)
        _assert_nameless(dump, model._meta.label)


def test_another_person_of_the_same_name_keeps_their_mentions(person, api):
    """Free text is scrubbed where it is about the person (their calls and plans): a call of
    another customer mentioning the same name is left alone."""
    other_call = make_call(person.ty, [person.cy], notes="王建国 recommended us")

    _erase_api(api, person.admin, person.cx)

    assert Call.objects.get(pk=other_call.pk).notes == "王建国 recommended us"


def test_the_english_name_in_any_case_is_scrubbed_on_either_database(person, api):
    """Free text, history and JSON kept by the apps name the person as typed: "wang jianguo",
    "WANG JIANGUO" — every case goes (SQL's REPLACE alone is case-sensitive)."""
    call = make_call(
        person.tx,
        [person.cx],
        products=[(person.px, [], "WANG JIANGUO wants samples")],
        notes="met wang jianguo; Wang JianGuo (wAnG jIaNgUo) said: call Wang Jianguo's nurse",
    )
    call.notes += " — and wang jianguo again"
    call.save()  # a second version in the history
    Notification.objects.create(
        user=person.rep_x, kind=Rule.MONTH_END, period="2026-12", message="Visit WANG Jianguo"
    )
    PlanVersion.objects.create(
        plan=person.plan,
        number=2,
        snapshot={"targets": [{"objective": "invite wang jianguo to the PIM"}]},
        approved_by=person.dm_x,
        approved_at=timezone.now(),
    )

    assert _erase_api(api, person.admin, person.cx).status_code == 200

    erased = Customer._base_manager.get(pk=person.cx.pk).name_en
    notes = Call.objects.get(pk=call.pk).notes
    assert notes == (
        f"met {erased}; {erased} ({erased}) said: call {erased}'s nurse — and {erased} again"
    )
    assert CallProduct.objects.get(call=call).feedback == f"{erased} wants samples"
    for rows in (
        Call.history.filter(id=call.pk),
        CallProduct.history.filter(call_id=call.pk),
        Notification.objects.all(),
        PlanVersion.objects.filter(plan=person.plan),
    ):
        dump = json.dumps(list(rows.values()), ensure_ascii=False, default=str).casefold()
        assert "wang jianguo" not in dump, rows.model._meta.label
    assert Notification.objects.get(period="2026-12").message == f"Visit {erased}"


def test_the_scrub_escapes_what_the_name_holds(world):
    """A name with characters that mean something to a pattern (".", "(", "+", "\\") is
    replaced as written, and only where it is written."""
    from customers.privacy import scrub_json, scrub_text

    Notification.objects.create(
        user=world.rep_x,
        kind=Rule.MONTH_END,
        period="2026-11",
        message="see j.r. (o'neil)+ and J.R. (O'NEIL)+; not jxr (o'neil)+ nor \\1",
    )
    pairs = [("J.R. (O'Neil)+", "Erased customer 1A2B3C"), ("\\1", "x\\1&")]

    scrub_text(Notification.objects.all(), ("message",), pairs, synced=True)

    assert Notification.objects.get().message == (
        "see Erased customer 1A2B3C and Erased customer 1A2B3C; not jxr (o'neil)+ nor x\\1&"
    )
    assert scrub_json({"a": ["j.r. (o'neil)+!"]}, pairs) == {"a": ["Erased customer 1A2B3C!"]}


# The confirmation page.


def test_the_confirmation_page_in_chinese(person, client):
    person.admin.language = "zh-hans"
    person.admin.save()
    client.force_login(person.admin)
    url = reverse("customers:erase", args=[person.cx.pk])

    page = client.get(url)
    text = page.content.decode()
    assert "删除个人数据" in text
    assert "先导出个人数据" in text
    assert "客户姓名（确认用）" in text

    no_reason = client.post(url, {"reason": "", "confirm_name": "王建国"})
    assert "请填写删除原因" in no_reason.content.decode()

    wrong = client.post(url, {"reason": REASON, "confirm_name": "王建"})
    assert wrong.status_code == 200
    assert "这不是该客户的姓名" in wrong.content.decode()
    assert Customer.objects.filter(pk=person.cx.pk, erased_at__isnull=True).exists()

    done = client.post(url, {"reason": REASON, "confirm_name": "王建国"})
    assert done.status_code == 302 and done.url == reverse("customers:list")
    assert not Customer.objects.for_user(person.admin).filter(pk=person.cx.pk).exists()
    assert Customer._base_manager.get(pk=person.cx.pk).name.startswith("已删除客户")
    assert Erasure.objects.filter(customer=person.cx.pk).exists()


def test_the_page_offers_the_erasure_to_admins_only(person, client):
    url = reverse("customers:detail", args=[person.cx.pk])
    erase = reverse("customers:erase", args=[person.cx.pk])
    client.force_login(person.admin)
    assert erase in client.get(url).content.decode()
    client.force_login(person.rep_x)
    assert erase not in client.get(url).content.decode()
    assert client.get(erase).status_code == 403
    assert client.post(erase, {"reason": REASON, "confirm_name": "王建国"}).status_code == 403
    client.force_login(person.rep_y)
    assert client.get(erase).status_code == 404
    assert Customer.objects.filter(pk=person.cx.pk, erased_at__isnull=True).exists()


def test_the_confirmation_page_reads_a_fixed_number_of_queries(person, client):
    client.force_login(person.admin)
    url = reverse("customers:erase", args=[person.cx.pk])
    before = count_queries(client, url)
    for territory in (person.ty, TerritoryFactory(district=person.district_x)):
        Alignment.objects.create(customer=person.cx, territory=territory)
    make_call(person.tx, [person.cx])
    assert count_queries(client, url) == before


def test_the_reason_naming_the_person_goes_back_to_the_form(person, client):
    client.force_login(person.admin)
    response = client.post(
        reverse("customers:erase", args=[person.cx.pk]),
        {"reason": "Wang Jianguo phoned", "confirm_name": "Wang Jianguo"},
    )
    assert response.status_code == 200
    assert "may not name the person" in response.content.decode()
    assert not Erasure.objects.exists()


# Two writers at once (PostgreSQL).


@postgres_only
def test_an_edit_in_progress_is_erased_with_the_rest(world):
    """The editor holds the row when the erasure comes: the erasure waits, then anonymises the
    edited row. An edit that comes after the erasure is refused (409), never half-applied."""
    editing, erasing_done = threading.Event(), threading.Event()
    release = threading.Event()
    errors = []

    def edit():
        try:
            with transaction.atomic():
                services.customer_update(
                    by=world.rep_x, customer=world.cx, research_topics="心衰 (edited)"
                )
                editing.set()
                release.wait(10)
        except Exception as error:  # pragma: no cover - asserted below
            errors.append(error)
        finally:
            from django.db import connections

            connections.close_all()

    def erase():
        try:
            services.customer_erase(by=world.admin, customer=world.cx, reason=REASON)
        except Exception as error:  # pragma: no cover - asserted below
            errors.append(error)
        finally:
            erasing_done.set()
            from django.db import connections

            connections.close_all()

    editor = threading.Thread(target=edit)
    editor.start()
    assert editing.wait(10)
    eraser = threading.Thread(target=erase)
    eraser.start()
    assert not erasing_done.wait(0.5)  # waits for the editor's row lock
    release.set()
    editor.join(10)
    eraser.join(10)

    assert errors == []
    cx = Customer._base_manager.get(pk=world.cx.pk)
    assert cx.erased_at is not None and cx.research_topics == ""
    assert not Customer.history.filter(id=cx.pk, research_topics__contains="心衰").exists()
    with pytest.raises(Conflict):
        services.customer_update(by=world.rep_x, customer=cx, research_topics="again")
    assert Customer._base_manager.get(pk=cx.pk).research_topics == ""


@postgres_only
def test_two_erasures_at_once_make_one(world):
    from tests.concurrency import race

    results = race(
        lambda: services.customer_erase(by=world.admin, customer=world.cx, reason=REASON),
        lambda: services.customer_erase(by=world.admin, customer=world.cx, reason=REASON),
    )

    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Erasure"]
    assert Erasure.objects.count() == 1
    assert (
        Customer.history.filter(id=world.cx.pk)
        .values("name")
        .annotate(n=Count("history_id"))
        .filter(name="王建国")
        .count()
        == 0
    )
