"""Bulk onboarding (issue 18): imports of institutions, departments, customers and alignments
from CSV (UTF-8, GB18030) or XLSX, per-row dry run, all-or-nothing apply, matched by external id,
id or natural key, set-based; the bad inputs each named by row and column; the job, its API and
its page, and the rejected rows' download."""

import csv
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Alignment, Customer, Department, Import, Institution
from customers.services.bulk_import import import_apply, import_start, rejected_rows
from tests.factories import InstitutionFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def csv_bytes(rows, encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(rows, name="import.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, csv_bytes(rows, encoding))


def workbook(sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile("onboarding.xlsx", data.getvalue())


def run(by, file, kind, dry_run=True, django_capture_on_commit_callbacks=None):
    job = import_start(by=by, file=file, kind=kind, dry_run=dry_run)
    from customers.services.bulk_import import import_run

    return import_run(job_id=job.pk)


def errors(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


INSTITUTIONS = [
    ["external_id", "name", "level", "city", "beds"],
    ["OK-1", "瑞金医院", "三级甲等", "上海", "2000"],
    ["OK-2", "中山医院", "3A", "上海", ""],
]


def test_a_dry_run_reports_each_row_and_writes_nothing(world):
    job = run(world.admin, upload(INSTITUTIONS), "institutions")
    assert job.status == "done" and job.progress == 1.0
    assert (job.rows, job.created, job.changed, job.unchanged, job.error_count) == (2, 2, 0, 0, 0)
    assert [(o["row"], o["outcome"], o["key"]) for o in job.outcomes] == [
        (2, "created", "瑞金医院"),
        (3, "created", "中山医院"),
    ]
    assert not Institution.objects.filter(external_id__startswith="OK-").exists()


def test_apply_writes_then_a_second_file_changes_only_what_differs(world):
    job = run(world.admin, upload(INSTITUTIONS), "institutions", dry_run=False)
    assert job.created == 2
    ruijin = Institution.objects.get(external_id="OK-1")
    assert (ruijin.level, ruijin.beds, ruijin.version) == ("3A", 2000, 1)
    changed = [INSTITUTIONS[0], ["OK-1", "瑞金医院", "三级甲等", "上海", "2100"], INSTITUTIONS[2]]
    job = run(world.admin, upload(changed), "institutions", dry_run=False)
    assert (job.created, job.changed, job.unchanged) == (0, 1, 1)
    assert job.outcomes[0]["fields"] == ["beds"]
    ruijin.refresh_from_db()
    assert (ruijin.beds, ruijin.version) == (2100, 2)
    # The versions say who imported what, through an import: created at 2000 beds, then 2100.
    assert [
        (h.history_type, h.beds, h.version, h.history_source, h.history_user_id)
        for h in ruijin.history.order_by("history_date", "version")
    ] == [("+", 2000, 1, "import", world.admin.pk), ("~", 2100, 2, "import", world.admin.pk)]


def test_customers_match_by_external_id_then_id_then_name_institution_department(world):
    rows = [
        ["external_id", "name", "institution", "department", "kind", "title"],
        ["C-1", "王建国", str(world.hx.pk), str(world.dx.pk), "prescriber", "主任医师"],  # natural
        ["C-2", "新医生", str(world.hx.pk), "", "处方医生", ""],
    ]
    job = run(world.admin, upload(rows), "customers", dry_run=False)
    assert errors(job) == []
    assert (job.created, job.changed) == (1, 1), job.outcomes
    world.cx.refresh_from_db()
    assert (world.cx.external_id, world.cx.title) == ("C-1", "主任医师")
    by_id = [["id", "name"], [str(world.cx.pk), "王建国"]]
    assert run(world.admin, upload(by_id), "customers").unchanged == 1


def test_a_workbook_imports_its_sheets_in_order_with_references_by_external_id(world):
    file = workbook(
        {
            "customers": [
                ["external_id", "name", "institution", "department"],
                ["C-9", "张三", "H-9", "D-9"],
            ],
            "机构": [["external_id", "名称", "城市"], ["H-9", "新华医院", "上海"]],
            "departments": [["external_id", "institution", "name"], ["D-9", "H-9", "儿科"]],
            "alignments": [["customer", "territory", "valid_from"], ["C-9", "TX", "2026-01-01"]],
        }
    )
    job = run(world.admin, file, "workbook")
    assert errors(job) == [] and (job.rows, job.created) == (4, 4)
    assert not Customer.objects.filter(external_id="C-9").exists()  # a dry run
    job = import_apply(by=world.admin, job=job)
    from customers.services.bulk_import import import_run

    job = import_run(job_id=job.pk)
    assert job.created == 4
    customer = Customer.objects.get(external_id="C-9")
    assert customer.department == Department.objects.get(external_id="D-9")
    assert Alignment.objects.get(customer=customer).territory == world.tx


def test_gb18030_csv_with_chinese_headers(world):
    rows = [["外部编号", "名称", "城市"], ["GB-1", "华东医院", "上海"]]
    job = run(world.admin, upload(rows, encoding="gb18030"), "institutions", dry_run=False)
    assert errors(job) == []
    assert Institution.objects.get(external_id="GB-1").name == "华东医院"


def test_one_bad_row_and_nothing_is_written_each_error_named(world):
    rows = [
        ["external_id", "name", "institution", "department", "kind", "role_group"],
        ["A-1", "甲", str(world.hx.pk), "", "prescriber", ""],
        ["A-2", "乙", "NO-SUCH", "", "prescriber", ""],
        ["A-1", "丙", str(world.hx.pk), "", "prescriber", ""],
        ["A-4", "丁", str(world.hx.pk), str(world.dy.pk), "prescriber", ""],
        ["A-5", "戊", str(world.hx.pk), "", "non_prescriber", ""],
    ]
    job = run(world.admin, upload(rows), "customers", dry_run=False)
    assert [(row, column) for row, column, _m in errors(job)] == [
        (3, "institution"),
        (4, "external_id"),
        (5, "department"),
        (6, "role_group"),
    ]
    assert "NO-SUCH" in errors(job)[0][2] and "row 2" in errors(job)[1][2]
    assert not Customer.objects.filter(external_id__startswith="A-").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe\x00\x00garbage\x00", "neither UTF-8 nor GB18030"),
        (b"PK\x03\x04not a zip", "cannot be read as an Excel"),
        (csv_bytes([["name", "colour"], ["x", "red"]]), "Unknown column “colour”"),
        (csv_bytes([["city"], ["上海"]]), "Missing column “name”"),
        (csv_bytes([["name", "beds"], ["x", "-3"]]), "out of range"),
    ],
)
def test_bad_files_are_clear_errors(world, content, message):
    job = run(world.admin, SimpleUploadedFile("f.csv", content), "institutions", dry_run=False)
    assert job.status == "done" and job.error_count
    assert any(message in e["message"] for e in job.errors), job.errors


def test_empty_and_oversized_files_are_refused_at_once(world, settings):
    with pytest.raises(ValidationError, match="empty"):
        import_start(by=world.admin, file=SimpleUploadedFile("e.csv", b""), kind="institutions")
    settings.IMPORT_MAX_MB = 0
    with pytest.raises(ValidationError, match="larger than 0 MB"):
        import_start(by=world.admin, file=upload(INSTITUTIONS), kind="institutions")
    assert not Import.objects.exists()


def test_a_dm_imports_alignments_of_their_district_only(world):
    rows = [
        ["customer", "territory", "valid_from"],
        [str(world.cy.pk), "TX", "2026-02-01"],
        [str(world.cx.pk), "TY", "2026-02-01"],
    ]
    job = run(world.dm_x, upload(rows), "alignments", dry_run=False)
    assert [(r, c) for r, c, _m in errors(job)] == [(3, "territory")]
    assert "outside your district" in job.errors[0]["message"]
    assert not Alignment.objects.filter(customer=world.cy, territory=world.tx).exists()
    with pytest.raises(PermissionDenied):
        import_start(by=world.dm_x, file=upload(INSTITUTIONS), kind="institutions")
    with pytest.raises(PermissionDenied):
        import_start(by=world.rep_x, file=upload(rows), kind="alignments")


def test_overlapping_alignments_are_errors(world):
    rows = [
        ["customer", "territory", "valid_from", "valid_to"],
        [str(world.cx.pk), "TX", "2026-01-01", ""],  # overlaps cx's alignment to TX
        [str(world.cy.pk), "TX", "2026-01-01", "2026-03-31"],
        [str(world.cy.pk), "TX", "2026-03-01", ""],  # overlaps the row before
        [str(world.cy.pk), "TX", "2026-05-01", "2026-04-01"],
    ]
    job = run(world.admin, upload(rows), "alignments")
    assert [(r, c) for r, c, _m in errors(job)] == [
        (2, "valid_from"),
        (4, "valid_from"),
        (5, "valid_to"),
    ]


def test_the_checks_read_in_bulk(world):
    def queries(n):
        rows = [["external_id", "name", "institution", "department"]] + [
            [f"Q-{i}", f"医生{i}", world.hx.external_id or str(world.hx.pk), str(world.dx.pk)]
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            run(world.admin, upload(rows), "customers", dry_run=False)
        return len(captured)

    # 20 rows: one INSERT of the customers and one of their history on SQLite too (its 999
    # parameters take 21 rows of the 46 history columns at a time).
    assert queries(3) == queries(20)


def test_rejected_rows_download_marks_each_row_with_its_error(world):
    rows = [["name", "beds"], ["好医院", "10"], ["坏医院", "many"]]
    job = run(world.admin, upload(rows, name="h.csv", encoding="gb18030"), "institutions")
    content, content_type, name = rejected_rows(job, "csv")
    assert name == "h-rejected.csv" and content_type.startswith("text/csv")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0] == ["name", "beds", "error"]
    assert lines[1][:2] == ["坏医院", "many"] and "beds" in lines[1][2] and len(lines) == 2
    content, _type, name = rejected_rows(job, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[2]][:2] == ["坏医院", "many"]


def test_external_id_is_unique_when_set_through_the_api(world, api):
    client = api(world.admin)
    url = "/api/v1/institutions/"
    first = client.post(url, {"name": "甲医院", "external_id": "E-1"}, format="json")
    assert first.status_code == 201 and first.json()["external_id"] == "E-1"
    again = client.post(url, {"name": "乙医院", "external_id": "E-1"}, format="json")
    assert again.status_code == 400 and "external_id" in again.json()["errors"]
    blank = [client.post(url, {"name": n, "external_id": ""}, format="json") for n in "丙丁"]
    assert [r.status_code for r in blank] == [201, 201]
    department = client.post(
        "/api/v1/departments/",
        {"institution": str(world.hx.pk), "name": "新科", "external_id": "E-1"},
        format="json",
    )
    assert department.status_code == 201  # unique per resource
    InstitutionFactory(external_id="E-2")
    change = client.patch(f"{url}{world.hx.pk}/", {"external_id": "E-2"}, format="json")
    assert change.status_code == 400


# The API.


def test_the_api_answers_202_with_the_job_and_polls_it(world, api):
    client = api(world.admin)
    answer = client.post(
        "/api/v1/imports/",
        {
            "file": upload([["name", "beds"], ["好医院", "10"], ["坏医院", "-1"]]),
            "kind": "institutions",
        },
        format="multipart",
    )
    assert answer.status_code == 202
    job = answer.json()["job"]
    polled = client.get(f"/api/v1/imports/{job}/").json()
    assert polled["status"] == "done" and polled["progress"] == 1.0 and polled["dry_run"] is True
    assert (polled["rows"], polled["created"], polled["changed"], polled["unchanged"]) == (
        2,
        1,
        0,
        0,
    )
    assert polled["errors"] == [
        {
            "sheet": "",
            "row": 3,
            "column": "beds",
            "message": "-1 is out of range (0 to 2147483647).",
        }
    ]
    assert client.get(f"/api/v1/imports/{job}/").status_code == 200
    assert api(world.dm_x).get(f"/api/v1/imports/{job}/").status_code == 404
    assert client.get("/api/v1/imports/not-a-uuid/").status_code == 404


def test_the_api_refuses_bad_requests_with_4xx(world, api):
    client = api(world.admin)
    empty = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("e.csv", b""), "kind": "customers"},
        format="multipart",
    )
    assert empty.status_code == 400 and "empty" in str(empty.json()["errors"]["file"])
    unknown = client.post(
        "/api/v1/imports/", {"file": upload(INSTITUTIONS), "kind": "pets"}, format="multipart"
    )
    assert unknown.status_code == 400 and "kind" in unknown.json()["errors"]
    dm = api(world.dm_x).post(
        "/api/v1/imports/",
        {"file": upload(INSTITUTIONS), "kind": "institutions"},
        format="multipart",
    )
    assert dm.status_code == 403
    rep = api(world.rep_x).post(
        "/api/v1/imports/",
        {"file": upload(INSTITUTIONS), "kind": "alignments"},
        format="multipart",
    )
    assert rep.status_code == 403
    assert not Import.objects.exists()


# The pages (in Chinese, the company's language).


def test_upload_preview_apply_in_chinese(world, login):
    world.admin.language = "zh-hans"
    world.admin.save()
    client = login(world.admin)
    rows = [
        ["外部编号", "姓名", "机构", "职称"],
        ["C-1", "王建国", str(world.hx.pk), "教授"],
        ["C-2", "赵六", str(world.hx.pk), ""],
    ]
    page = client.get(reverse("customers:imports")).content.decode()
    assert "导入数据" in page
    answer = client.post(
        reverse("customers:imports"),
        {"kind": "customers", "mode": "check", "file": upload(rows, encoding="gb18030")},
    )
    assert answer.status_code == 302
    preview = client.get(answer["Location"]).content.decode()
    assert "每一行都没有问题" in preview and "导入这 2 行" in preview
    assert "新建" in preview and "已更改" in preview and "职称" in preview  # per-row outcome
    assert not Customer.objects.filter(name="赵六").exists()
    job = Import.objects.get()
    applied = client.post(reverse("customers:import_apply", args=[job.pk]))
    assert applied.status_code == 302
    assert Customer.objects.filter(name="赵六", external_id="C-2").exists()
    world.cx.refresh_from_db()
    assert world.cx.title == "教授"
    # the page can be left and found again
    listing = client.get(reverse("customers:imports")).content.decode()
    assert listing.count("import.csv") == 2


def test_page_errors_and_rejected_rows_download(world, login):
    client = login(world.admin)
    rows = [["name", "beds"], ["好医院", "10"], ["坏医院", "很多"]]
    answer = client.post(
        reverse("customers:imports"),
        {"kind": "institutions", "mode": "import", "file": upload(rows)},
    )
    job = Import.objects.get()
    page = client.get(answer["Location"]).content.decode()
    assert "1 error; nothing was imported" in page and "is not a whole number" in page
    assert not Institution.objects.filter(name="好医院").exists()
    download = client.get(reverse("customers:import_rejected", args=[job.pk, "csv"]))
    assert download.status_code == 200
    assert download.content.decode("utf-8-sig").splitlines()[1].startswith("坏医院,很多,")
    assert client.post(reverse("customers:import_apply", args=[job.pk])).status_code == 302
    assert Import.objects.count() == 1  # a check with errors cannot be applied


def test_pages_are_scoped_and_their_queries_bounded(world, login):
    job = import_start(by=world.admin, file=upload(INSTITUTIONS), kind="institutions")
    admin = login(world.admin)
    assert count_queries(admin, reverse("customers:import_detail", args=[job.pk])) <= 8
    assert count_queries(admin, reverse("customers:imports")) <= 8
    dm = login(world.dm_x)
    assert dm.get(reverse("customers:import_detail", args=[job.pk])).status_code == 404
    assert dm.get(reverse("customers:imports")).status_code == 200
    form = dm.get(reverse("customers:imports")).content.decode()
    assert 'value="alignments"' in form and 'value="institutions"' not in form
    rep = login(world.rep_x)
    assert rep.get(reverse("customers:imports")).status_code == 403


def test_measures_and_unknown_territories_run_through_the_same_job(world):
    from tests.factories import ProductFactory

    ProductFactory(code="ONC1")
    rows = [
        ["customer", "product", "potential", "support"],
        [str(world.cx.pk), "ONC1", "150", "20"],
        [str(world.cy.pk), "NOPE", "150", "20"],
    ]
    job = run(world.admin, upload(rows), "measures", dry_run=False)
    assert job.error_count == 1 and job.errors[0]["row"] == 3
    assert "NOPE" in job.errors[0]["message"]
    job = run(world.admin, upload(rows[:2]), "measures", dry_run=False)
    assert (job.error_count, job.created) == (0, 1)
    aligned = [["customer", "territory"], [str(world.cx.pk), "NO-SUCH"]]
    job = run(world.admin, upload(aligned), "alignments")
    assert [(r, c) for r, c, _m in errors(job)] == [(2, "territory")]
    assert "NO-SUCH" in job.errors[0]["message"]


def test_with_redis_down_a_large_import_is_queued_then_run_when_the_broker_is_back(
    world, api, settings, redis_at, django_capture_on_commit_callbacks
):
    from core import outbox
    from core.models import OutboxTask
    from customers.services.bulk_import import import_run
    from tests.redis_down import DOWN, broker_back_url, drain

    redis_at(DOWN)
    settings.IMPORT_INLINE_KB = 0  # every file goes to a worker
    with django_capture_on_commit_callbacks(execute=True):
        answer = api(world.admin).post(
            "/api/v1/imports/",
            {"file": upload(INSTITUTIONS), "kind": "institutions", "dry_run": "false"},
            format="multipart",
        )

    assert answer.status_code == 202  # the answer does not wait for the broker
    job = Import.objects.get(pk=answer.json()["job"])
    assert job.status == "queued"
    assert OutboxTask.objects.filter(sent_at__isnull=True, args=[str(job.pk)]).count() == 1

    redis_at.broker(broker_back_url(redis_at.tmp_path))
    outbox.sweep()
    sent = drain(redis_at.queue)
    assert [(task, args) for task, args, _kwargs in sent] == [
        ("customers.tasks.run_import", [str(job.pk)])
    ]
    assert import_run(job_id=job.pk).status == "done"  # what the worker does with it
    assert Institution.objects.filter(external_id__in=["OK-1", "OK-2"]).count() == 2
