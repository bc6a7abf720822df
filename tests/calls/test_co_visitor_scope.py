"""A co-visitor is one of the rep's managers (calls.selectors.co_visitor_choices), checked in
calls.services for the API and the call form alike: a user outside the choices and an id that
names no user get one and the same answer, which names nobody."""

import pytest
from django.utils import timezone

from calls.models import Call, CallStatus
from tests.calls.factories import make_call
from tests.calls.test_api import URL, payload
from tests.calls.test_call_form import chinese, new_url, untouched
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ENGLISH = "Choose a co-visitor among the rep's managers."
CHINESE = "请从代表的经理中选择协访人。"


def _secret_names(cw):
    """Give the users outside rep_x's choices names the answers must never show."""
    stranger = UserFactory(username="stranger_sun", name="孙秘密")
    for user, name in ((cw.dm_y, "杜机密"), (cw.outsider_rep, "欧外人"), (cw.rep_x2, "任同事")):
        user.name = name
        user.save()
    return [cw.dm_y, cw.outsider_rep, cw.rep_x2, stranger]


def _names(users):
    return [n for u in users for n in (u.name, u.username)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_api_answers_the_same_for_a_user_outside_the_choices_and_no_user(cw, api, language):
    outside = _secret_names(cw)
    if language == "zh-hans":
        chinese(cw.rep_x)
    client = api(cw.rep_x)
    answers = set()
    for value in [u.pk for u in outside] + [987654, "abc"]:
        response = client.post(URL, payload(cw, co_visitor=value), format="json")
        assert response.status_code == 400, response.json()
        body = response.content.decode()
        assert not any(name in body for name in _names(outside)), body
        answers.add(tuple(response.json()["errors"]["co_visitor"]))
    assert answers == {(ENGLISH if language == "en" else CHINESE,)}
    assert not Call.objects.exists()


@pytest.mark.parametrize("persona", ["rep_x", "admin"])
def test_a_patch_cannot_name_a_co_visitor_outside_the_choices(cw, api, persona):
    outside = _secret_names(cw)
    call = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, date=timezone.localdate())
    client = api(getattr(cw, persona))
    for user in outside:
        response = client.patch(
            f"{URL}{call.pk}/",
            {"co_visitor": user.pk},
            format="json",
            HTTP_IF_MATCH=f'"{call.version}"',
        )
        assert response.status_code == 400, response.json()
        assert response.json()["errors"]["co_visitor"] == [ENGLISH]
        assert not any(name in response.content.decode() for name in _names(outside))
    call.refresh_from_db()
    assert call.co_visitor is None


def test_the_rep_s_managers_are_accepted(cw, api):
    for manager in (cw.dm_x, cw.regional):
        response = api(cw.rep_x).post(URL, payload(cw, co_visitor=manager.pk), format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["co_visitor"] == manager.pk


def test_the_call_form_refuses_a_user_outside_the_choices_without_naming_them(cw, login):
    outside = _secret_names(cw)
    client = login(cw.rep_x)
    data = untouched(client.get(new_url(cw.cx)))
    for user in outside:
        response = client.post(new_url(cw.cx), {**data, "co_visitor": str(user.pk)})
        assert response.status_code == 200
        assert response.context["form"].errors["co_visitor"]
        assert not any(name in response.content.decode() for name in _names(outside))
    assert not Call.objects.exists()
