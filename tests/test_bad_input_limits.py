"""What a user (or a client) sees on bad input: a 400 or a form message in their language,
nothing saved, never a 500 (the sweep in tests/test_bad_input_sweep.py covers every endpoint)."""

import json

import pytest

from calls.models import Call, CoachingComment
from org.services import api_token_create
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db


def _deep(depth):
    return '{"a":' * depth + "1" + "}" * depth


def _error(response, status=400):
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return body


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_even_without_login(api, depth):
    response = api(None).post("/api/v1/auth/token/", _deep(depth), content_type="application/json")

    assert "嵌套过深" in _error(response)["detail"]  # zh-Hans: the company default


def test_a_json_body_of_sane_depth_still_works(world, api):
    response = api(world.rep_x).post(
        "/api/v1/calls/", {"customers": [str(world.cx.pk)], "notes": "ok"}, format="json"
    )

    assert response.status_code == 201


def test_a_json_body_over_the_size_limit_is_a_400(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"customers": [str(world.cx.pk)], "notes": "x" * 2000})

    response = api(world.rep_x).post("/api/v1/calls/", body, content_type="application/json")

    assert "too large" in _error(response)["detail"]
    assert not Call.objects.exists()


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b", "\udfff"])
def test_nul_and_lone_surrogates_in_json_are_a_400_naming_the_field(world, api, text):
    body = json.dumps({"customers": [str(world.cx.pk)], "notes": text})

    response = api(world.rep_x).post("/api/v1/calls/", body, content_type="application/json")

    assert "notes" in _error(response)["errors"]
    assert not Call.objects.exists()


def test_nul_in_a_comment_is_refused_with_a_message(world, login):
    call = make_call(world.tx, [world.cx])
    client = login(world.dm_x)

    response = client.post(f"/calls/{call.pk}/comment/", {"text": "good\x00job"}, follow=True)

    assert response.status_code == 200
    assert "NUL" in response.content.decode()
    assert not CoachingComment.objects.exists()


@pytest.mark.parametrize("day", ["9999-12-31", "0999-12-31", "2101-01-01", "1999-12-31"])
def test_a_call_dated_out_of_range_is_a_400_on_the_api(world, api, day):
    response = api(world.rep_x).post(
        "/api/v1/calls/", {"customers": [str(world.cx.pk)], "date": day}, format="json"
    )

    assert _error(response)["errors"]["date"] == ["Give a date between 2000-01-01 and 2100-12-31."]
    assert not Call.objects.exists()


def test_a_call_dated_9999_is_a_form_error_in_zh_hans(world, login):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    client = login(world.rep_x)

    response = client.post(
        f"/calls/new/?customer={world.cx.pk}",
        {"customers": [str(world.cx.pk)], "date": "9999-12-31"},
    )

    assert response.status_code == 200
    assert "请填写 2000-01-01 至 2100-12-31 之间的日期。" in response.content.decode()
    assert not Call.objects.exists()


@pytest.mark.parametrize("period", ["0001-01", "9999-Q4", "1999-12", "2101-Q1"])
def test_periods_out_of_range_are_a_400_on_the_reports_api(world, api, period):
    response = api(world.admin).get(
        f"/api/v1/reports/compliance/?period={period}&territory={world.tx.pk}"
    )

    assert _error(response)["errors"]["period"] == ["Give a period between 2000 and 2100."]


@pytest.mark.parametrize("path", ["/reports/", "/reports/opportunity/"])
@pytest.mark.parametrize("period", ["0001-01", "9999-Q4"])
def test_report_pages_fall_back_to_this_month_with_a_message(world, login, path, period):
    response = login(world.admin).get(f"{path}?period={period}")

    assert response.status_code == 200
    assert "Give a period between 2000 and 2100." in response.content.decode()


def test_the_recompute_api_refuses_a_period_out_of_range(world, api):
    response = api(world.admin).post(
        "/api/v1/reports/recompute/", {"period": "9999-Q4"}, format="json"
    )

    assert "period" in _error(response)["errors"]


@pytest.mark.parametrize("page", ["/calls/week/", "/plans/week/"])
@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "abc"])
def test_week_pages_out_of_range_show_this_week_with_a_message(world, login, page, start):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    client = login(world.rep_x)

    response = client.get(f"{page}?start={start}")

    assert response.status_code == 200
    assert response.context["monday"].year == 2026
    assert "这一周超出范围：显示本周。" in response.content.decode()


@pytest.mark.parametrize("token", ["abc", "-1", "1.5", "99999999999999999999999", "\x00"])
def test_revoking_a_device_with_a_malformed_id_is_a_404(world, login, token):
    kept = api_token_create(user=world.rep_x, device="phone")

    response = login(world.rep_x).post("/account/devices/", {"token": token})

    assert response.status_code == 404
    kept.refresh_from_db()


@pytest.mark.parametrize("path", ["/calls/search/?q=a%00b", "/customers/?name=a%00b"])
def test_search_boxes_ignore_nul(world, login, path):
    assert login(world.rep_x).get(path).status_code == 200
