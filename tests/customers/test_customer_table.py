"""The managers' customer table: columns, sort and filters in the URL, export of what is shown
(scoped), bad input, query counts flat in the rows."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.calls.factories import make_call
from tests.factories import CustomerFactory, DepartmentFactory, ProductFactory, classify
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

URL = reverse("customers:list")


def records(response):
    return [row.record for row in response.context["table"].paginated_rows]


def csv_rows(response):
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_dm_table_shows_the_columns(world, login):
    product = ProductFactory()
    world.tx.team.products.add(product)
    classify(world.cx, product, "A")
    make_call(world.tx, [world.cx], date=timezone.localdate())
    response = login(world.dm_x).get(URL)
    html = response.content.decode()

    assert records(response) == [world.cx]
    row = response.context["table"].paginated_rows[0]
    assert row.get_cell_value("last_call") == timezone.localdate()
    assert row.get_cell_value("quarter_calls") == 1
    assert row.get_cell_value("klass") == "A"
    assert "Renji Hospital" in html and "Oncology" in html and "Li Ming" not in html
    assert 'class="badge klass-A"' in html


def test_a_rep_keeps_the_phone_list(world, login):
    response = login(world.rep_x).get(URL)
    assert "table" not in response.context


def test_sort_and_filters_in_the_url_and_export_of_all_rows(world, login):
    for n in range(30):
        CustomerFactory(name=f"张{n:02d}", institution=world.hx, territory=world.tx)
    client = login(world.dm_x)
    params = {"sort": "-name", "kind": "prescriber"}
    response = client.get(URL, params)
    names = [c.name for c in records(response)]
    assert names == sorted(names, reverse=True)
    assert "?sort=-name&amp;kind=prescriber&amp;page=2" in response.content.decode()

    rows = csv_rows(client.get(URL, {**params, "export": "csv"}))
    assert rows[0][0] == "Name"
    assert len(rows) - 1 == response.context["table"].paginator.count == 31


@pytest.mark.parametrize(
    "params",
    [{"sort": "bogus"}, {"sort": "last_call"}, {"klass": "Q"}, {"page": "-1"}, {"department": "x"}],
)
def test_bad_input_never_500(world, login, params):
    assert login(world.dm_x).get(URL, params).status_code == 200


def test_another_districts_territory_is_never_exported(world, login):
    client = login(world.dm_x)
    page = client.get(URL, {"territory": world.ty.pk})
    assert world.cy not in records(page)
    export = client.get(URL, {"territory": world.ty.pk, "export": "csv"})
    assert export.status_code == 400
    assert "李明" not in export.content.decode()
    rows = csv_rows(client.get(URL, {"export": "csv"}))
    assert [r[0] for r in rows[1:]] == ["Wang Jianguo"]


@pytest.mark.parametrize("persona", ["dm_x", "regional", "admin"])
@pytest.mark.parametrize("extra", ["", "&export=csv", "&export=xlsx"])
def test_query_count_is_flat_in_the_rows(world, login, persona, extra):
    def grow(n):
        for _ in range(n):
            department = DepartmentFactory(institution=world.hx)
            customer = CustomerFactory(
                institution=world.hx, department=department, territory=world.tx
            )
            make_call(world.tx, [customer])

    client = login(getattr(world, persona))
    url = URL + "?sort=institution&kind=prescriber" + extra
    grow(3)
    small = count_queries(client, url)
    grow(30)
    assert count_queries(client, url) == small
