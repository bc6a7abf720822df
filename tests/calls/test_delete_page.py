"""A rep deletes a planned call they will not make from the call's page: a confirmation page
(GET), then the delete (POST) checked against the version the page was read at. Completed and
cancelled calls offer no delete; another territory's call is a 404, a manager's try a 403."""

import pytest
from django.urls import reverse
from django.utils import translation

from calls import services
from calls.models import Call, CallStatus
from tests.calls.factories import make_call
from tests.factories import CustomerFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def delete_url(call):
    return reverse("calls:delete", args=[call.pk])


def test_a_rep_deletes_a_planned_call_after_confirming(cw, login):
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)
    client = login(cw.rep_x)

    detail = client.get(reverse("calls:detail", args=[call.pk])).content.decode()
    assert f'href="{delete_url(call)}"' in detail
    confirm = client.get(delete_url(call))
    assert confirm.status_code == 200
    assert "Delete the planned call?" in confirm.content.decode()
    assert Call.objects.filter(pk=call.pk).exists()  # asking deletes nothing

    response = client.post(delete_url(call), {"version": call.version}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("calls:list")
    assert "Planned call deleted." in response.content.decode()
    assert not Call.objects.filter(pk=call.pk).exists()


def test_the_confirmation_is_in_chinese_for_a_chinese_rep(cw, login):
    cw.rep_x.language = "zh-hans"
    cw.rep_x.save()
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)

    with translation.override("zh-hans"):
        page = login(cw.rep_x).get(delete_url(call)).content.decode()

    assert "删除这个计划拜访？" in page
    assert "删除拜访" in page


@pytest.mark.parametrize("status", [CallStatus.COMPLETED, CallStatus.CANCELLED])
def test_a_completed_or_cancelled_call_offers_no_delete_and_is_kept(cw, login, status):
    call = make_call(cw.tx, [cw.cx], status=status)
    client = login(cw.rep_x)

    detail = client.get(reverse("calls:detail", args=[call.pk])).content.decode()
    response = client.post(delete_url(call), {"version": call.version}, follow=True)

    assert delete_url(call) not in detail
    assert response.redirect_chain[-1][0] == reverse("calls:detail", args=[call.pk])
    assert "Only a planned call can be deleted." in response.content.decode()
    assert Call.objects.filter(pk=call.pk).exists()


def test_a_call_changed_since_the_page_was_read_is_not_deleted(cw, login):
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)
    client = login(cw.rep_x)
    client.get(delete_url(call))  # read at version 1
    services.call_update(by=cw.rep_x, call=call, notes="moved to the afternoon")

    response = client.post(delete_url(call), {"version": 1}, follow=True)

    assert "nothing was deleted" in response.content.decode()
    assert Call.objects.get(pk=call.pk).version == 2


def test_a_tampered_version_deletes_nothing_and_is_no_500(cw, login):
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)

    response = login(cw.rep_x).post(delete_url(call), {"version": "abc"})

    assert response.status_code == 200
    assert Call.objects.filter(pk=call.pk).exists()


def test_another_territorys_call_is_a_404_and_a_managers_try_a_403(cw, login):
    theirs = make_call(cw.ty, [cw.cy], status=CallStatus.PLANNED)
    ours = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)

    assert login(cw.rep_x).post(delete_url(theirs)).status_code == 404
    assert login(cw.rep_x).get(delete_url(theirs)).status_code == 404
    assert login(cw.dm_x).post(delete_url(ours)).status_code == 403
    assert Call.objects.filter(pk__in=[theirs.pk, ours.pk]).count() == 2


def test_the_confirmation_page_does_not_grow_with_the_attendees(cw, login):
    client = login(cw.rep_x)
    small = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED)
    others = [CustomerFactory(institution=cw.hx, territory=cw.tx) for _ in range(4)]
    large = make_call(cw.tx, [cw.cx, cw.cx2, *others], status=CallStatus.PLANNED)

    assert count_queries(client, delete_url(large)) == count_queries(client, delete_url(small))
