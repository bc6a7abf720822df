"""The amendment review: the DM sees the call, the rep's reason and the change field by field
(before → after, names not ids, in the reader's language), approves or rejects with a comment;
the diff is kept after the decision; a decided amendment, another district's amendment and a
reader who is not the DM are refused with nothing written."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from calls import selectors
from calls import services as call_services
from calls.models import Amendment, AmendmentStatus
from core.concurrency import Conflict
from tests.calls.factories import KeyMessageFactory, make_call
from tests.concurrency import postgres_only, race
from tests.factories import CustomerFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def request(cw, call, **changes):
    changes = changes or {
        "date": call.date - datetime.timedelta(days=1),
        "customers": [cw.cx, cw.cx2],
        "products": [
            {
                "product": cw.px,
                "key_messages": [cw.km2],
                "feedback": "new feedback",
                "adoption_stage": "trial",
            }
        ],
        "materials": [{"material": cw.leaflet, "quantity": 3}],
        "notes": "Met both doctors",
    }
    return call_services.amendment_request(
        by=cw.rep_x, call=call, reason="Recorded the wrong visit", **changes
    )


def url(amendment):
    return reverse("calls:amendment", args=[amendment.pk])


def rows(html):
    """The diff table as [(label, before, after)] (text, "—" for none)."""

    def text(cell):
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())

    body = html.split('class="table diff-list amendment-diff"', 1)[1].split("</table>", 1)[0]
    return [
        tuple(text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S))
        for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    ]


def test_the_dm_sees_the_change_field_by_field_with_names(cw, locked, login):
    amendment = request(cw, locked)
    day = locked.date

    response = login(cw.dm_x).get(url(amendment))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Recorded the wrong visit" in html
    diff = rows(html)
    assert ("Date", day.isoformat(), (day - datetime.timedelta(days=1)).isoformat()) in diff
    assert ("Notes", "—", "Met both doctors") in diff
    assert ("Attendees", "Wang Jianguo", "Chen Fang、Wang Jianguo") in diff
    product = cw.px.display_name
    assert (
        f"{product} · key messages",
        "Longer progression-free survival",
        "Once-daily oral dose",
    ) in diff
    assert (f"{product} · feedback", "old feedback", "new feedback") in diff
    assert (f"{product} · adoption stage", "—", "Trial") in diff
    assert ("Materials and samples", "Product leaflet × 1", "Product leaflet × 3") in diff
    assert "<del>old feedback</del>" in html and "<ins>new feedback</ins>" in html
    assert str(cw.km1.pk) not in html  # names, never ids
    assert 'name="decision" value="approve"' in html


def test_a_chinese_reader_sees_the_chinese_names(cw, locked, login):
    cw.dm_x.language = "zh-hans"
    cw.dm_x.save()
    amendment = request(cw, locked)

    html = login(cw.dm_x).get(url(amendment)).content.decode()

    with translation.override("zh-hans"):
        attendees = capfirst(gettext("attendees"))
    assert (attendees, "王建国", "王建国、陈芳") in rows(html)
    assert "修改前" in html and "修改后" in html and "Chen Fang" not in html


def test_approving_applies_the_change_and_the_diff_stays(cw, locked, login):
    amendment = request(cw, locked)
    client = login(cw.dm_x)
    before = rows(client.get(url(amendment)).content.decode())

    response = client.post(url(amendment), {"decision": "approve", "comment": "OK"}, follow=True)

    assert "Amendment approved: the call is corrected." in response.content.decode()
    locked.refresh_from_db()
    assert locked.notes == "Met both doctors"
    assert locked.call_products.get().feedback == "new feedback"
    html = client.get(url(amendment)).content.decode()
    assert rows(html) == before  # the call now equals "after", the diff still shows both
    assert 'name="decision"' not in html and "OK" in html
    # A later change of the call does not rewrite the record of this amendment.
    locked.notes = "changed again"
    locked.save()
    assert rows(client.get(url(amendment)).content.decode()) == before


def test_rejecting_needs_a_comment_next_to_its_field(cw, locked, login):
    amendment = request(cw, locked)

    response = login(cw.dm_x).post(url(amendment), {"decision": "reject", "comment": " "})

    assert response.status_code == 400
    html = response.content.decode()
    field = html.split('for="id_comment"', 1)[1].split("</div>", 1)[0]
    assert "Say why the amendment is rejected." in field and 'role="alert"' in field
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.PENDING and amendment.decided_by is None


def test_rejecting_with_a_comment_keeps_the_call(cw, locked, login):
    amendment = request(cw, locked)

    login(cw.dm_x).post(url(amendment), {"decision": "reject", "comment": "Not needed"})

    amendment.refresh_from_db()
    locked.refresh_from_db()
    assert amendment.status == AmendmentStatus.REJECTED
    assert amendment.decision_comment == "Not needed" and locked.notes == ""


def test_deciding_a_decided_amendment_is_refused_with_a_message(cw, locked, login):
    amendment = request(cw, locked)
    call_services.amendment_reject(by=cw.dm_x, amendment=amendment, comment="No")
    client = login(cw.admin)

    response = client.post(url(amendment), {"decision": "approve"}, follow=True)

    assert "This amendment has been decided already." in response.content.decode()
    amendment.refresh_from_db()
    locked.refresh_from_db()
    assert amendment.status == AmendmentStatus.REJECTED and amendment.decided_by == cw.dm_x
    assert locked.notes == ""


def test_the_error_for_a_decided_amendment_is_in_the_readers_language(cw, locked, login):
    cw.admin.language = "zh-hans"
    cw.admin.save()
    amendment = request(cw, locked)
    call_services.amendment_reject(by=cw.dm_x, amendment=amendment, comment="No")
    with translation.override("zh-hans"):
        expected = gettext("This amendment has been decided already.")

    response = login(cw.admin).post(url(amendment), {"decision": "approve"}, follow=True)

    assert expected != "This amendment has been decided already."
    assert expected in response.content.decode()


def test_another_districts_dm_gets_404_and_writes_nothing(cw, locked, login):
    amendment = request(cw, locked)
    client = login(cw.dm_y)

    assert client.get(url(amendment)).status_code == 404
    assert client.post(url(amendment), {"decision": "approve"}).status_code == 404
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.PENDING


def test_the_requesting_rep_reads_it_without_deciding(cw, locked, login):
    amendment = request(cw, locked)
    client = login(cw.rep_x)

    html = client.get(url(amendment)).content.decode()

    assert "Recorded the wrong visit" in html and "<ins>new feedback</ins>" in html
    assert 'name="decision"' not in html
    assert client.post(url(amendment), {"decision": "approve"}).status_code == 403
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.PENDING


def test_the_call_page_links_to_the_review(cw, locked, login):
    amendment = request(cw, locked)

    html = login(cw.dm_x).get(reverse("calls:detail", args=[locked.pk])).content.decode()

    assert url(amendment) in html and 'name="decision"' not in html


def test_an_amendment_kept_before_original_existed_compares_with_the_call(cw, locked, login):
    amendment = request(cw, locked)
    Amendment.objects.filter(pk=amendment.pk).update(original={})
    amendment.refresh_from_db()

    diff = selectors.amendment_diff(amendment)
    call_services.amendment_approve(by=cw.dm_x, amendment=amendment)

    amendment.refresh_from_db()
    assert amendment.original["notes"] == ""  # kept at the decision, before the change
    assert selectors.amendment_diff(amendment) == diff


def test_the_review_queries_do_not_grow_with_the_names(cw, locked, login):
    client = login(cw.dm_x)
    small = request(cw, locked)
    other = make_call(
        cw.tx,
        [cw.cx],
        date=TODAY() - datetime.timedelta(days=21),
        completed_at=timezone.now() - datetime.timedelta(days=19),
        products=[(cw.px, [cw.km1], "old")],
        materials=[(cw.leaflet, 1)],
    )
    messages = [KeyMessageFactory(product=cw.px, text=f"Message {i}") for i in range(8)]
    people = [
        CustomerFactory(institution=cw.hx, department=cw.dx, territory=cw.tx) for _ in range(8)
    ]
    big = request(
        cw,
        other,
        customers=[cw.cx, *people],
        products=[{"product": cw.px, "key_messages": messages, "feedback": "f"}],
        materials=[{"material": cw.leaflet, "quantity": 2}, {"material": cw.sample, "quantity": 1}],
        notes="y",
        date=other.date - datetime.timedelta(days=1),
    )

    assert count_queries(client, url(big)) == count_queries(client, url(small))


@postgres_only
def test_two_managers_deciding_at_once_one_wins(cw, locked):
    amendment = request(cw, locked)

    results = race(
        lambda: call_services.amendment_approve(by=cw.dm_x, amendment=amendment),
        lambda: call_services.amendment_reject(by=cw.admin, amendment=amendment, comment="no"),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), results
    amendment.refresh_from_db()
    assert amendment.status in (AmendmentStatus.APPROVED, AmendmentStatus.REJECTED)
    assert amendment.history.filter(status=amendment.status).count() == 1
