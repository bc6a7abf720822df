"""Two browsers editing the same call: the form carries the version it was read at, so the
second save cannot silently overwrite the first — it gets a clear message and the form again
with the call as saved now; nothing of the second is stored."""

import pytest
from django.urls import reverse

from calls.models import Call, CallStatus
from tests.calls.factories import make_call
from tests.calls.test_call_form import chinese, untouched

pytestmark = pytest.mark.django_db

MESSAGE = {
    "en": "Someone else saved this call while you were editing it; nothing of yours was saved.",
    "zh-hans": "您编辑期间，其他人已保存了这次拜访；您的修改未保存。",
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("status", [CallStatus.COMPLETED, CallStatus.PLANNED])
def test_the_second_of_two_browser_edits_is_refused_and_shown_the_saved_call(
    cw, login, language, status
):
    if language == "zh-hans":
        chinese(cw.rep_x)
    call = make_call(cw.tx, [cw.cx], status=status, notes="", objective="Start")
    url = reverse("calls:edit", args=[call.pk])
    first = untouched(login(cw.rep_x).get(url))
    second = dict(first)
    assert first["version"] == ["1"]

    saved = login(cw.rep_x).post(url, {**first, "objective": "First browser"})
    refused = login(cw.rep_x).post(url, {**second, "objective": "Second browser"})

    assert saved.status_code == 302 and refused.status_code == 302
    assert refused.url == url
    again = login(cw.rep_x).get(url)
    page = again.content.decode()
    assert MESSAGE[language] in page
    assert "First browser" in page and "Second browser" not in page
    assert untouched(again)["version"] == ["2"]
    call = Call.objects.get()
    assert (call.version, call.objective) == (2, "First browser")


def test_a_form_posted_without_a_version_still_saves(cw, login):
    call = make_call(cw.tx, [cw.cx])
    url = reverse("calls:edit", args=[call.pk])
    client = login(cw.rep_x)
    data = untouched(client.get(url))
    del data["version"]

    assert client.post(url, {**data, "objective": "No version"}).status_code == 302
    assert Call.objects.get().objective == "No version"


def test_a_bad_version_is_an_error_on_the_form_not_a_500(cw, login):
    call = make_call(cw.tx, [cw.cx])
    url = reverse("calls:edit", args=[call.pk])
    client = login(cw.rep_x)
    data = untouched(client.get(url))

    response = client.post(url, {**data, "version": "abc", "objective": "x"})

    assert response.status_code == 200
    assert Call.objects.get().objective != "x"
