"""The opportunity page's insight sentence: "only" (只) goes with a share below the class's share
of the targets, never with one above it (33 % of the calls for 32 % of the targets)."""

import pytest
from django.utils import translation

from reports.views.opportunity import insight


def row(calls, invitations, targets=0.32):
    return {
        "klass": "A",
        "target_share": targets,
        "call_share": calls,
        "invitation_share": invitations,
    }


def test_a_share_above_the_targets_share_is_not_called_only():
    with translation.override("en"):
        text = insight(row(calls=0.33, invitations=0.10))
    assert text == (
        "Class A customers are 32 % of the targets and get 33 % of the calls, "
        "but only 10 % of the meeting invitations."
    )
    assert "only 33" not in text


def test_a_share_below_the_targets_share_is_called_only():
    with translation.override("en"):
        text = insight(row(calls=0.10, invitations=0.33))
    assert text == (
        "Class A customers are 32 % of the targets but get only 10 % of the calls "
        "(and 33 % of the meeting invitations)."
    )


def test_both_below_and_no_share_at_all():
    with translation.override("en"):
        text = insight(row(calls=None, invitations=0.2))
    assert text == (
        "Class A customers are 32 % of the targets but get 0 % of the calls "
        "and 20 % of the meeting invitations."
    )


@pytest.mark.parametrize(
    ("calls", "invitations", "expected"),
    [
        (0.33, 0.10, "A 级客户占目标客户的 32 %，得到 33 % 的拜访，但只得到 10 % 的会议邀请。"),
        (0.10, 0.33, "A 级客户占目标客户的 32 %，却只得到 10 % 的拜访（会议邀请占 33 %）。"),
    ],
)
def test_in_chinese_only_goes_with_the_share_below(calls, invitations, expected):
    with translation.override("zh-hans"):
        text = insight(row(calls=calls, invitations=invitations))
    assert text == expected
    assert "只得到 33" not in text
