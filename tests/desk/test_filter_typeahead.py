"""The desk tables' territory, institution and rep filters at national scale: above
core.widgets.LARGE_CHOICES choices a search box fed by /desk/choices/<kind>/ replaces the
<select>, the URL keeps ?territory=<id> as before (here the threshold is lowered to 1)."""

import re

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

CUSTOMERS = reverse("customers:list")
CALLS = reverse("calls:list")
PLANS = reverse("planning:list")


def choices(kind):
    return reverse("desk:filter_choices", args=[kind])


@pytest.fixture
def large(monkeypatch):
    monkeypatch.setattr("core.widgets.LARGE_CHOICES", 1)


def box(html, name):
    """(hidden value, search box text) of the type-ahead filter `name`, or None."""
    found = re.search(
        rf'<input type="hidden" name="{name}" value="([^"]*)" data-typeahead-value>'
        r'<input type="search" id="id_' + name + r'" value="([^"]*)"',
        html,
    )
    return found.groups() if found else None


def test_a_small_scope_keeps_its_selects(world, login):
    html = login(world.dm_x).get(CUSTOMERS).content.decode()
    assert '<select name="territory"' in html and '<select name="institution"' in html
    assert box(html, "territory") is None


def test_above_the_threshold_the_filters_are_search_boxes(world, login, large):
    client = login(world.admin)
    html = client.get(CUSTOMERS).content.decode()
    assert '<select name="territory"' not in html and '<select name="institution"' not in html
    assert box(html, "territory") == ("", "")
    assert f'data-typeahead-select="{choices("territory")}"' in html
    assert 'placeholder="All institutions"' in html
    assert "js/typeahead_select.js" in html
    calls = client.get(CALLS).content.decode()
    assert box(calls, "rep") == ("", "") and box(calls, "territory") == ("", "")
    assert box(client.get(PLANS).content.decode(), "rep") == ("", "")


def test_the_id_in_the_url_filters_and_names_the_choice(world, login, large):
    response = login(world.admin).get(CUSTOMERS, {"territory": world.tx.pk})
    html = response.content.decode()
    assert [row.record for row in response.context["table"].paginated_rows] == [world.cx]
    assert box(html, "territory") == (str(world.tx.pk), str(world.tx))


def test_a_choice_outside_the_list_is_an_error_not_a_500(world, login, large):
    client = login(world.admin)
    response = client.get(CUSTOMERS, {"institution": "nonsense"})
    assert response.status_code == 200
    html = response.content.decode()
    assert box(html, "institution") == ("nonsense", "nonsense")
    assert 'class="error"' in html


def test_query_counts_stay_flat_above_the_threshold(world, login, large):
    client = login(world.admin)
    url = f"{CUSTOMERS}?territory={world.tx.pk}"
    before = count_queries(client, url)
    for n in range(5):
        CustomerFactory(name=f"张{n}", institution=world.hx, territory=world.tx)
    assert count_queries(client, url) == before


def test_the_search_is_scoped_like_the_filter(world, login):
    client = login(world.dm_x)
    found = client.get(choices("territory"), {"q": "T"}).json()["results"]
    assert [r["id"] for r in found] == [str(world.tx.pk)]
    assert found[0]["label"] == str(world.tx)
    reps = client.get(choices("rep"), {"q": "rep"}).json()["results"]
    assert [r["id"] for r in reps] == [str(world.rep_x.pk)]
    hospitals = client.get(choices("institution"), {"q": "hospital"}).json()["results"]
    assert [r["label"] for r in hospitals] == ["Renji Hospital"]
    admin = login(world.admin).get(choices("territory"), {"q": "t"}).json()["results"]
    assert {r["id"] for r in admin} >= {str(world.tx.pk), str(world.ty.pk)}


def test_bad_input_to_the_search(world, client, login):
    assert client.get(choices("territory"), {"q": "T"}).status_code == 302  # not logged in
    client = login(world.dm_x)
    assert client.get(choices("region"), {"q": "T"}).status_code == 404
    assert client.get(choices("territory")).json() == {"results": []}
    assert client.get(choices("territory"), {"q": "x" * 5000}).json() == {"results": []}


def test_a_label_typed_back_finds_its_row(world, login):
    found = login(world.dm_x).get(choices("territory"), {"q": str(world.tx)}).json()["results"]
    assert [r["id"] for r in found] == [str(world.tx.pk)]
