"""The managers' calls table: columns, the recent past by default, sort and filters in the URL,
CSV/XLSX export of exactly what is shown (scoped), bad input, query counts flat in the rows."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from calls.models import CallStatus
from core import exports
from tests.calls.factories import make_call
from tests.factories import CustomerFactory, DepartmentFactory, InstitutionFactory, classify
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

URL = reverse("calls:list")


def TODAY():
    return timezone.localdate()


def days(n):
    return TODAY() + datetime.timedelta(days=n)


def rows_of(response):
    """The calls of the table's current page, in order."""
    return [row.record for row in response.context["table"].paginated_rows]


def csv_rows(response):
    content = response.content
    assert content.startswith("\ufeff".encode())  # the BOM: Excel reads the Chinese right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_a_rep_keeps_the_phone_list(cw, login):
    make_call(cw.tx, [cw.cx])
    response = login(cw.rep_x).get(URL)
    assert "table" not in response.context
    assert response.templates[0].name == "calls/call_list.html"


def test_the_dm_table_shows_the_columns_of_the_recent_past(cw, login):
    classify(cw.cx, cw.px, "A")
    done = make_call(
        cw.tx,
        [cw.cx],
        products=[(cw.px, [cw.km1], "Wants the PFS data for elderly patients")],
        date=days(-3),
    )
    planned_past = make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED, date=days(-1))
    make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, date=days(5))  # the future
    make_call(cw.tx, [cw.cx], date=days(-45))  # before the last 30 days

    response = login(cw.dm_x).get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    assert rows_of(response) == [done, planned_past]  # completed first, then the latest
    for header in ["Date", "Rep", "Customers", "Institution", "Class", "Products"]:
        assert f">{header}</a>" in html or f">{header}\n" in html or header in html
    assert "Wang Jianguo" in html and "Renji Hospital" in html
    assert "Longer progression-free survival" in html
    assert "Wants the PFS data" in html
    assert 'class="badge klass-A"' in html
    assert response.context["filter"].form["date_from"].value() == days(-30).isoformat()


def test_sorting_and_filters_stay_in_the_url_and_the_links(cw, login):
    for n in range(30):
        make_call(cw.tx, [cw.cx], date=days(-(n % 20)))
    client = login(cw.dm_x)

    response = client.get(URL, {"sort": "date", "status": "completed"})
    dates = [c.date for c in rows_of(response)]
    assert dates == sorted(dates)
    html = response.content.decode()
    # the next page keeps the sort and the filter; the header toggles to descending
    assert "?sort=date&amp;status=completed&amp;page=2" in html
    assert "?sort=-date&amp;status=completed" in html
    # the filter form keeps the sort
    assert '<input type="hidden" name="sort" value="date">' in html
    page2 = client.get(URL, {"sort": "date", "status": "completed", "page": 2})
    assert [c.date for c in rows_of(page2)] == sorted(dates + [c.date for c in rows_of(page2)])[25:]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "nonsense"},
        {"sort": "klass"},  # not sortable
        {"date_from": "2026-13-45"},
        {"date_to": "yesterday"},
        {"page": "999"},
        {"page": "x"},
        {"klass": "Z"},
        {"rep": "not-a-number"},
        {"status": "lost"},
    ],
)
def test_bad_input_never_500(cw, login, params):
    make_call(cw.tx, [cw.cx])
    response = login(cw.dm_x).get(URL, params)
    assert response.status_code == 200


def test_a_malformed_date_is_reported_next_to_its_field(cw, login):
    response = login(cw.dm_x).get(URL, {"date_from": "2026-13-45"})
    assert "Enter a valid date." in response.content.decode()


def test_a_rep_or_territory_out_of_scope_is_an_error_and_never_their_data(cw, login):
    make_call(cw.tx, [cw.cx], notes="ours")
    theirs = make_call(cw.ty, [cw.cy])
    client = login(cw.dm_x)

    for params in ({"rep": cw.rep_y.pk}, {"territory": cw.ty.pk}):
        page = client.get(URL, params)
        assert theirs not in rows_of(page)
        assert "Select a valid choice" in page.content.decode()
        for fmt in ("csv", "xlsx"):
            export = client.get(URL, {**params, "export": fmt})
            assert export.status_code == 400
            assert "Li Ming" not in export.content.decode("utf-8", "replace")

    everything = csv_rows(client.get(URL, {"export": "csv", "date_from": ""}))
    assert all("Li Ming" not in ",".join(row) for row in everything)


def test_filters_narrow_the_table(cw, login):
    classify(cw.cx, cw.px, "B")
    make_call(cw.tx, [cw.cx], products=[(cw.px, [], "")])
    make_call(cw.tx, [cw.cx2], status=CallStatus.CANCELLED, date=days(-2))
    client = login(cw.regional)

    def count(**params):
        return client.get(URL, params).context["table"].paginator.count

    assert count() == 2
    assert count(rep=cw.rep_x.pk) == 2
    assert count(rep=cw.rep_y.pk) == 0
    assert count(territory=cw.tx.pk) == 2
    assert count(status="cancelled") == 1
    assert count(product=cw.px.pk) == 1
    assert count(klass="B") == 1
    assert count(klass="none") == 1
    assert count(date_from=days(-1).isoformat()) == 1


def test_the_search_matches_every_word_in_one_attendees_name_and_the_pim_filter(cw, login):
    alone = make_call(cw.tx, [cw.cx])  # 王建国, Wang Jianguo
    group = make_call(cw.tx, [cw.cx, cw.cx2], date=days(-1))  # and 陈芳, Chen Fang
    meeting = make_call(cw.tx, [cw.cx2], is_pim=True, channel="meeting", date=days(-2))
    client = login(cw.regional)

    def found(**params):
        return set(rows_of(client.get(URL, params)))

    assert found(q="王") == found(q="wang") == found(q="JIANGUO") == {alone, group}
    assert found(q="wang jianguo") == found(q="建国 Wang") == {alone, group}
    assert found(q="Chen") == {group, meeting}
    # Every word in the same attendee's name: Wang and Chen are two people.
    assert found(q="Wang Chen") == set()
    assert found(q="nobody") == set()
    assert found(is_pim="true") == {meeting}
    assert found(is_pim="false") == {alone, group}
    assert found(is_pim="true", q="Chen") == {meeting}


def test_the_export_holds_every_shown_row_sorted_and_filtered(cw, login):
    cw.cx.name = "=HYPERLINK(1)"
    cw.cx.name_en = ""
    cw.cx.save()
    for n in range(30):
        make_call(cw.tx, [cw.cx], products=[(cw.px, [cw.km1], f"fb {n}")], date=days(-(n % 20)))
    make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED, date=days(-1))
    client = login(cw.dm_x)
    params = {"sort": "-date", "status": "completed"}

    shown = client.get(URL, params).context["table"]
    rows = csv_rows(client.get(URL, {**params, "export": "csv", "page": "2"}))

    assert rows[0][:4] == ["Date", "Rep", "Customers", "Institution"]
    assert len(rows) == 1 + shown.paginator.count == 31  # all pages, not the current one
    assert [r[0] for r in rows[1:]] == sorted((r[0] for r in rows[1:]), reverse=True)
    assert rows[1][2] == "'=HYPERLINK(1)"  # a formula is written as text
    assert "fb 0" in {r[7] for r in rows[1:]}
    response = client.get(URL, {**params, "export": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="calls-')

    xlsx = client.get(URL, {**params, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Date" and len(values) == 31
    assert isinstance(values[1][0], datetime.datetime)


def test_export_headers_are_translated(cw, login):
    make_call(cw.tx, [cw.cx])
    cw.dm_x.language = "zh-hans"
    cw.dm_x.save()
    rows = csv_rows(login(cw.dm_x).get(URL, {"export": "csv"}))
    assert rows[0][0] == "日期"
    assert "王建国" in rows[1][2]


def test_an_unknown_format_is_400(cw, login):
    response = login(cw.dm_x).get(URL, {"export": "pdf"})
    assert response.status_code == 400
    assert "csv or xlsx" in response.content.decode()


def test_an_export_over_the_limit_goes_back_with_a_message(cw, login, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 2)
    for _ in range(3):
        make_call(cw.tx, [cw.cx])
    client = login(cw.dm_x)
    response = client.get(URL, {"status": "completed", "export": "csv"}, follow=True)
    assert response.redirect_chain[0][0] == URL + "?status=completed"
    assert "an export holds at most 2" in response.content.decode()


def add_calls(cw, n):
    for _ in range(n):
        institution = InstitutionFactory()
        department = DepartmentFactory(institution=institution)
        customers = [
            CustomerFactory(institution=institution, department=department, territory=cw.tx)
            for _ in range(2)
        ]
        make_call(
            cw.tx,
            [cw.cx, *customers],
            products=[(cw.px, [cw.km1, cw.km2], "ok")],
            materials=[(cw.leaflet, 1)],
            date=days(-1),
        )


@pytest.mark.parametrize("persona", ["dm_x", "regional", "admin"])
@pytest.mark.parametrize("extra", ["", "&export=csv", "&export=xlsx"])
def test_query_count_is_flat_in_the_rows(cw, login, persona, extra):
    client = login(getattr(cw, persona))
    url = URL + f"?sort=rep&klass=&product={cw.px.pk}" + extra
    add_calls(cw, 3)
    small = count_queries(client, url)
    add_calls(cw, 30)
    assert count_queries(client, url) == small
