# ruff: noqa: F811 - the `figures` fixture is imported from test_pages
"""The regional roll-up: districts, six-month trends, the split by team (each against its own
requirements) and by product, every rep of the region ranked worst first with links to the
customers behind each figure; query counts flat in the number of districts and reps."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.periods import parse
from reports import engine
from reports.models import Requirement
from tests.factories import (
    CustomerFactory,
    DistrictFactory,
    InstitutionFactory,
    TerritoryFactory,
    UserFactory,
    classify,
)
from tests.reports.test_pages import PERIOD, URL, call, figures  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def roll_up(login, user, **query):
    response = login(user).get(URL, {"period": PERIOD, **query})
    assert response.status_code == 200
    return response


def test_the_roll_up_has_districts_trends_teams_products_and_ranked_reps(figures, login):
    response = roll_up(login, figures.regional)

    content = response.content.decode()
    for heading in ("Districts", "Last six months", "By team", "By product"):
        assert f">{heading}</h2>" in content
    assert "Reps ranked across districts" in content
    assert [line["district"].code for line in response.context["lines"]] == ["X", "Y"]
    assert len(response.context["charts"]) == 3
    teams = {line["team"].pk for line in response.context["team_lines"]}
    assert teams == {figures.tx.team_id, figures.ty.team_id}
    (product,) = response.context["products"]
    assert product["product"] == figures.px
    assert product["territories"] == 2
    # tx: A targets cx (covered), c_missing; B c_short (covered). ty: A cy (covered at a PIM).
    assert (product["targets"], product["covered"]) == (4, 3)
    assert "as of" in content


def test_reps_are_ranked_worst_first_and_each_opens_in_one_click(figures, login):
    response = roll_up(login, figures.regional)

    rows = response.context["rep_rows"]
    assert [r["territory"].code for r in rows] == ["TX", "TY"]  # tx: c_missing uncovered
    assert rows[0]["unmet"] >= rows[1]["unmet"]
    content = response.content.decode()
    assert (
        f'class="rg-rep" href="/reports/?territory={figures.tx.pk}&amp;period={PERIOD}"' in content
    )
    drill = (
        f'data-figure class="rp-drill" href="/reports/targets/?territory={figures.tx.pk}'
        f'&amp;period={PERIOD}&amp;klass=A&amp;show=uncovered"'
    )
    assert drill in content


def test_a_figure_of_a_rep_lands_on_exactly_its_customers(figures, login):
    client = login(figures.regional)
    response = client.get(
        "/reports/targets/",
        {"territory": figures.tx.pk, "period": PERIOD, "klass": "A", "show": "uncovered"},
    )
    assert response.status_code == 200
    assert [c.name for c in response.context["customers"]] == ["缺席"]
    rows = roll_up(login, figures.regional).context["rep_rows"]
    tx = next(r for r in rows if r["territory"] == figures.tx)
    a = tx["ab"]["A"]
    assert a["targets"] - a["covered"] == 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("team", None), ("-pims", ["TY", "TX"]), ("a_cov", ["TX", "TY"]), ("-a_cov", ["TY", "TX"])],
)
def test_the_ranking_sorts_by_any_column(figures, login, sort, expected):
    rows = roll_up(login, figures.regional, sort=sort).context["rep_rows"]
    codes = [r["territory"].code for r in rows]
    if expected is None:
        expected = [t.code for t in sorted((figures.tx, figures.ty), key=lambda t: t.team.code)]
    assert codes == expected


def test_an_unknown_sort_falls_back_to_worst_first(figures, login):
    rows = roll_up(login, figures.regional, sort="nonsense").context["rep_rows"]
    assert [r["territory"].code for r in rows] == ["TX", "TY"]


def test_the_team_filter_keeps_one_team(figures, login):
    rows = roll_up(login, figures.regional, team=str(figures.tx.team_id)).context["rep_rows"]
    assert [r["territory"].code for r in rows] == ["TX"]
    assert roll_up(login, figures.regional, team="junk").context["rep_rows"] == []


def test_each_team_is_judged_against_its_own_requirements(figures, login):
    # tx's team asks 40 % coverage of A: 1 of 2 covered is met for it, not for the default.
    Requirement.objects.create(
        team=figures.tx.team, klass="A", monthly_coverage="0.40", calls_per_month=None
    )
    response = roll_up(login, figures.regional)
    line = next(x for x in response.context["team_lines"] if x["team"] == figures.tx.team)
    assert line["ab"]["A"]["coverage_pct"] == "50 %"
    assert line["ab"]["A"]["coverage_state"] == "met"
    tx = next(r for r in response.context["rep_rows"] if r["territory"] == figures.tx)
    assert tx["ab"]["A"]["coverage_state"] == "met"
    district_x = response.context["lines"][0]
    assert district_x["cells"][0]["coverage_state"] == "met"  # a district of one team


def test_another_region_is_404(figures, login):
    other = DistrictFactory().region
    response = login(figures.regional).get(URL, {"region": other.pk})
    assert response.status_code == 404


def count_queries(client, **query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"period": PERIOD, **query})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_districts(figures, n):
    """n more districts of the region, each with two reps of new teams carrying px, targets
    and calls."""
    for i in range(n):
        district = DistrictFactory(region=figures.region, dm=UserFactory(), code=f"Z{i}")
        for j in range(2):
            territory = TerritoryFactory(district=district, holder=UserFactory(), code=f"Z{i}{j}")
            territory.team.products.add(figures.px)
            hospital = InstitutionFactory()
            customer = classify(
                CustomerFactory(institution=hospital, territory=territory), figures.px, "AB"[j]
            )
            call(territory, [customer], day=3 + j)
    engine.recompute(period=parse(PERIOD))


def test_query_counts_are_flat_in_the_number_of_districts_and_reps(figures, login):
    client = login(figures.regional)
    count_queries(client)  # warm
    one = count_queries(client, sort="rep")
    add_districts(figures, 2)
    response = client.get(URL, {"period": PERIOD})
    assert len(response.context["lines"]) == 4
    assert len(response.context["rep_rows"]) == 6
    assert count_queries(client, sort="rep") == one
