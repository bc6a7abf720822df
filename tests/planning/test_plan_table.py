"""The managers' plans table: columns, sort and filters (quarter, status, rep) in the URL,
export of what is shown (scoped), bad input, query counts flat in the rows."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from core.periods import quarter_of
from org.models import Role
from planning.models import Plan, PlanStatus
from tests.factories import CustomerFactory, TerritoryFactory, UserFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

URL = reverse("planning:list")


def QUARTER():
    return quarter_of(timezone.localdate()).key


def records(response):
    return [row.record for row in response.context["table"].paginated_rows]


def plan(territory, *, status=PlanStatus.DRAFT, quarter=None, targets=(), submitted_days=None):
    made = Plan.objects.create(
        rep=territory.rep, territory=territory, quarter=quarter or QUARTER(), status=status
    )
    if submitted_days is not None:
        made.submitted_at = timezone.now() - datetime.timedelta(days=submitted_days)
        made.save()
    for customer, per_month in targets:
        made.targets.create(customer=customer, calls_per_month=per_month)
    return made


def test_the_dm_table_shows_the_columns(pw, login):
    mine = plan(
        pw.tx,
        status=PlanStatus.SUBMITTED,
        targets=[(pw.cx, 2), (pw.cx2, 1)],
        submitted_days=4,
    )
    plan(pw.ty, status=PlanStatus.SUBMITTED)  # another district
    response = login(pw.dm_x).get(URL)

    assert records(response) == [mine]
    row = response.context["table"].paginated_rows[0]
    assert row.get_cell_value("targets_count") == 2
    assert row.get_cell_value("planned_calls") == 9
    assert row.get_cell_value("days_waiting") == 4
    assert row.get_cell_value("quarter") == QUARTER()


def test_filters_and_sort_in_the_url_and_the_export(pw, login):
    plan(pw.tx, status=PlanStatus.SUBMITTED, submitted_days=1)
    plan(pw.tmate, status=PlanStatus.APPROVED)
    plan(pw.tx, quarter="2020-Q1", status=PlanStatus.APPROVED)
    client = login(pw.dm_x)

    def count(**params):
        return client.get(URL, params).context["table"].paginator.count

    assert count() == 2  # this quarter by default
    assert count(quarter="") == 3
    assert count(quarter="2020-Q1") == 1
    assert count(status="approved") == 1
    assert count(rep=pw.mate_x.pk) == 1
    response = client.get(URL, {"sort": "-territory", "quarter": ""})
    codes = [p.territory.code for p in records(response)]
    assert codes == sorted(codes, reverse=True)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    URL, {"sort": "-territory", "quarter": "", "export": "csv"}
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert rows[0][:3] == ["Rep", "Territory", "Quarter"] and len(rows) == 4


@pytest.mark.parametrize(
    "params",
    [{"sort": "bogus"}, {"quarter": "2026-Q9"}, {"status": "lost"}, {"rep": "abc"}, {"page": "0"}],
)
def test_bad_input_never_500(pw, login, params):
    assert login(pw.dm_x).get(URL, params).status_code == 200


def test_another_districts_rep_is_never_exported(pw, login):
    plan(pw.ty, status=PlanStatus.SUBMITTED)
    client = login(pw.dm_x)
    assert client.get(URL, {"rep": pw.rep_y.pk, "export": "csv"}).status_code == 400
    assert records(client.get(URL, {"rep": pw.rep_y.pk})) == []


@pytest.mark.parametrize("persona", ["dm_x", "regional", "admin"])
@pytest.mark.parametrize("extra", ["", "&export=csv"])
def test_query_count_is_flat_in_the_rows(pw, login, persona, extra):
    def grow(n):
        for _ in range(n):
            rep = UserFactory(role=Role.REP)
            territory = TerritoryFactory(district=pw.district_x, team=pw.tx.team, holder=rep)
            customer = CustomerFactory(institution=pw.hx, territory=territory)
            plan(territory, status=PlanStatus.SUBMITTED, targets=[(customer, 2)], submitted_days=2)

    client = login(getattr(pw, persona))
    url = URL + "?sort=rep" + extra
    grow(3)
    small = count_queries(client, url)
    grow(30)
    assert count_queries(client, url) == small


def test_a_long_inbox_shows_the_oldest_and_links_to_all_waiting(pw, login, monkeypatch):
    monkeypatch.setattr("planning.views.INBOX_SHOWN", 1)
    oldest = plan(pw.tx, status=PlanStatus.SUBMITTED, submitted_days=5)
    newer = plan(pw.tmate, status=PlanStatus.SUBMITTED, submitted_days=1)
    response = login(pw.dm_x).get(URL)
    assert response.context["inbox"] == [oldest]
    html = response.content.decode()
    assert '<span class="count">1+</span>' in html
    assert 'href="?quarter=&amp;status=submitted"' in html
    assert set(records(login(pw.dm_x).get(URL, {"quarter": "", "status": "submitted"}))) == {
        oldest,
        newer,
    }
