"""Tokens per device, `me/`, the error shape and pagination of /api/v1/."""

import pytest
from rest_framework.test import APIClient

from org.models import ApiToken
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_client_gets_a_token_and_uses_it(world):
    client = APIClient()

    response = client.post(
        "/api/v1/auth/token/",
        {"username": "rep_x", "password": PASSWORD, "device": "iPad"},
        format="json",
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert me.status_code == 200
    assert me.json() | {"id": None} == {
        "id": None,
        "username": "rep_x",
        "name": world.rep_x.name,
        "name_en": world.rep_x.name_en,
        "display_name": world.rep_x.display_name,
        "role": "rep",
        "language": "en",
        "territories": [str(world.tx.pk)],
        "district": str(world.district_x.pk),
    }
    assert ApiToken.objects.get(user=world.rep_x).device == "iPad"


def test_each_device_has_its_own_revocable_token(world, api):
    tablet, phone = api(world.rep_x), api(world.rep_x)

    assert tablet.delete("/api/v1/auth/token/").status_code == 204

    assert tablet.get("/api/v1/me/").status_code == 401
    assert phone.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "rep_x", "password": "wrong"}, "non_field_errors"),
        ({"username": "rep_x"}, "password"),
        ({}, "username"),
    ],
)
def test_bad_credentials_answer_400_with_the_error_shape(world, payload, field):
    response = APIClient().post("/api/v1/auth/token/", payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert field in response.json()["errors"]
    assert not ApiToken.objects.exists()


def test_malformed_json_is_a_400_not_a_500(world):
    response = APIClient().post("/api/v1/auth/token/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_without_a_token_the_api_answers_401(world):
    response = APIClient().get("/api/v1/customers/")

    assert response.status_code == 401
    assert response.json()["errors"] == {}


def test_a_made_up_token_answers_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")

    assert client.get("/api/v1/me/").status_code == 401


def test_messages_follow_the_accept_language(world):
    response = APIClient().get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 401
    assert response.json()["detail"] == "身份认证信息未提供。"


@pytest.mark.parametrize(
    ("language", "message"), [("zh-hans", "该字段是必填项。"), ("en", "required")]
)
def test_a_token_client_is_answered_in_its_users_language(world, api, language, message):
    world.admin.language = language
    world.admin.save()

    response = api(world.admin).post("/api/v1/regions/", {}, format="json")

    assert response.status_code == 400
    assert message in response.json()["errors"]["name"][0]


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(client, world):
    client.force_login(world.rep_x)
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/customers/" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in docs.content


def test_guessing_passwords_is_throttled(world):
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/token/", {"username": "rep_x", "password": f"guess{i}"}, format="json"
        ).status_code
        for i in range(25)
    ]

    assert statuses[0] == 400
    assert statuses[-1] == 429
