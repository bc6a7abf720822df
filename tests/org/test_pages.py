"""Login, logout, password change, the language switch and the navigation by role."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_rep_logs_in_and_lands_on_today(client, world):
    response = client.post(reverse("login"), {"username": "rep_x", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    page = client.get(reverse("home")).content.decode()
    assert world.tx.name in page
    assert world.ty.name not in page


def test_a_wrong_password_is_refused_with_a_message(client, world):
    response = client.post(
        reverse("login"), {"username": "rep_x", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    chinese = client.post(
        reverse("login"), {"username": "rep_x", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "请输入一个正确的" in chinese.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post_and_ends_the_session(client, world):
    client.force_login(world.rep_x)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change_checks_the_old_password(client, world):
    client.force_login(world.rep_x)

    bad = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "An0ther-Secret",
            "new_password2": "An0ther-Secret",
        },
    )
    good = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "An0ther-Secret",
            "new_password2": "An0ther-Secret",
        },
    )

    assert bad.status_code == 200
    assert "old_password" in bad.context["form"].errors
    assert good.status_code == 302
    world.rep_x.refresh_from_db()
    assert world.rep_x.check_password("An0ther-Secret")


def test_the_language_choice_is_remembered_on_the_profile(client, world):
    client.force_login(world.rep_x)

    response = client.post(reverse("language_set"), {"language": "zh-hans", "next": "/customers/"})

    assert response.status_code == 302
    assert response.url == "/customers/"
    world.rep_x.refresh_from_db()
    assert world.rep_x.language == "zh-hans"
    # A new session (another device) opens in Chinese too.
    client.logout()
    client.cookies.clear()
    client.force_login(world.rep_x)
    page = client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in page


def test_the_language_switch_refuses_unknown_languages_and_foreign_redirects(client, world):
    client.force_login(world.rep_x)

    response = client.post(
        reverse("language_set"), {"language": "xx", "next": "https://evil.example/"}
    )

    assert response.url == "/"
    world.rep_x.refresh_from_db()
    assert world.rep_x.language == "en"


def test_the_login_page_can_switch_language_before_login(client, db):
    response = client.post(reverse("language_set"), {"language": "zh-hans", "next": "/login/"})

    assert response.cookies["django_language"].value == "zh-hans"
    assert '<html lang="zh-hans">' in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize(
    ("persona", "sees_admin"), [("rep_x", False), ("dm_x", False), ("admin", True)]
)
def test_navigation_shows_admin_only_to_admins(client, world, persona, sees_admin):
    client.force_login(getattr(world, persona))

    page = client.get(reverse("home")).content.decode()

    assert ('href="/admin/"' in page) == sees_admin
    assert 'href="/customers/"' in page
