"""The bell, the notification list, opening one (read, then to the place to act), e-mail
opt-outs, the admins' Reminders page, and the `notifications/` API — each scoped to its owner."""

import pytest
from django.urls import reverse

from notifications import services
from notifications.models import EmailOptOut, Notification, Rule, RuleRun, RuleSetting

pytestmark = pytest.mark.django_db


def note(user, period="2026-03", kind=Rule.MONTH_END, url="/reports/", message="3 targets"):
    return Notification.objects.create(
        user=user, kind=kind, period=period, url=url, message=message
    )


def test_the_bell_shows_the_unread_count_on_every_page(world, login):
    note(world.rep_x)
    note(world.rep_x, period="2026-04")
    note(world.rep_y)  # someone else's

    page = login(world.rep_x).get("/customers/").content.decode()

    assert 'class="bell-count">2<' in page


def test_the_list_shows_only_ones_own_notifications(world, login):
    note(world.rep_x, message="mine")
    note(world.rep_y, message="not mine")

    page = login(world.rep_x).get(reverse("notifications:list")).content.decode()

    assert "mine" in page and "not mine" not in page


def test_opening_a_notification_marks_it_read_and_goes_to_the_place_to_act(world, login):
    mine = note(world.rep_x, url="/reports/?period=2026-03")

    response = login(world.rep_x).get(reverse("notifications:open", args=[mine.pk]))

    assert response.status_code == 302 and response.url == "/reports/?period=2026-03"
    mine.refresh_from_db()
    assert mine.read


def test_someone_elses_notification_does_not_open(world, login):
    theirs = note(world.rep_y)
    assert (
        login(world.rep_x).get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    )
    theirs.refresh_from_db()
    assert not theirs.read


def test_an_outside_link_is_not_followed(world, login):
    odd = note(world.rep_x, url="https://evil.example.com/")
    response = login(world.rep_x).get(reverse("notifications:open", args=[odd.pk]))
    assert response.url == reverse("notifications:list")


def test_mark_all_as_read(world, login):
    note(world.rep_x)
    note(world.rep_x, period="2026-04")
    theirs = note(world.rep_y)

    login(world.rep_x).post(reverse("notifications:read_all"))

    assert not Notification.objects.filter(user=world.rep_x, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert not theirs.read


def test_a_user_opts_out_of_a_rules_e_mails(world, login):
    client = login(world.rep_x)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "Month end near" in page

    wanted = dict.fromkeys((Rule.PLAN_DUE, Rule.PLAN_RETURNED), "on")
    client.post(reverse("notifications:settings"), wanted)

    opted_out = set(EmailOptOut.objects.filter(user=world.rep_x).values_list("rule", flat=True))
    assert Rule.MONTH_END in opted_out and Rule.PLAN_DUE not in opted_out


def test_only_admins_open_the_reminders_page(world, login):
    assert login(world.rep_x).get(reverse("notifications:rules")).status_code == 403
    assert login(world.dm_x).get(reverse("notifications:rules")).status_code == 403
    page = login(world.admin).get(reverse("notifications:rules"))
    assert page.status_code == 200
    assert "Weekly team digest" in page.content.decode()


def test_an_admin_changes_a_rules_parameters(world, login):
    url = reverse("notifications:rule_edit", args=[Rule.MONTH_END])
    client = login(world.admin)

    client.post(
        url,
        {
            "month_end-is_active": "on",
            "month_end-days": "3",
            "month_end-time": "10:00",
            "month_end-send_email": "on",
        },
    )

    assert RuleSetting.objects.get(rule=Rule.MONTH_END).days == 3


@pytest.mark.parametrize("days", ["-1", "91", "x", ""])
def test_bad_parameters_are_refused_with_a_message(world, login, days):
    services.rule_settings()
    url = reverse("notifications:rule_edit", args=[Rule.MONTH_END])

    response = login(world.admin).post(
        url, {"month_end-is_active": "on", "month_end-days": days, "month_end-time": "10:00"}
    )

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert RuleSetting.objects.get(rule=Rule.MONTH_END).days == 5


def test_a_rep_cannot_change_a_rule(world, login):
    services.rule_settings()
    url = reverse("notifications:rule_edit", args=[Rule.MONTH_END])
    data = {"month_end-days": "1", "month_end-time": "10:00"}
    assert login(world.rep_x).post(url, data).status_code == 403
    assert RuleSetting.objects.get(rule=Rule.MONTH_END).days == 5


def test_an_admin_runs_a_rule_now_and_sees_its_last_run(world, login):
    client = login(world.admin)

    response = client.post(
        reverse("notifications:rule_run", args=[Rule.NO_PIM]), {"confirm": "1"}, follow=True
    )

    run = RuleRun.objects.get(rule=Rule.NO_PIM)
    assert run.started_by == world.admin and run.finished_at is not None
    assert "Last run" in response.content.decode()


def test_an_unknown_rule_answers_404(world, login):
    response = login(world.admin).post(reverse("notifications:rule_run", args=["nope"]))
    assert response.status_code == 404


def test_list_page_queries_do_not_grow(world, login, django_assert_max_num_queries):
    for i in range(20):
        note(world.rep_x, period=f"p{i}")
    client = login(world.rep_x)
    with django_assert_max_num_queries(8):
        client.get(reverse("notifications:list"))


# API


def test_the_api_lists_ones_own_notifications_newest_first(world, api):
    older = note(world.rep_x, period="2026-02")
    newer = note(world.rep_x, period="2026-03")
    note(world.rep_y)

    body = api(world.rep_x).get("/api/v1/notifications/").json()

    assert [n["id"] for n in body["results"]] == [str(newer.pk), str(older.pk)]
    assert set(body["results"][0]) >= {"id", "kind", "message", "url", "created_at", "read"}


def test_the_api_marks_one_read_and_filters_unread(world, api):
    mine = note(world.rep_x)
    note(world.rep_x, period="2026-04")
    client = api(world.rep_x)

    response = client.post(f"/api/v1/notifications/{mine.pk}/read/")

    assert response.status_code == 200 and response.json()["read"] is True
    unread = client.get("/api/v1/notifications/?read=false").json()["results"]
    assert str(mine.pk) not in {n["id"] for n in unread} and len(unread) == 1


def test_the_api_does_not_reveal_someone_elses_notification(world, api):
    theirs = note(world.rep_y)
    client = api(world.admin)  # not even to an admin
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api(None).get("/api/v1/notifications/").status_code == 401


def test_the_api_refuses_writes(world, api):
    response = api(world.rep_x).post("/api/v1/notifications/", {"message": "x"}, format="json")
    assert response.status_code == 405
