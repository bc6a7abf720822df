"""Two browsers editing the same plan: the second save is refused with a clear message and the
form again with the plan as saved now (the form carries the version it was read at)."""

import re

import pytest

from planning.models import Plan
from tests.planning.factories import make_plan

pytestmark = pytest.mark.django_db

MESSAGE = {
    "en": "Someone else saved this plan while you were editing it; nothing of yours was saved.",
    "zh-hans": "您编辑期间，其他人已保存了这份计划；您的修改未保存。",
}


def version_of(page):
    return re.search(r'name="version" value="(\d+)"', page.content.decode()).group(1)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_second_of_two_browser_edits_is_refused_and_shown_the_saved_plan(pw, login, language):
    if language == "zh-hans":
        pw.rep_x.language = "zh-hans"
        pw.rep_x.save()
    plan = make_plan(pw.rep_x, pw.tx, targets=[(pw.cx, 4)])
    url = f"/plans/{plan.pk}/edit/"
    read = version_of(login(pw.rep_x).get(url))
    assert read == "1"

    saved = login(pw.rep_x).post(url, {"goals": "First browser", "version": read})
    refused = login(pw.rep_x).post(url, {"goals": "Second browser", "version": read})

    assert saved.status_code == 302 and refused.status_code == 302
    assert refused.url == url
    again = login(pw.rep_x).get(url)
    page = again.content.decode()
    assert MESSAGE[language] in page
    assert "First browser" in page and "Second browser" not in page
    assert version_of(again) == "2"
    plan = Plan.objects.get()
    assert (plan.version, plan.goals) == (2, "First browser")
