"""Records without a territory of their own — absences, notifications, measures, overrides,
customers aligned nowhere — reach only those who held them: their deletes (and an absence's
scope changes) are never sent, not even as an id, to a user who never had them in scope; the
user who had one is sent its delete."""

import datetime
from decimal import Decimal

import pytest

from customers.models import ClassOverride, Measure
from notifications.models import Notification
from org.models import Absence, AbsenceReason
from tests.factories import CustomerFactory, InstitutionFactory, ProductFactory
from tests.sync.test_sync_scope import _after, _mentions, _start

pytestmark = pytest.mark.django_db

DELETE = "delete"


def _deleted(changes, type_, pk):
    return {"type": type_, "op": DELETE, "id": str(pk)} in changes


def _absence(rep):
    return Absence.objects.create(
        rep=rep,
        date_from=datetime.date(2026, 11, 2),
        date_to=datetime.date(2026, 11, 3),
        reason=AbsenceReason.TRAINING,
    )


def test_a_new_absence_is_no_news_to_those_who_cannot_see_it(cw, api):
    started = _start(api, cw.rep_x, cw.rep_y, cw.dm_y, cw.outsider_rep, cw.rep_x2)

    absence = _absence(cw.rep_x)
    absence.note = "改期"
    absence.save()

    for name in ("rep_y", "dm_y", "outsider", "rep_x2"):
        assert not _mentions(_after(started, name)[1], absence.pk), name
    assert not _deleted(_after(started, "rep_x")[1], "absences", absence.pk)


def test_a_deleted_absence_is_deleted_for_its_rep_and_their_dm_only(cw, api):
    absence = _absence(cw.rep_x)
    started = _start(api, cw.rep_x, cw.dm_x, cw.rep_y, cw.dm_y, cw.outsider_rep, cw.admin)

    Absence.objects.get(pk=absence.pk).delete()

    for name in ("rep_x", "dm_x", "admin"):
        assert _deleted(_after(started, name)[1], "absences", absence.pk), name
    for name in ("rep_y", "dm_y", "outsider"):
        assert not _mentions(_after(started, name)[1], absence.pk), name


def test_an_absence_given_to_another_rep_leaves_the_first_one_only(cw, api):
    absence = _absence(cw.rep_x)
    started = _start(api, cw.rep_x, cw.rep_y, cw.outsider_rep, cw.dm_y)

    absence.rep = cw.rep_y
    absence.save()

    assert _deleted(_after(started, "rep_x")[1], "absences", absence.pk)
    assert [c["op"] for c in _after(started, "rep_y")[1] if _mentions(c, absence.pk)] == ["upsert"]
    assert not _mentions(_after(started, "outsider")[1], absence.pk)


def test_a_deleted_notification_is_deleted_for_its_user_only(cw, api):
    notification = Notification.objects.create(
        user=cw.rep_x, kind="no_pim", period="2026-11", message="…"
    )
    started = _start(api, cw.rep_x, cw.rep_y, cw.dm_x, cw.outsider_rep)

    Notification.objects.get(pk=notification.pk).delete()

    assert _deleted(_after(started, "rep_x")[1], "notifications", notification.pk)
    for name in ("rep_y", "dm_x", "outsider"):
        assert not _mentions(_after(started, name)[1], notification.pk), name


def test_deleted_measures_and_overrides_are_deleted_where_their_customer_is_only(cw, api):
    product = ProductFactory()
    measure = Measure.objects.create(
        customer=cw.cx,
        product=product,
        potential=Decimal(100),
        support=Decimal(10),
        valid_from=datetime.date(2026, 1, 1),
    )
    override = ClassOverride.objects.create(
        customer=cw.cx, product=product, klass="A", reason="KOL", author=cw.dm_x
    )
    started = _start(api, cw.rep_x, cw.dm_x, cw.rep_y, cw.dm_y, cw.outsider_rep)

    Measure.objects.get(pk=measure.pk).delete()
    ClassOverride.objects.get(pk=override.pk).delete()

    for name in ("rep_x", "dm_x"):
        after = _after(started, name)[1]
        assert _deleted(after, "measures", measure.pk), name
        assert _deleted(after, "overrides", override.pk), name
    for name in ("rep_y", "dm_y", "outsider"):
        after = _after(started, name)[1]
        assert not _mentions(after, measure.pk), name
        assert not _mentions(after, override.pk), name


def test_records_nobody_but_admins_saw_are_deleted_for_admins_only(cw, api):
    nowhere = CustomerFactory(institution=InstitutionFactory())  # aligned nowhere
    institution, department = nowhere.institution, nowhere.department
    gone = {"customers": nowhere.pk, "departments": department.pk, "institutions": institution.pk}
    started = _start(api, cw.rep_x, cw.dm_x, cw.regional, cw.admin)

    nowhere.delete()
    department.delete()
    institution.delete()

    after = _after(started, "admin")[1]
    for type_, pk in gone.items():
        assert _deleted(after, type_, pk), type_
    for name in ("rep_x", "dm_x", "regional"):
        after = _after(started, name)[1]
        for pk in gone.values():
            assert not _mentions(after, pk), name
