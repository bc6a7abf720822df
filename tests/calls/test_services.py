"""The rules of a call, written once in calls/services/: each bad input a clear error and
nothing written; scope; the lock after the grace period; amendments; coaching."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from calls import services
from calls.models import (
    Amendment,
    AmendmentStatus,
    Call,
    CallAttendee,
    CallMaterial,
    CallProduct,
    CallSettings,
    CallStatus,
    CoachingComment,
)
from core.concurrency import Conflict
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def log(cw, by=None, **overrides):
    """A valid call of rep_x with cx, px (km1) and one leaflet, with overrides."""
    kwargs = {
        "by": by or cw.rep_x,
        "customers": [cw.cx],
        "products": [{"product": cw.px, "key_messages": [cw.km1], "feedback": "Interested"}],
        "materials": [{"material": cw.leaflet, "quantity": 2}],
        "objective": "Introduce the PFS data",
        "commitment_measurable": "Try it on 3 suitable patients",
        "commitment_next_appointment": "Thursday after the clinic",
        "next_objective": "Collect the first experience",
    }
    kwargs.update(overrides)
    return services.call_create(**kwargs)


def nothing_written():
    return (
        Call.objects.count(),
        CallAttendee.objects.count(),
        CallProduct.objects.count(),
        CallMaterial.objects.count(),
        Call.history.count(),
    ) == (0, 0, 0, 0, 0)


def test_a_rep_logs_a_call_with_sensible_defaults(cw):
    # when
    call = log(cw)

    # then
    assert call.status == CallStatus.COMPLETED
    assert call.date == TODAY()
    assert call.start_time is not None
    assert call.territory == cw.tx
    assert call.rep == cw.rep_x
    assert call.institution == cw.hx
    assert call.department == cw.dx
    assert call.completed_at is not None
    assert list(call.customers.all()) == [cw.cx]
    row = call.call_products.get()
    assert row.product == cw.px
    assert list(row.key_messages.all()) == [cw.km1]
    assert call.call_materials.get().quantity == 2
    assert call.version == 1
    assert call.history.get().history_user == cw.rep_x


def test_a_group_call_is_one_record_that_counts_for_every_attendee(cw):
    call = log(cw, customers=[cw.cx, cw.cx2], is_pim=True, channel="meeting")

    assert Call.objects.count() == 1
    assert call.is_pim
    assert call.department is None  # attendees from two departments of the hospital
    assert call.institution == cw.hx
    for customer in (cw.cx, cw.cx2):
        assert Call.objects.completed().with_customer(customer).count() == 1
    assert CallAttendee.objects.filter(call=call).count() == 2


def test_a_planned_call_becomes_completed_when_logged(cw):
    tomorrow = TODAY() + datetime.timedelta(days=1)
    planned = log(cw, status=CallStatus.PLANNED, date=tomorrow, products=[], materials=[])
    assert planned.completed_at is None

    logged = services.call_complete(by=cw.rep_x, call=planned, notes="Went well")

    assert logged.status == CallStatus.COMPLETED
    assert logged.date == TODAY()
    assert logged.completed_at is not None
    assert logged.version == 2
    assert logged.notes == "Went well"


def test_a_planned_call_can_be_cancelled_but_a_completed_one_cannot(cw):
    planned = log(cw, status=CallStatus.PLANNED)
    completed = log(cw)

    assert services.call_cancel(by=cw.rep_x, call=planned).status == CallStatus.CANCELLED
    with pytest.raises(Conflict):
        services.call_cancel(by=cw.rep_x, call=completed)
    with pytest.raises(Conflict):
        services.call_update(by=cw.rep_x, call=planned, notes="again")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (lambda cw: {"customers": [cw.cy]}, "customers", "not a customer of territory"),
        (lambda cw: {"customers": []}, "customers", "Choose at least one customer."),
        (
            lambda cw: {"products": [{"product": cw.p_off}]},
            "products",
            "Retired is not active.",
        ),
        (
            lambda cw: {"products": [{"product": cw.py}]},
            "products",
            "is not a product of your team.",
        ),
        (
            lambda cw: {"products": [{"product": cw.px, "key_messages": [cw.km_old]}]},
            "products",
            "The key message “Old claim” is not active.",
        ),
        (
            lambda cw: {"products": [{"product": cw.px, "key_messages": [cw.km_y]}]},
            "products",
            "is not a key message of",
        ),
        (
            lambda cw: {"materials": [{"material": cw.old_leaflet, "quantity": 1}]},
            "materials",
            "Old leaflet is not active.",
        ),
        (
            lambda cw: {"materials": [{"material": cw.leaflet, "quantity": -3}]},
            "materials",
            "The quantity of Product leaflet must be at least 1.",
        ),
        (
            lambda cw: {"materials": [{"material": cw.leaflet, "quantity": 0}]},
            "materials",
            "must be at least 1",
        ),
        (
            lambda cw: {"date": TODAY() + datetime.timedelta(days=1)},
            "date",
            "A completed call cannot be dated in the future.",
        ),
        (
            lambda cw: {"date": TODAY() - datetime.timedelta(days=8)},
            "date",
            "cannot be dated more than 7 days back.",
        ),
        (
            lambda cw: {"co_visitor": cw.dm_y},
            "co_visitor",
            "Choose a co-visitor among the rep's managers.",
        ),
        (
            lambda cw: {"co_visitor": cw.rep_x2},
            "co_visitor",
            "Choose a co-visitor among the rep's managers.",
        ),
        (lambda cw: {"duration_minutes": 0}, "duration_minutes", ""),
        (lambda cw: {"channel": "pigeon"}, "channel", ""),
        (lambda cw: {"territory": cw.ty}, "territory", "Choose one of your territories."),
    ],
    ids=[
        "customer-of-another-territory",
        "no-customer",
        "inactive-product",
        "product-of-another-team",
        "inactive-key-message",
        "key-message-of-another-product",
        "inactive-material",
        "negative-quantity",
        "zero-quantity",
        "future",
        "beyond-backdating",
        "co-visitor-dm-of-another-district",
        "co-visitor-not-a-manager",
        "zero-duration",
        "unknown-channel",
        "another-reps-territory",
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_written(cw, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        log(cw, **overrides(cw))

    assert field in error.value.message_dict
    assert message in " ".join(error.value.message_dict[field])
    assert nothing_written()


def test_the_backdating_limit_is_an_admin_setting(cw):
    settings_ = CallSettings.load()
    settings_.backdating_days = 30
    settings_.save()

    call = log(cw, date=TODAY() - datetime.timedelta(days=20))

    assert call.date == TODAY() - datetime.timedelta(days=20)


def test_the_dm_and_the_regional_manager_may_co_visit(cw):
    assert log(cw, co_visitor=cw.dm_x).co_visitor == cw.dm_x
    assert log(cw, co_visitor=cw.regional).co_visitor == cw.regional


def test_only_reps_and_admins_log_calls(cw):
    with pytest.raises(PermissionDenied):
        log(cw, by=cw.dm_x, territory=cw.tx)
    with pytest.raises(PermissionDenied):
        log(cw, by=cw.regional, territory=cw.tx)

    call = log(cw, by=cw.admin, territory=cw.tx)

    assert call.rep == cw.rep_x
    assert nothing_written() is False


def test_a_rep_cannot_change_another_territorys_call(cw):
    theirs = make_call(cw.ty, [cw.cy])

    with pytest.raises(Http404):
        services.call_update(by=cw.rep_x, call=theirs, notes="mine now")

    theirs.refresh_from_db()
    assert theirs.notes == ""
    assert theirs.version == 1


def test_a_call_cannot_move_to_another_territory(cw):
    call = log(cw)

    with pytest.raises(ValidationError) as error:
        services.call_update(by=cw.admin, call=call, territory=cw.ty)

    assert "territory" in error.value.message_dict


def test_a_completed_call_is_editable_in_the_grace_period_even_when_dated_long_ago(cw):
    call = make_call(
        cw.tx,
        [cw.cx],
        date=TODAY() - datetime.timedelta(days=7),
        completed_at=timezone.now() - datetime.timedelta(days=6),
    )
    cw.tx.refresh_from_db()
    call.date = TODAY() - datetime.timedelta(days=7)

    changed = services.call_update(
        by=cw.rep_x,
        call=call,
        notes="Add: she asked for the study",
        products=[{"product": cw.px, "key_messages": [cw.km1, cw.km2], "feedback": "Keen"}],
    )

    assert changed.notes == "Add: she asked for the study"
    assert changed.version == 2
    assert set(changed.call_products.get().key_messages.all()) == {cw.km1, cw.km2}


def test_a_completed_call_locks_after_the_grace_period(cw):
    call = make_call(cw.tx, [cw.cx], completed_at=timezone.now() - datetime.timedelta(days=8))

    with pytest.raises(services.CallLocked) as error:
        services.call_update(by=cw.rep_x, call=call, notes="too late")

    assert "locked" in error.value.message
    call.refresh_from_db()
    assert (call.notes, call.version) == ("", 1)

    # The grace period is an admin setting.
    settings_ = CallSettings.load()
    settings_.grace_days = 10
    settings_.save()
    assert services.call_update(by=cw.rep_x, call=call, notes="now fine").version == 2


def test_the_sample_limit_per_customer_and_quarter_refuses_more(cw):
    make_call(cw.tx, [cw.cx], materials=[(cw.sample, 8)])

    with pytest.raises(ValidationError) as error:
        log(cw, materials=[{"material": cw.sample, "quantity": 3}])

    assert (
        "王建国 would receive 11 samples this quarter; the limit is 10 per customer."
        in (error.value.message_dict["materials"])
    )
    assert Call.objects.count() == 1
    assert log(cw, materials=[{"material": cw.sample, "quantity": 2}]).pk


def test_samples_at_a_group_call_count_for_every_attendee(cw):
    make_call(cw.tx, [cw.cx2], materials=[(cw.sample, 9)])

    with pytest.raises(ValidationError) as error:
        log(cw, customers=[cw.cx, cw.cx2], materials=[{"material": cw.sample, "quantity": 2}])

    assert "陈芳 would receive 11" in error.value.message_dict["materials"][0]


def test_there_is_no_field_for_gifts_cash_or_payments():
    names = " ".join(f.name for f in Call._meta.get_fields())
    for word in ("gift", "cash", "payment", "money", "amount", "price"):
        assert word not in names


# --- amendments ---------------------------------------------------------------------------


@pytest.fixture
def locked_call(cw):
    return make_call(
        cw.tx,
        [cw.cx],
        date=TODAY() - datetime.timedelta(days=20),
        completed_at=timezone.now() - datetime.timedelta(days=19),
        products=[(cw.px, [cw.km1], "Not convinced")],
    )


def test_an_unlocked_call_is_changed_directly_not_amended(cw):
    call = log(cw)

    with pytest.raises(Conflict):
        services.amendment_request(by=cw.rep_x, call=call, reason="typo", notes="x")


def test_the_dm_approves_an_amendment_and_the_history_keeps_the_original(cw, locked_call):
    amendment = services.amendment_request(
        by=cw.rep_x,
        call=locked_call,
        reason="Wrong feedback recorded",
        products=[{"product": cw.px, "key_messages": [cw.km1], "feedback": "Convinced"}],
        notes="Corrected",
    )
    assert amendment.status == AmendmentStatus.PENDING
    locked_call.refresh_from_db()
    assert locked_call.notes == ""  # nothing changes before approval

    with pytest.raises(PermissionDenied):
        services.amendment_approve(by=cw.rep_x, amendment=amendment)
    with pytest.raises(Http404):
        services.amendment_approve(by=cw.dm_y, amendment=amendment)

    services.amendment_approve(by=cw.dm_x, amendment=amendment, comment="OK")

    locked_call.refresh_from_db()
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.APPROVED
    assert amendment.decided_by == cw.dm_x
    assert locked_call.notes == "Corrected"
    assert locked_call.call_products.get().feedback == "Convinced"
    assert locked_call.version == 2
    history = list(locked_call.history.order_by("history_date"))
    assert history[-1].history_user == cw.dm_x
    assert "Wrong feedback recorded" in history[-1].history_change_reason
    product_history = CallProduct.history.filter(call_id=locked_call.pk).order_by("history_date")
    feedbacks = [h.feedback for h in product_history]
    assert (feedbacks[0], feedbacks[-1]) == ("Not convinced", "Convinced")


def test_a_rejected_amendment_leaves_the_call_and_needs_a_reason(cw, locked_call):
    amendment = services.amendment_request(
        by=cw.rep_x, call=locked_call, reason="Add a note", notes="x"
    )

    with pytest.raises(ValidationError):
        services.amendment_reject(by=cw.dm_x, amendment=amendment, comment=" ")
    services.amendment_reject(by=cw.dm_x, amendment=amendment, comment="Not needed")

    locked_call.refresh_from_db()
    assert locked_call.notes == ""
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.REJECTED
    with pytest.raises(Conflict):
        services.amendment_approve(by=cw.dm_x, amendment=amendment)


def test_an_amendment_is_checked_when_requested(cw, locked_call):
    with pytest.raises(ValidationError) as error:
        services.amendment_request(
            by=cw.rep_x, call=locked_call, reason="more", customers=[cw.cx, cw.cy]
        )

    assert "customers" in error.value.message_dict
    assert not Amendment.objects.exists()
    locked_call.refresh_from_db()
    assert locked_call.version == 1


def test_one_amendment_waits_at_a_time(cw, locked_call):
    services.amendment_request(by=cw.rep_x, call=locked_call, reason="a", notes="a")

    with pytest.raises(Conflict):
        services.amendment_request(by=cw.rep_x, call=locked_call, reason="b", notes="b")


# --- coaching -----------------------------------------------------------------------------


def test_the_dm_coaches_a_call_of_the_district(cw):
    call = log(cw, co_visitor=cw.dm_x)

    comment = services.coaching_comment_create(
        by=cw.dm_x, call=call, text="Probe her concerns first"
    )

    assert comment.author == cw.dm_x
    with pytest.raises(PermissionDenied):
        services.coaching_comment_create(by=cw.rep_x, call=call, text="self-praise")
    with pytest.raises(Http404):
        services.coaching_comment_create(by=cw.dm_y, call=call, text="not mine")
    with pytest.raises(ValidationError):
        services.coaching_comment_create(by=cw.dm_x, call=call, text="  ")
    assert CoachingComment.objects.count() == 1
