"""Import of measures from CSV and XLSX: every row checked first (row-numbered errors, nothing
written), a dry run that reports the class changes and writes nothing, an all-or-nothing apply
that reclassifies; the admins' page (check, then import the checked file) and API."""

import datetime
import io
import uuid

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from customers import services
from customers.models import ClassHistory, CustomerKind, Measure, RoleGroup
from customers.selectors import class_on
from customers.services import import_files, imports
from customers.services.imports import measures_import
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = (TODAY - datetime.timedelta(days=30)).isoformat()
HEADER = ["customer", "product", "potential", "support", "valid_from"]


def csv_file(rows, header=HEADER, encoding="utf-8", name="measures.csv"):
    lines = [",".join(header), *(",".join(str(v) for v in row) for row in rows)]
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(encoding))


def xlsx_file(rows, header=HEADER, name="measures.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    data = io.BytesIO()
    workbook.save(data)
    return SimpleUploadedFile(name, data.getvalue())


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def seg(world):
    """Product P (thresholds potential ≥ 100, support ≥ 10 since last year); cx and cy are
    prescribers; np a non-prescriber."""
    product = ProductFactory(code="ONC1")
    services.threshold_save(
        by=world.admin,
        product=product,
        potential_min=100,
        support_min=10,
        valid_from=TODAY - datetime.timedelta(days=365),
    )
    world.product = product
    world.np = CustomerFactory(
        kind=CustomerKind.NON_PRESCRIBER, role_group=RoleGroup.N1, territory=world.tx
    )
    return world


def errors_of(file, by):
    with pytest.raises(ValidationError) as raised:
        measures_import(by=by, file=file, dry_run=False)
    return raised.value.message_dict["file"]


def test_a_csv_writes_every_measure_and_reclassifies(seg):
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, LAST_MONTH), (seg.cy.pk, "ONC1", 150, 5, "")])

    report = measures_import(by=seg.admin, file=file, dry_run=False)

    assert (report.rows, report.created, report.replaced) == (2, 2, 0)
    assert report.changes == {(None, "A"): 1, (None, "B"): 1}
    assert class_on(customer=seg.cx, product=seg.product, day=TODAY).klass == "A"
    assert class_on(customer=seg.cy, product=seg.product, day=TODAY).klass == "B"
    cy_measure = Measure.objects.get(customer=seg.cy)
    assert (cy_measure.valid_from, cy_measure.author) == (TODAY, seg.admin)  # empty date: today
    assert cy_measure.history.get().history_user == seg.admin


def test_an_xlsx_with_chinese_headers_and_date_cells(seg):
    file = xlsx_file(
        [(str(seg.cx.pk), "ONC1", 150, 20.5, datetime.datetime(2026, 3, 1))],
        header=["客户", "产品", "潜力", "支持度", "生效日期"],
    )

    measures_import(by=seg.admin, file=file, dry_run=False)

    measure = Measure.objects.get()
    assert (measure.potential, measure.support) == (150, 20.5)
    assert measure.valid_from == datetime.date(2026, 3, 1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_or_gb18030(seg, encoding):
    file = csv_file(
        [(seg.cx.pk, "ONC1", 150, 20, "2026/3/1")],
        header=["客户", "产品", "潜力", "支持度", "生效日期"],
        encoding=encoding,
    )

    measures_import(by=seg.admin, file=file, dry_run=False)

    assert Measure.objects.get().valid_from == datetime.date(2026, 3, 1)


def test_column_names_are_case_insensitive_and_valid_from_is_optional(seg):
    file = csv_file(
        [(seg.cx.pk, "onc1", 50, 5)], header=["Customer", "PRODUCT", "Potential", "Support"]
    )

    measures_import(by=seg.admin, file=file, dry_run=False)

    assert Measure.objects.get().valid_from == TODAY


BAD_ROWS = {
    "unknown customer": (
        lambda w: (uuid.UUID(int=7), "ONC1", 1, 1, ""),
        f"Row 3: unknown customer {uuid.UUID(int=7)}.",
    ),
    "customer not an id": (
        lambda w: ("王建国", "ONC1", 1, 1, ""),
        "Row 3: unknown customer 王建国.",
    ),
    "unknown product": (lambda w: (w.cy.pk, "NOPE", 1, 1, ""), "Row 3: unknown product NOPE."),
    "non-numeric": (
        lambda w: (w.cy.pk, "ONC1", "many", 1, ""),
        "Row 3: potential must be a number, not “many”.",
    ),
    "negative": (lambda w: (w.cy.pk, "ONC1", 1, -2, ""), "Row 3: support cannot be negative (-2)."),
    "bad date": (
        lambda w: (w.cy.pk, "ONC1", 1, 1, "2026-13-01"),
        "Row 3: bad date “2026-13-01”; write it as YYYY-MM-DD.",
    ),
    "non-prescriber": (
        lambda w: (w.np.pk, "ONC1", 1, 1, ""),
        "Row 3: customer {np} is a non-prescriber (always class N); "
        "non-prescribers have no measures.",
    ),
    "duplicate": (
        lambda w: (w.cx.pk, "ONC1", 9, 9, LAST_MONTH),
        "Row 3: the same customer, product and date as row 2; keep one of them.",
    ),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_a_bad_row_is_named_by_its_row_number_and_nothing_is_written(seg, case):
    bad_row, message = BAD_ROWS[case]
    good = (seg.cx.pk, "ONC1", 150, 20, LAST_MONTH)
    file = csv_file([good, bad_row(seg), (seg.cy.pk, "ONC1", 5, 5, "")])

    assert errors_of(file, seg.admin) == [message.format(np=seg.np.pk)]
    assert not Measure.objects.exists()
    assert not ClassHistory.objects.exists()


def test_a_missing_column_is_the_only_error(seg):
    file = csv_file([("nobody", "NOPE", "x", "y")], header=["customer", "product", "potential"])

    assert errors_of(file, seg.admin) == [
        "Missing column “support” (or “支持度”) in the header row."
    ]


def test_an_xlsx_names_the_rows_as_excel_shows_them(seg):
    file = xlsx_file([(str(seg.cx.pk), "ONC1", 1, 1), (None,), (str(seg.cy.pk), "ONC1", -1, 1)])

    assert errors_of(file, seg.admin) == ["Row 4: potential cannot be negative (-1)."]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"customer,product,potential,support\r\n", "The file has a header but no rows."),
        (b"PK\x03\x04 not really a workbook", "This file cannot be read as an Excel (XLSX) file."),
    ],
)
def test_an_unreadable_file_is_a_clear_error(seg, content, message):
    assert errors_of(SimpleUploadedFile("m.csv", content), seg.admin) == [message]


def test_too_many_rows_is_a_clear_error(seg, monkeypatch):
    monkeypatch.setattr(import_files, "MAX_ROWS", 2)
    file = csv_file([(seg.cx.pk, "ONC1", 1, 1)] * 3)

    assert errors_of(file, seg.admin) == [
        "The file has more than 2 rows. Split it into smaller files."
    ]


def test_a_dry_run_reports_the_class_changes_and_writes_nothing(seg):
    services.measure_save(
        by=seg.admin,
        customer=seg.cx,
        product=seg.product,
        potential=50,
        support=5,
        valid_from=TODAY - datetime.timedelta(days=60),
    )
    history = list(ClassHistory.objects.values_list("customer", "klass", "valid_from", "valid_to"))
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, LAST_MONTH), (seg.cy.pk, "ONC1", 10, 10, "")])

    report = measures_import(by=seg.admin, file=file, dry_run=True)

    assert report.dry_run and (report.created, report.replaced, report.on) == (2, 0, TODAY)
    assert report.changes == {("D", "A"): 1, (None, "C"): 1}
    assert report.as_dict()["changes"][0]["label"] in {"D → A: 1", "— → C: 1"}
    assert [(m["customer"], m["old"], m["new"]) for m in report.movers] == [
        (seg.cx, "D", "A"),
        (seg.cy, None, "C"),
    ]
    assert Measure.objects.count() == 1
    assert (
        list(ClassHistory.objects.values_list("customer", "klass", "valid_from", "valid_to"))
        == history
    )


def test_a_same_day_row_replaces_the_measure(seg):
    services.measure_save(
        by=seg.admin,
        customer=seg.cx,
        product=seg.product,
        potential=50,
        support=5,
        valid_from=datetime.date.fromisoformat(LAST_MONTH),
    )

    report = measures_import(
        by=seg.admin, file=csv_file([(seg.cx.pk, "ONC1", 150, 5, LAST_MONTH)]), dry_run=False
    )

    measure = Measure.objects.get()
    assert (report.created, report.replaced, report.changes) == (0, 1, {("D", "B"): 1})
    assert (measure.potential, measure.version) == (150, 2)
    assert measure.history.latest().history_type == "~"


def test_importing_the_same_file_again_changes_nothing(seg):
    rows = [(seg.cx.pk, "ONC1", 150, 20, LAST_MONTH), (seg.cy.pk, "ONC1", 150, 5, LAST_MONTH)]
    measures_import(by=seg.admin, file=csv_file(rows), dry_run=False)
    before = (
        list(Measure.objects.values_list("id", "version", "updated_at")),
        list(ClassHistory.objects.values_list("id", "klass", "recorded_at")),
        Measure.history.count(),
    )

    report = measures_import(by=seg.admin, file=csv_file(rows), dry_run=False)

    assert (report.created, report.replaced, report.unchanged, report.moved) == (0, 0, 2, 0)
    after = (
        list(Measure.objects.values_list("id", "version", "updated_at")),
        list(ClassHistory.objects.values_list("id", "klass", "recorded_at")),
        Measure.history.count(),
    )
    assert after == before


def test_many_customers_of_a_product_are_classified_in_one_go(seg, monkeypatch):
    monkeypatch.setattr(imports, "FEW_CUSTOMERS", 1)
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, ""), (seg.cy.pk, "ONC1", 5, 5, "")])

    report = measures_import(by=seg.admin, file=file, dry_run=False)

    assert report.changes == {(None, "A"): 1, (None, "D"): 1}


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional"])
def test_only_admins_import(seg, persona):
    with pytest.raises(PermissionDenied):
        measures_import(by=getattr(seg, persona), file=csv_file([]), dry_run=True)


# The page.


@pytest.fixture
def imports_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


URL = reverse("customers:measure_import")
APPLY_URL = reverse("customers:measure_import_apply")


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional"])
def test_the_page_is_for_admins_only(seg, login, persona):
    client = login(getattr(seg, persona))

    assert client.get(URL).status_code == 403
    assert client.post(APPLY_URL, {"token": "x"}).status_code == 403


def test_check_then_import_the_checked_file(seg, login, imports_dir):
    client = login(seg.admin)
    assert client.get(URL).status_code == 200
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, LAST_MONTH), (seg.cy.pk, "ONC1", 150, 5, "")])

    # given a checked file
    page = client.post(URL, {"file": file, "mode": "check"})

    assert page.status_code == 200
    assert "Import these 2 rows" in page.content.decode()
    assert seg.cx.name in page.content.decode()
    assert page.context["report"].changes == {(None, "A"): 1, (None, "B"): 1}
    assert not Measure.objects.exists()
    assert len(list(imports_dir.glob("*.upload"))) == 1

    # when it is imported
    token = page.context["token"]
    done = client.post(APPLY_URL, {"token": token}, follow=True)

    # then
    assert done.redirect_chain[-1][0] == URL
    assert "Imported 2 rows: 2 new measures" in done.content.decode()
    assert Measure.objects.count() == 2
    assert class_on(customer=seg.cx, product=seg.product, day=TODAY).klass == "A"
    assert not list(imports_dir.glob("*.upload"))
    assert client.post(APPLY_URL, {"token": token}).status_code == 302  # gone: upload again
    assert Measure.objects.count() == 2


def test_a_token_that_is_not_the_sessions_imports_nothing(seg, login, imports_dir):
    client = login(seg.admin)
    client.post(URL, {"file": csv_file([(seg.cx.pk, "ONC1", 1, 1, "")]), "mode": "check"})

    response = client.post(APPLY_URL, {"token": "../../etc/passwd"}, follow=True)

    assert "upload it again" in response.content.decode()
    assert not Measure.objects.exists()


def test_the_page_lists_the_errors_and_writes_nothing(seg, login, imports_dir):
    client = login(seg.admin)
    file = csv_file([(seg.cx.pk, "ONC1", -1, 1, ""), (uuid.UUID(int=1), "ONC1", 1, 1, "")])

    page = client.post(URL, {"file": file, "mode": "import"})

    content = page.content.decode()
    assert "Row 2: potential cannot be negative (-1)." in content
    assert f"Row 3: unknown customer {uuid.UUID(int=1)}." in content
    assert "Import these" not in content
    assert not Measure.objects.exists()


def test_import_without_checking_first(seg, login, imports_dir):
    client = login(seg.admin)
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, "")])

    response = client.post(URL, {"file": file, "mode": "import"}, follow=True)

    assert "Imported 1 rows: 1 new measures" in response.content.decode()
    assert Measure.objects.get().author == seg.admin


def test_the_checks_queries_do_not_grow_with_the_rows(seg, login, imports_dir, monkeypatch):
    monkeypatch.setattr(imports, "FEW_CUSTOMERS", 0)
    client = login(seg.admin)
    doctors = [CustomerFactory(territory=seg.tx) for _ in range(8)]

    def check(customers):
        file = csv_file([(c.pk, "ONC1", 150, i, "") for i, c in enumerate(customers)])
        return client.post(URL, {"file": file, "mode": "check"})

    with CaptureQueriesContext(connection) as few:
        check(doctors[:2])
    with CaptureQueriesContext(connection) as many:
        check(doctors)

    assert len(many) == len(few)


# The API.

API_URL = "/api/v1/measures/import/"


def test_the_api_answers_the_dry_run_report(seg, api):
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, ""), (seg.cy.pk, "ONC1", 150, 5, "")])

    response = api(seg.admin).post(API_URL, {"file": file}, format="multipart")

    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["rows"], body["created"], body["moved"]) == (True, 2, 2, 2)
    assert {c["label"] for c in body["changes"]} == {"— → A: 1", "— → B: 1"}
    assert {(c["customer"], c["old"], c["new"]) for c in body["customers"]} == {
        (str(seg.cx.pk), None, "A"),
        (str(seg.cy.pk), None, "B"),
    }
    assert not Measure.objects.exists()


def test_the_api_imports(seg, api):
    file = xlsx_file([(str(seg.cx.pk), "ONC1", 150, 20)])

    response = api(seg.admin).post(API_URL, {"file": file, "dry_run": "false"}, format="multipart")

    assert (response.status_code, response.json()["created"]) == (200, 1)
    assert class_on(customer=seg.cx, product=seg.product, day=TODAY).klass == "A"


def test_the_api_answers_row_errors_in_the_error_shape(seg, api):
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, ""), (seg.np.pk, "ONC1", 1, 1, "")])

    response = api(seg.admin).post(API_URL, {"file": file, "dry_run": "false"}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["errors"] == {
        "file": [
            f"Row 3: customer {seg.np.pk} is a non-prescriber (always class N); "
            "non-prescribers have no measures."
        ]
    }
    assert not Measure.objects.exists()


def test_the_api_wants_a_file(seg, api):
    response = api(seg.admin).post(API_URL, {"dry_run": "true"}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional"])
def test_the_api_is_for_admins_only(seg, api, persona):
    file = csv_file([(seg.cx.pk, "ONC1", 150, 20, "")])

    response = api(getattr(seg, persona)).post(API_URL, {"file": file}, format="multipart")

    assert response.status_code == 403
    assert api(None).post(API_URL, {"file": file}, format="multipart").status_code == 401
    assert not Measure.objects.exists()
