"""What an import's apply writes besides the records (issue 18): the change log the sync reads
(with the places of scope changes), the history (source "import", the importing user) and the
customers' search keys — for new and for changed records, on SQLite and PostgreSQL alike (the
apply takes set-based paths of its own on PostgreSQL)."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import ChangeLog
from customers.models import Alignment, ClassOverride, Customer, Institution, Measure
from customers.services.bulk_import import import_start
from org.models import Territory
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def upload(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return SimpleUploadedFile("import.csv", buffer.getvalue().encode("utf-8"))


def apply(world, kind, rows):
    ChangeLog.objects.all().delete()
    job = import_start(by=world.admin, file=upload(rows), kind=kind, dry_run=False)
    assert job.status == "done" and not job.errors, job.errors
    return job


def names():
    """{id: a readable name} of the records the entries may name."""
    found = {}
    for customer in Customer.objects.all():
        found[customer.pk] = f"customer {customer.name}@{customer.institution.name}"
    for institution in Institution.objects.all():
        found[institution.pk] = f"institution {institution.name}"
    for territory in Territory.objects.all():
        found[territory.pk] = territory.code
    for alignment in Alignment.objects.select_related("customer", "territory"):
        found[alignment.pk] = f"alignment {alignment.customer.name}→{alignment.territory.code}"
    for measure in Measure.objects.select_related("customer"):
        found[measure.pk] = f"measure of {measure.customer.name}"
    for override in ClassOverride.objects.select_related("customer"):
        found[override.pk] = f"override of {override.customer.name}"
    for customer in Customer.objects.select_related("department"):
        if customer.department:
            found[customer.department.pk] = f"department {customer.department.name}"
    return found


def entries():
    """The change log as a sorted list of (model, record, op, place)."""
    name = names()
    return sorted(
        (
            entry.model,
            name.get(entry.object_id, str(entry.object_id)),
            entry.op,
            name.get(entry.scope_territory, entry.scope_territory),
        )
        for entry in ChangeLog.objects.all()
    )


def history(model, **filters):
    return sorted(
        (h.history_type, h.version, h.history_source, h.history_change_reason, h.history_user_id)
        for h in model.history.filter(**filters)
    )


def test_the_apply_logs_changes_writes_history_and_search_keys(world):
    product = ProductFactory()
    Measure.objects.create(
        customer=world.cy, product=product, potential=Decimal(5), support=Decimal(2)
    )
    ClassOverride.objects.create(customer=world.cy, product=product, klass="A", reason="KOL")
    admin = world.admin.pk

    apply(
        world,
        "institutions",
        [
            ["id", "external_id", "name", "city", "beds"],
            ["", "W-H1", "新华医院", "上海", "800"],
            [str(world.hx.pk), "", "仁济医院", "上海", "900"],
        ],
    )
    assert entries() == [
        ("customers.institution", "institution 仁济医院", "upsert", None),
        ("customers.institution", "institution 新华医院", "upsert", None),
    ]
    new = Institution.objects.get(external_id="W-H1")
    assert history(Institution, id=new.pk) == [("+", 1, "import", "import", admin)]
    assert history(Institution, id=world.hx.pk, history_source="import") == [
        ("~", 2, "import", "import", admin)
    ]

    apply(
        world,
        "customers",
        [
            ["id", "external_id", "name", "institution", "department"],
            ["", "W-C1", "曾小明", "W-H1", ""],
            ["", "W-C2", "曾小明", str(world.hx.pk), str(world.dx.pk)],
            [str(world.cx.pk), "", "单建华", str(world.hx.pk), str(world.dx.pk)],
        ],
    )
    assert entries() == [
        ("customers.customer", "customer 单建华@仁济医院", "upsert", None),
        ("customers.customer", "customer 曾小明@仁济医院", "upsert", None),
        ("customers.customer", "customer 曾小明@新华医院", "upsert", None),
    ]
    assert sorted(
        Customer.objects.filter(institution__in=[new, world.hx]).values_list(
            "name", "name_pinyin", "name_initials", "version"
        )
    ) == [
        ("单建华", "shanjianhua", "sjh", 2),
        ("曾小明", "zengxiaoming", "zxm", 1),
        ("曾小明", "zengxiaoming", "zxm", 1),
    ]
    first = Customer.objects.get(external_id="W-C1")
    assert history(Customer, id=first.pk) == [("+", 1, "import", "import", admin)]
    assert history(Customer, id=world.cx.pk, history_source="import") == [
        ("~", 2, "import", "import", admin)
    ]
    assert Customer.history.get(id=world.cx.pk, history_source="import").name_pinyin == (
        "shanjianhua"
    )

    moved = Alignment.objects.get(customer=world.cy)
    apply(
        world,
        "alignments",
        [
            ["id", "customer", "territory", "valid_from"],
            ["", "W-C1", "TX", "2026-01-01"],
            ["", "W-C2", "TY", "2026-01-01"],
            [str(moved.pk), str(world.cy.pk), "TX", ""],
        ],
    )
    assert entries() == [
        ("customers.alignment", "alignment 曾小明→TX", "scope", "TX"),
        ("customers.alignment", "alignment 曾小明→TY", "scope", "TY"),
        ("customers.alignment", "alignment 李明→TX", "scope", "TX"),
        ("customers.alignment", "alignment 李明→TX", "scope", "TY"),
        ("customers.classoverride", "override of 李明", "scope", "TX"),
        ("customers.classoverride", "override of 李明", "scope", "TY"),
        ("customers.customer", "customer 曾小明@仁济医院", "scope", "TY"),
        ("customers.customer", "customer 曾小明@新华医院", "scope", "TX"),
        ("customers.customer", "customer 李明@华山医院", "scope", "TX"),
        ("customers.customer", "customer 李明@华山医院", "scope", "TY"),
        ("customers.department", "department 心内科", "scope", "TX"),
        ("customers.department", "department 心内科", "scope", "TY"),
        ("customers.department", "department 肿瘤科", "scope", "TY"),
        ("customers.institution", "institution 仁济医院", "scope", "TY"),
        ("customers.institution", "institution 华山医院", "scope", "TX"),
        ("customers.institution", "institution 华山医院", "scope", "TY"),
        ("customers.institution", "institution 新华医院", "scope", "TX"),
        ("customers.measure", "measure of 李明", "scope", "TX"),
        ("customers.measure", "measure of 李明", "scope", "TY"),
    ]
    aligned = Alignment.objects.get(customer=first)
    assert history(Alignment, id=aligned.pk) == [("+", 1, "import", "import", admin)]
    assert history(Alignment, id=moved.pk, history_source="import") == [
        ("~", 2, "import", "import", admin)
    ]
    moved.refresh_from_db()
    assert (moved.territory.code, moved.version) == ("TX", 2)


@pytest.mark.parametrize("model_name", ["alignment", "territory"])
def test_log_written_logs_what_log_rows_logs(world, model_name):
    """The import's `changelog.log_written` (rows named by id; on PostgreSQL one set-based
    statement where it can, else the rows read back) logs the same entries as `log_rows`."""
    from core import changelog

    product = ProductFactory()
    Measure.objects.create(
        customer=world.cy, product=product, potential=Decimal(5), support=Decimal(2)
    )
    model = {"alignment": Alignment, "territory": Territory}[model_name]
    rows = list(model.objects.all())
    places = {row.pk: changelog.places_of(model, row) for row in rows}
    moved = rows[0]
    places[moved.pk] = [*places[moved.pk], changelog.place(territory=world.ty.pk)]

    def logged(log):
        ChangeLog.objects.all().delete()
        log()
        return entries()

    expected = logged(lambda: changelog.log_rows(model, rows, "scope", places=places))
    assert len(expected) > len(rows)
    assert logged(lambda: changelog.log_written(model, list(places), "scope", places)) == expected
