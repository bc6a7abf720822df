"""Tokens per device: a user lists and revokes their own, an admin everybody's; throttling."""

import pytest
from rest_framework.test import APIClient

from org.models import ApiToken
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(user, device):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD, "device": device},
        format="json",
    )
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_a_login_names_its_device(world):
    login(world.rep_x, "iPad 7")

    assert ApiToken.objects.get(user=world.rep_x).device == "iPad 7"


def test_a_user_lists_their_own_devices_only(world):
    ipad = login(world.rep_x, "iPad")
    login(world.rep_x, "Phone")
    login(world.rep_y, "Other phone")

    rows = ipad.get("/api/v1/tokens/").json()["results"]

    assert sorted(row["device"] for row in rows) == ["Phone", "iPad"]
    assert [row["device"] for row in rows if row["current"]] == ["iPad"]
    assert "key" not in rows[0]


def test_a_user_revokes_a_lost_device_and_it_is_locked_out(world):
    ipad = login(world.rep_x, "iPad")
    phone = login(world.rep_x, "Phone")
    lost = ApiToken.objects.get(device="Phone")

    response = ipad.delete(f"/api/v1/tokens/{lost.pk}/")

    assert response.status_code == 204
    assert phone.get("/api/v1/me/").status_code == 401
    assert ipad.get("/api/v1/me/").status_code == 200


def test_another_users_token_is_not_found(world):
    login(world.rep_y, "Other phone")
    other = ApiToken.objects.get(user=world.rep_y)

    response = login(world.rep_x, "iPad").delete(f"/api/v1/tokens/{other.pk}/")

    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()


def test_an_admin_lists_and_revokes_everybodys_tokens(world):
    login(world.rep_y, "Other phone")
    admin = login(world.admin, "Laptop")
    other = ApiToken.objects.get(user=world.rep_y)

    listed = admin.get("/api/v1/tokens/", {"user": world.rep_y.pk}).json()["results"]
    response = admin.delete(f"/api/v1/tokens/{other.pk}/")

    assert [row["device"] for row in listed] == ["Other phone"]
    assert response.status_code == 204


def test_too_many_logins_answer_429_with_the_error_shape(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "3/minute")
    client = APIClient()
    body = {"username": world.rep_x.username, "password": "wrong"}

    answers = [client.post("/api/v1/auth/token/", body, format="json") for _ in range(4)]

    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    assert set(answers[-1].json()) == {"detail", "errors"}
    assert int(answers[-1]["Retry-After"]) > 0


def test_the_devices_page_lists_and_signs_out_ones_own_devices(world, client):
    login(world.rep_x, "iPad")
    login(world.rep_y, "Other phone")
    other = ApiToken.objects.get(user=world.rep_y)
    client.force_login(world.rep_x)

    page = client.get("/account/devices/")
    foreign = client.post("/account/devices/", {"token": other.pk})
    mine = client.post("/account/devices/", {"token": ApiToken.objects.get(user=world.rep_x).pk})

    assert b"iPad" in page.content and b"Other phone" not in page.content
    assert foreign.status_code == 404
    assert mine.status_code == 302
    assert not ApiToken.objects.filter(user=world.rep_x).exists()
    assert ApiToken.objects.filter(pk=other.pk).exists()
