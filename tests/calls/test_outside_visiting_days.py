"""Calls flagged as recorded outside their institution's visiting days (the institution rule
"flag", calls/services/guardrails.py) are found: a filter of the managers' calls table (kept in
the URL, applied to its export), of the rep's list and of `GET calls/`; a badge on the row and on
the call's page, in Chinese and in English."""

import csv
import io

import pytest
from django.urls import reverse

from calls.models import Call
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db
URL = reverse("calls:list")
API = "/api/v1/calls/"


@pytest.fixture
def flagged(cw):
    """Two calls of tx at hx: one flagged, one not; one of ty flagged (dm_x does not see it)."""
    cw.flagged = make_call(cw.tx, [cw.cx], outside_visiting_days=True)
    cw.plain = make_call(cw.tx, [cw.cx2])
    cw.other = make_call(cw.ty, [cw.cy], outside_visiting_days=True)
    return cw


def test_the_api_filters_the_flagged_calls_in_scope(flagged, api):
    client = api(flagged.dm_x)

    only = client.get(API, {"outside_visiting_days": "true"}).json()["results"]
    others = client.get(API, {"outside_visiting_days": "false"}).json()["results"]
    every = client.get(API).json()["results"]
    bad = client.get(API, {"outside_visiting_days": "maybe"})

    assert [row["id"] for row in only] == [str(flagged.flagged.pk)]
    assert [row["outside_visiting_days"] for row in only] == [True]
    assert [row["id"] for row in others] == [str(flagged.plain.pk)]
    assert len(every) == 2
    assert bad.status_code == 400 and "outside_visiting_days" in bad.json()["errors"]


def test_the_desk_table_filters_shows_the_badge_and_exports_the_filtered_rows(flagged, login):
    client = login(flagged.dm_x)

    page = client.get(URL, {"outside_visiting_days": "true"})
    html = page.content.decode()
    exported = client.get(URL, {"outside_visiting_days": "true", "export": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    everything = client.get(URL, {"export": "csv"}).content.decode("utf-8-sig")

    assert [row.record for row in page.context["table"].paginated_rows] == [flagged.flagged]
    assert 'class="tag flag"' in html and "Outside visiting days" in html
    assert '<option value="true" selected>Outside visiting days</option>' in html
    assert rows[0][-1] == "Outside visiting days" and len(rows) == 2
    assert rows[1][-1] == "Yes"
    assert everything.count("Yes") == 1  # the plain call's cell is empty
    bad = client.get(URL, {"outside_visiting_days": "maybe", "export": "csv"})
    assert bad.status_code == 400


def test_the_badge_and_filter_in_chinese_on_the_desk_the_list_and_the_page(flagged, login):
    for user in (flagged.dm_x, flagged.rep_x):
        user.language = "zh-hans"
        user.save()

    desk = login(flagged.dm_x).get(URL).content.decode()
    detail = login(flagged.dm_x).get(reverse("calls:detail", args=[flagged.flagged.pk]))
    plain = login(flagged.dm_x).get(reverse("calls:detail", args=[flagged.plain.pk]))
    mine = login(flagged.rep_x).get(URL, {"outside_visiting_days": "true"}).content.decode()

    assert desk.count('<span class="tag flag"') == 1 and "非探视日" in desk
    assert '<span class="tag flag">非探视日</span>' in detail.content.decode()
    assert "非探视日</span>" not in plain.content.decode()
    assert mine.count('<span class="tag flag">非探视日</span>') == 1
    assert '<details class="more" open>' in mine  # the filter in use is shown
    assert Call.objects.filter(outside_visiting_days=True).count() == 2
