"""The managers' calls table counts at most core.tables.COUNT_CAP calls ("10,000+"): lowered to
2 here."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.tables import CappedPaginator
from tests.calls.factories import make_call
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

URL = reverse("calls:list")


@pytest.fixture
def cap(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 2)


def heading(response):
    html = response.content.decode()
    start = html.index('<span class="count"')
    return html[html.index(">", start) + 1 : html.index("</span>", start)]


def test_up_to_the_cap_the_table_says_how_many(world, login, cap):
    make_call(world.tx, [world.cx], date=timezone.localdate())
    make_call(world.tx, [world.cx], date=timezone.localdate())
    response = login(world.dm_x).get(URL)
    assert heading(response) == "2"
    assert response.context["table"].paginator.capped is False


def test_above_the_cap_it_says_more_and_the_pages_stop_there(world, login, cap):
    for _ in range(3):
        make_call(world.tx, [world.cx], date=timezone.localdate())
    client = login(world.dm_x)
    response = client.get(URL)
    assert heading(response) == "2+"
    assert "More than 2 calls" in response.content.decode()
    assert len(response.context["table"].paginated_rows) == 2  # the pages stop at the cap
    assert count_queries(client, URL) == count_queries(client, f"{URL}?status=completed")
