"""The managers' customer table counts at most core.tables.COUNT_CAP customers ("10,000+"):
lowered to 1 here; below the cap the count is exact."""

import pytest
from django.urls import reverse

from core.tables import CappedPaginator
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = reverse("customers:list")


def heading(response):
    html = response.content.decode()
    start = html.index('<span class="count"')
    return html[html.index(">", start) + 1 : html.index("</span>", start)]


def test_the_count_stops_at_the_cap(world, login, monkeypatch):
    CustomerFactory(name="张三", institution=world.hx, territory=world.tx)
    client = login(world.dm_x)
    assert heading(client.get(URL)) == "2"
    monkeypatch.setattr(CappedPaginator, "cap", 1)
    response = client.get(URL)
    assert heading(response) == "1+"
    assert "More than 1 customers" in response.content.decode()
    assert heading(client.get(URL, {"q": "张三"})) == "1"
