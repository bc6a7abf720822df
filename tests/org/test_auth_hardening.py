"""Authentication hardening: guessing passwords is stopped on every login path (by username and
client address, which a client cannot choose through X-Forwarded-For), weak passwords are refused
on every path that sets one, a new password or a deactivation signs every device out, and the
API's schema and docs are for signed-in users."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from org.models import ApiToken, User
from org.services import api_token_create
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = getattr(
    settings, "AXES_FAILURE_LIMIT", 10
)  # a setting (LOGIN_FAILURE_LIMIT), 10 by default
LOCKED_EN = "Too many failed log-ins"
LOCKED_ZH = "登录失败次数过多"


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


def _post_login(client, path, password, **extra):
    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return client.post(path, {"username": "boss", "password": password}, **extra)


def _logged_in(client):
    return "_auth_user_id" in client.session


# Brute force: every login path locks out


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_thirty_wrong_passwords_lock_the_browser_login_even_for_the_right_one(client, boss, path):
    for i in range(30):
        _post_login(client, path, f"guess-{i}")

    response = _post_login(client, path, PASSWORD)

    assert response.status_code == 429
    assert not _logged_in(client)
    page = response.content.decode()
    assert LOCKED_EN in page
    assert "15 minutes" in page
    assert 'name="username"' in page and 'value="boss"' in page  # the form is shown again


def test_the_lock_out_page_speaks_chinese(client, boss):
    for i in range(LIMIT):
        _post_login(client, "/login/", f"guess-{i}", HTTP_ACCEPT_LANGUAGE="zh-hans")

    response = _post_login(client, "/login/", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 429
    assert LOCKED_ZH in response.content.decode()


def test_fewer_failures_than_the_limit_do_not_lock_and_a_success_resets_the_count(client, boss):
    for _round in range(3):
        for i in range(LIMIT - 1):
            assert _post_login(client, "/login/", f"guess-{i}").status_code == 200
        assert _post_login(client, "/login/", PASSWORD).status_code == 302
        assert _logged_in(client)
        client.logout()


def test_the_lock_out_holds_one_username_from_one_address(client, boss):
    UserFactory(username="colleague")
    for i in range(LIMIT):
        _post_login(client, "/login/", f"guess-{i}")

    other_user = client.post("/login/", {"username": "colleague", "password": PASSWORD})
    assert other_user.status_code == 302
    client.logout()
    other_address = _post_login(client, "/login/", PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert other_address.status_code == 302


def test_the_lock_out_ends_after_the_cool_off(client, boss):
    from axes.models import AccessAttempt

    for i in range(LIMIT):
        _post_login(client, "/login/", f"guess-{i}")
    assert _post_login(client, "/login/", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))

    assert _post_login(client, "/login/", PASSWORD).status_code == 302


def _token(client, password, **extra):
    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return client.post(
        "/api/v1/auth/token/", {"username": "boss", "password": password}, format="json", **extra
    )


def test_the_token_endpoint_locks_out_in_the_api_error_shape(boss):
    client = APIClient()
    # Fewer requests than the endpoint's throttle allows (20/minute): the lock-out stops them.
    for i in range(LIMIT):
        assert _token(client, f"guess-{i}").status_code in (400, 429)

    response = _token(client, PASSWORD)

    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert LOCKED_EN in body["detail"]
    assert int(response["Retry-After"]) == 15 * 60
    assert not ApiToken.objects.filter(user=boss).exists()
    chinese = _token(client, PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 429 and LOCKED_ZH in chinese.json()["detail"]


def test_the_token_endpoint_counts_towards_the_browser_lock_out(client, boss):
    api = APIClient()
    for i in range(LIMIT):
        _token(api, f"guess-{i}")

    assert _post_login(client, "/login/", PASSWORD).status_code == 429


def test_a_token_is_a_login_that_resets_the_count(boss):
    client = APIClient()
    for _round in range(2):
        for i in range(LIMIT - 1):
            _token(client, f"guess-{i}")
        assert _token(client, PASSWORD).status_code == 200


# X-Forwarded-For: trusted only as deep as NUM_PROXIES says (default 0: not at all)


def test_rotating_x_forwarded_for_escapes_neither_the_throttle_nor_the_lock_out(client, boss):
    api = APIClient()
    statuses = [
        _token(api, f"guess-{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(25)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429

    for i in range(LIMIT):
        _post_login(client, "/admin/login/", f"guess-{i}", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    response = _post_login(client, "/admin/login/", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_behind_one_proxy_the_address_it_saw_counts_and_a_forged_prefix_does_not(
    client, boss, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for i in range(LIMIT):
        _post_login(client, "/login/", f"guess-{i}", HTTP_X_FORWARDED_FOR="203.0.113.7")

    forged = _post_login(client, "/login/", PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert forged.status_code == 429
    another_client = _post_login(client, "/login/", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert another_client.status_code == 302


def test_num_proxies_is_a_setting_that_trusts_no_proxy_by_default():
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


# Passwords: Django's validators on every path


@pytest.mark.parametrize("password", ["1", "12345678901", "password123", "boss-boss"])
def test_the_api_refuses_a_weak_password_for_a_new_user(world, api, password):
    response = api(world.admin).post(
        "/api/v1/users/", {"username": "boss-boss", "password": password}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["password"]
    assert not User.objects.filter(username="boss-boss").exists()


def test_the_api_refuses_a_weak_new_password_in_chinese_and_keeps_the_old(world, api):
    world.admin.language = "zh-hans"
    world.admin.save()

    response = api(world.admin).patch(
        f"/api/v1/users/{world.rep_x.pk}/", {"password": "1"}, format="json"
    )

    assert response.status_code == 400
    assert "密码只包含数字" in " ".join(response.json()["errors"]["password"])
    world.rep_x.refresh_from_db()
    assert world.rep_x.check_password(PASSWORD)


def test_the_api_accepts_a_strong_password(world, api):
    response = api(world.admin).post(
        "/api/v1/users/", {"username": "newrep", "password": "Lin-Hai-2026!"}, format="json"
    )

    assert response.status_code == 201
    assert User.objects.get(username="newrep").check_password("Lin-Hai-2026!")


# Tokens: a new password or a deactivation signs every device out


def _token_works(user_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {user_token.key}")
    return client.get("/api/v1/me/").status_code == 200


def test_a_password_change_in_the_browser_revokes_the_users_tokens(world, client):
    token = api_token_create(user=world.rep_x, device="phone")
    assert _token_works(token)
    client.force_login(world.rep_x)

    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Lin-Hai-2026!",
            "new_password2": "Lin-Hai-2026!",
        },
    )

    assert response.status_code == 302
    assert not _token_works(token)
    assert not ApiToken.objects.filter(user=world.rep_x).exists()


def test_a_password_set_in_the_admin_revokes_the_users_tokens(world, client, boss):
    token = api_token_create(user=world.rep_x, device="phone")
    client.force_login(boss)

    response = client.post(
        f"/admin/org/user/{world.rep_x.pk}/password/",
        {"password1": "Lin-Hai-2026!", "password2": "Lin-Hai-2026!", "usable_password": "true"},
    )

    assert response.status_code == 302
    assert not _token_works(token)


def test_a_password_set_through_the_api_revokes_the_users_tokens(world, api):
    token = api_token_create(user=world.rep_x, device="phone")

    response = api(world.admin).patch(
        f"/api/v1/users/{world.rep_x.pk}/", {"password": "Lin-Hai-2026!"}, format="json"
    )

    assert response.status_code == 200
    assert not _token_works(token)


def test_a_deactivation_revokes_the_users_tokens(world, api):
    api_token_create(user=world.rep_x, device="phone")

    response = api(world.admin).patch(
        f"/api/v1/users/{world.rep_x.pk}/", {"is_active": False}, format="json"
    )

    assert response.status_code == 200
    assert not ApiToken.objects.filter(user=world.rep_x).exists()


def test_other_edits_keep_the_users_tokens(world, api):
    token = api_token_create(user=world.rep_x, device="phone")

    api(world.admin).patch(f"/api/v1/users/{world.rep_x.pk}/", {"name": "林海"}, format="json")

    assert _token_works(token)


# The schema and the docs are for signed-in users


def test_the_schema_and_the_docs_need_a_login(world, client, api):
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/?next=/api/docs/")

    assert api(world.rep_x).get("/api/schema/").status_code == 200
    client.force_login(world.rep_x)
    assert client.get("/api/docs/").status_code == 200
