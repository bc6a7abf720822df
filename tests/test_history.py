"""History of records (issue 18): the source of every version (page, API, import, job), the
History page of a customer, call, plan, alignment, threshold, requirement and user (who, when,
through what, old → new with names and labels, not ids), its API, scope and query counts."""

import datetime

import pytest
from celery import shared_task
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from calls.models import Call, CallStatus
from core.history import Source, current_source, record_changes, source_of_command
from core.middleware import HistorySourceMiddleware
from customers import services as customer_services
from customers.models import Alignment, Customer, CustomerKind, Measure, Threshold
from org.models import Role, User
from planning.models import Plan
from reports.models import Requirement
from tests.factories import InstitutionFactory, ProductFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def edit_data(world, customer, **overrides):
    data = {
        "name": customer.name,
        "name_en": customer.name_en,
        "kind": customer.kind,
        "role_group": customer.role_group,
        "institution": customer.institution_id,
        "department": customer.department_id or "",
        "title": customer.title,
    }
    data.update(overrides)
    return data


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


@shared_task
def retitle_customer(customer_id, user_id, title):
    """A job that changes a customer (run eagerly in the tests, as Celery runs it)."""
    customer = Customer.objects.get(pk=customer_id)
    by = User.objects.get(pk=user_id)
    customer_services.customer_update(by=by, customer=customer, title=title)


# The source of each write path.


def test_a_page_write_is_recorded_as_page(world, login):
    client = login(world.rep_x)

    response = client.post(
        reverse("customers:edit", args=[world.cx.pk]),
        edit_data(world, world.cx, title="副主任医师"),
    )

    assert response.status_code == 302
    version = latest(Customer, world.cx.pk)
    assert (version.title, version.history_source, version.history_user) == (
        "副主任医师",
        Source.PAGE,
        world.rep_x,
    )


def test_an_api_write_is_recorded_as_api(world, api):
    response = api(world.rep_x).patch(
        f"/api/v1/customers/{world.cx.pk}/", {"title": "副主任医师"}, format="json"
    )

    assert response.status_code == 200
    version = latest(Customer, world.cx.pk)
    assert (version.title, version.history_source, version.history_user) == (
        "副主任医师",
        Source.API,
        world.rep_x,
    )


def test_a_job_write_is_recorded_as_job(world):
    retitle_customer.delay(str(world.cx.pk), world.rep_x.pk, "副主任医师")

    version = latest(Customer, world.cx.pk)
    assert (version.title, version.history_source) == ("副主任医师", Source.JOB)


def test_an_import_is_recorded_as_import_whether_sent_by_page_or_api(world, login, api):
    product = ProductFactory(code="ONC1")
    customer_services.threshold_save(
        by=world.admin,
        product=product,
        potential_min=100,
        support_min=10,
        valid_from=datetime.date(2025, 1, 1),
        reason="",
    )

    def upload(potential):
        body = f"customer,product,potential,support\r\n{world.cx.pk},ONC1,{potential},20\r\n"
        return SimpleUploadedFile("m.csv", body.encode())

    page = login(world.admin).post(
        reverse("customers:measure_import"), {"file": upload(150), "mode": "import"}
    )
    through_api = api(world.admin).post(
        "/api/v1/measures/import/", {"file": upload(50), "dry_run": "false"}, format="multipart"
    )

    assert page.status_code == 302
    assert through_api.status_code in (200, 201), through_api.content
    sources = list(Measure.history.order_by("history_id").values_list("history_source", flat=True))
    assert sources == [Source.IMPORT, Source.IMPORT]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/customers/", Source.API),
        ("/admin/org/user/1/change/", Source.ADMIN),
        ("/customers/", Source.PAGE),
    ],
)
def test_a_request_writes_as_its_address_says_and_only_while_it_runs(rf, path, expected):
    seen = []
    middleware = HistorySourceMiddleware(lambda request: seen.append(current_source()))

    middleware(rf.get(path))

    assert seen == [expected]
    assert current_source() == Source.SHELL


def test_commands_write_as_jobs_and_shells_as_shells():
    assert source_of_command(["manage.py", "seed_demo"]) == Source.JOB
    assert source_of_command(["manage.py", "shell"]) == Source.SHELL
    assert source_of_command(["/usr/bin/gunicorn", "config.wsgi"]) == Source.SHELL


def test_a_login_writes_no_user_version_and_the_password_is_never_kept(world, client):
    before = world.rep_x.history.count()
    world.rep_x.set_password("pw-New-Secret-456")
    world.rep_x.save()

    response = client.post(reverse("login"), {"username": "rep_x", "password": "pw-New-Secret-456"})

    assert response.status_code == 302
    world.rep_x.refresh_from_db()
    assert world.rep_x.last_login is not None
    assert world.rep_x.history.count() == before + 1
    assert "password" not in {f.name for f in User.history.model._meta.get_fields()}


# The History page.


def test_the_customer_history_shows_who_when_source_and_names_not_ids(world, login, api):
    other = InstitutionFactory(name="华山医院北院", name_en="Huashan North")
    client = login(world.admin)
    client.post(
        reverse("customers:edit", args=[world.cx.pk]),
        edit_data(world, world.cx, institution=other.pk, department="", title="副主任医师"),
    )
    # The kind is an identity field: a rep's change of it waits for the data steward, an
    # admin's (here through the API) applies at once; a rep's title applies at once.
    api(world.admin).patch(
        f"/api/v1/customers/{world.cx.pk}/",
        {"kind": CustomerKind.NON_PRESCRIBER, "role_group": "N1"},
        format="json",
    )
    api(world.rep_x).patch(
        f"/api/v1/customers/{world.cx.pk}/", {"title": "主任医师"}, format="json"
    )

    detail = client.get(reverse("customers:detail", args=[world.cx.pk])).content.decode()
    url = reverse("customers:history", args=[world.cx.pk])
    page = client.get(url).content.decode()

    assert f'href="{url}"' in detail
    # Old → new: the institutions by name, the kind by its label; who; through what.
    assert "Renji Hospital" in page and "Huashan North" in page
    assert str(other.pk) not in page
    assert "Prescriber" in page and "Non-prescriber" in page
    assert ">API<" in page and ">page<" in page
    assert f">{world.rep_x.display_name}<" in page and f">{world.admin.display_name}<" in page
    assert ">Institution<" in page and ">Kind<" in page


def test_the_history_reads_chinese_labels_and_names_in_chinese(world, login):
    world.admin.language = "zh-hans"
    world.admin.save()
    client = login(world.admin)
    client.post(
        reverse("customers:edit", args=[world.cx.pk]),
        edit_data(world, world.cx, title="副主任医师"),
    )

    with translation.override("zh-hans"):
        page = client.get(
            reverse("customers:history", args=[world.cx.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()

    assert "<h1>历史" in page
    assert "修改人" in page and ">页面<" in page  # the author's column; the source, translated
    assert ">职称<" in page  # the field's verbose_name, translated
    assert "主任医师" in page and "副主任医师" in page


def test_another_territorys_record_history_is_404_on_page_and_api(world, login, api):
    assert (
        login(world.rep_y).get(reverse("customers:history", args=[world.cx.pk])).status_code == 404
    )
    assert api(world.rep_y).get(f"/api/v1/customers/{world.cx.pk}/history/").status_code == 404
    alignment = Alignment.objects.get(customer=world.cx)
    assert (
        login(world.rep_y)
        .get(reverse("customers:alignment_history", args=[alignment.pk]))
        .status_code
        == 404
    )


def test_user_history_is_for_admins_only(world, login, api):
    world.rep_x.role = Role.DM
    world.rep_x.save()
    url = reverse("user_history", args=[world.rep_x.pk])

    assert login(world.dm_x).get(url).status_code == 403
    assert api(world.dm_x).get(f"/api/v1/users/{world.rep_x.pk}/history/").status_code == 403
    page = login(world.admin).get(url).content.decode()
    assert "District manager" in page and "Rep" in page
    response = api(world.admin).get(f"/api/v1/users/{world.rep_x.pk}/history/")
    assert response.status_code == 200
    assert response.json()["results"][0]["changes"][0]["field"] == "role"


def _call(world):
    return Call.objects.create(
        territory=world.tx,
        rep=world.rep_x,
        date=datetime.date(2026, 11, 2),
        institution=world.hx,
        status=CallStatus.PLANNED,
    )


def test_every_history_page_answers_and_its_record_links_it(world, login):
    call = _call(world)
    call.objective = "介绍新适应症"
    call.save()
    plan = Plan.objects.create(rep=world.rep_x, territory=world.tx, quarter="2026-Q4")
    threshold = Threshold.objects.create(
        product=ProductFactory(), potential_min=100, support_min=10, reason="start"
    )
    requirement = Requirement.objects.filter(team=None).first()
    requirement.calls_per_month = 3
    requirement.save()
    alignment = Alignment.objects.get(customer=world.cx)
    client = login(world.admin)

    pages = {
        reverse("calls:history", args=[call.pk]): reverse("calls:detail", args=[call.pk]),
        reverse("planning:history", args=[plan.pk]): reverse("planning:detail", args=[plan.pk]),
        reverse("customers:alignment_history", args=[alignment.pk]): reverse(
            "customers:detail", args=[world.cx.pk]
        ),
        reverse("customers:threshold_history", args=[threshold.pk]): reverse(
            "customers:segmentation_product", args=[threshold.product_id]
        ),
        reverse("reports:requirement_history", args=[requirement.pk]): reverse(
            "reports:requirements"
        ),
    }
    for history, record in pages.items():
        assert f'href="{history}"' in client.get(record).content.decode(), record
        assert client.get(history).status_code == 200, history
    call_page = client.get(reverse("calls:history", args=[call.pk])).content.decode()
    assert "介绍新适应症" in call_page and "Objective" in call_page


def test_the_history_page_and_api_cost_as_many_queries_for_many_changes(world, login, api):
    client = login(world.admin)
    url = reverse("customers:history", args=[world.cx.pk])
    api_url = f"/api/v1/customers/{world.cx.pk}/history/"
    other = InstitutionFactory()

    def change(n):
        for i in range(n):
            institution = other if i % 2 == 0 else world.hx
            customer_services.customer_update(
                by=world.admin,
                customer=Customer.objects.get(pk=world.cx.pk),
                title=f"职称{i}",
                institution=institution,
                department=None,
            )

    change(2)
    few, few_api = count_queries(client, url), count_queries(api(world.admin), api_url)
    change(8)
    many, many_api = count_queries(client, url), count_queries(api(world.admin), api_url)

    assert len(record_changes(Customer, world.cx.pk)) == 11
    assert many == few
    assert many_api == few_api


def test_the_history_api_is_paginated_newest_first(world, api):
    client = api(world.admin)
    for i in range(3):
        response = client.patch(
            f"/api/v1/customers/{world.cx.pk}/", {"title": f"职称{i}"}, format="json"
        )
        assert response.status_code == 200

    answer = client.get(f"/api/v1/customers/{world.cx.pk}/history/?page_size=2")
    first = answer.json()
    second = client.get(first["next"]).json()

    assert "ETag" not in answer  # the history is not the record
    assert [e["changes"][0]["new"] for e in first["results"]] == ["职称2", "职称1"]
    assert first["results"][0]["source"] == "api"
    assert first["results"][0]["who"] == world.admin.display_name
    assert first["results"][0]["changes"][0]["label"] == "title"
    assert [e["created"] for e in second["results"]] == [False, True]
    assert second["next"] is None
