"""The compliance engine against a brute-force reference written straight from DOMAIN.md."""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calls.models import Call, CallAttendee
from core.periods import parse
from customers.models import Alignment, ClassHistory, Customer
from org.models import Absence
from reports import engine
from reports.models import ActivitySnapshot, ClassSnapshot, Requirement
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

D = datetime.date
PERIODS = ["2026-03", "2026-Q1"]
BASE = D(2026, 1, 1)


def day(n):
    return BASE + datetime.timedelta(days=n)


def required_calls(team, klass):
    own = Requirement.objects.filter(team=team, klass=klass).first()
    row = own or Requirement.objects.get(team=None, klass=klass)
    return row.calls_per_month


def reference(world, period):
    """{(territory, klass): (targets, covered, frequency_compliant, calls, invitations)} and per
    territory (completed calls, PIMs, invitations), by plain Python loops over the rows."""
    result, activity = {}, {}
    for territory in [world.tx, world.ty]:
        products = set(territory.team.products.values_list("pk", flat=True))
        completed = [
            c
            for c in Call.objects.filter(territory=territory, status="completed")
            if period.start <= c.date <= period.end
        ]
        attendances = [(a, c.is_pim) for c in completed for a in c.attendances.all()]
        activity[territory.pk] = (
            len(attendances),
            sum(1 for c in completed if c.is_pim),
            sum(1 for _a, is_pim in attendances if is_pim),
        )
        for customer in Customer.objects.all():
            aligned = any(
                a.valid_from <= period.start and (a.valid_to is None or period.start <= a.valid_to)
                for a in Alignment.objects.filter(customer=customer, territory=territory)
            )
            if not aligned:
                continue
            if not customer.is_prescriber:
                klass = customer.role_group
            else:
                classes = [
                    h.klass
                    for h in ClassHistory.objects.filter(customer=customer)
                    if h.product_id in products
                    and h.valid_from <= period.start
                    and (h.valid_to is None or period.start <= h.valid_to)
                ]
                if not classes:
                    continue
                klass = min(classes)
            mine = [is_pim for a, is_pim in attendances if a.customer_id == customer.pk]
            visits = len(mine)
            required = required_calls(territory.team, klass)
            targets, covered, compliant, calls, invitations = result.get(
                (territory.pk, klass), (0, 0, 0, 0, 0)
            )
            result[territory.pk, klass] = (
                targets + 1,
                covered + (visits >= 1),
                None
                if not period.is_month or required is None
                else (compliant or 0) + (visits >= required),
                calls + mine.count(False),
                invitations + mine.count(True),
            )
    return result, activity


@st.composite
def histories(draw):
    customers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["prescriber", "N1", "N2", "N3"]),
                st.sampled_from(["tx", "ty", "both"]),
                st.integers(0, 120),  # alignment start
                st.one_of(st.none(), st.integers(0, 120)),  # alignment length
                st.lists(  # class history: (product 0/1, class, start, length)
                    st.tuples(
                        st.integers(0, 1),
                        st.sampled_from("ABCD"),
                        st.integers(0, 120),
                        st.one_of(st.none(), st.integers(0, 60)),
                    ),
                    max_size=3,
                ),
            ),
            min_size=1,
            max_size=5,
        )
    )
    calls = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["tx", "ty"]),
                st.sampled_from([58, 59, 60, 61, 89, 90, 91, -1, 0, 30, 75]),  # around boundaries
                st.sampled_from(["completed", "completed", "planned", "cancelled"]),
                st.booleans(),  # PIM
                st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True),
            ),
            max_size=10,
        )
    )
    own_requirement = draw(st.one_of(st.none(), st.integers(0, 3)))
    return customers, calls, own_requirement


class Rollback(Exception):
    pass


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=histories())
@example(
    data=(
        [("prescriber", "tx", 0, None, [(0, "A", 0, None)])],
        [("tx", 60, "completed", False, [0])],
        None,
    )
)
def test_the_engine_equals_the_reference(world, data):
    try:
        with transaction.atomic():
            check(world, *data)
            raise Rollback
    except Rollback:
        pass


def check(world, customers, calls, own_requirement):
    products = [ProductFactory(), ProductFactory()]
    world.tx.team.products.set(products)
    world.ty.team.products.set(products[:1])
    if own_requirement is not None:  # the team's own requirement for A wins over the default
        Requirement.objects.create(team=world.tx.team, klass="A", calls_per_month=own_requirement)
    people = []
    for kind, where, start, length, classes in customers:
        customer = CustomerFactory(
            institution=world.hx,
            department=world.dx,
            kind="prescriber" if kind == "prescriber" else "non_prescriber",
            role_group="" if kind == "prescriber" else kind,
        )
        for territory in {"tx": [world.tx], "ty": [world.ty], "both": [world.tx, world.ty]}[where]:
            Alignment.objects.create(
                customer=customer,
                territory=territory,
                valid_from=day(start),
                valid_to=None if length is None else day(start + length),
            )
        used = set()
        for product, klass, start, length in classes:
            if (product, start) in used:
                continue
            used.add((product, start))
            ClassHistory.objects.create(
                customer=customer,
                product=products[product],
                klass=klass,
                source="computed",
                valid_from=day(start),
                valid_to=None if length is None else day(start + length),
                cause="measures",
            )
        people.append(customer)
    for where, when, status, is_pim, attendees in calls:
        territory = world.tx if where == "tx" else world.ty
        call = Call.objects.create(
            territory=territory,
            rep=territory.rep,
            date=day(when),
            status=status,
            is_pim=is_pim,
            institution=world.hx,
        )
        CallAttendee.objects.bulk_create(
            [CallAttendee(call=call, customer=people[i]) for i in attendees if i < len(people)]
        )
    Absence.objects.create(
        rep=world.rep_x, date_from=D(2026, 3, 2), date_to=D(2026, 3, 3), reason="leave"
    )

    for key in PERIODS:
        period = parse(key)
        engine.recompute(period=period)
        expected, activity = reference(world, period)
        got = {
            (row.territory_id, row.klass): (
                row.targets,
                row.covered,
                row.frequency_compliant,
                row.calls,
                row.invitations,
            )
            for row in ClassSnapshot.objects.filter(period=key)
        }
        assert got == expected, key
        got_activity = {
            row.territory_id: (row.completed_calls, row.pim_count, row.invitations)
            for row in ActivitySnapshot.objects.filter(period=key)
            if row.territory_id in (world.tx.pk, world.ty.pk)
        }
        assert got_activity == activity, key


def test_field_days_are_working_days_held_and_not_absent(world):
    # March 2026: 22 working days; rep_x absent two of them; ty held all month.
    Absence.objects.create(
        rep=world.rep_x, date_from=D(2026, 3, 2), date_to=D(2026, 3, 3), reason="leave"
    )

    engine.recompute(period=parse("2026-03"))

    days = dict(
        ActivitySnapshot.objects.filter(period="2026-03").values_list("territory", "field_days")
    )
    assert days[world.tx.pk] == 20
    assert days[world.ty.pk] == 22


def test_a_rerun_gives_identical_rows(world):
    period = parse("2026-03")
    engine.recompute(period=period)
    first = list(
        ClassSnapshot.objects.order_by("territory", "klass").values_list(
            "territory", "klass", "targets", "covered"
        )
    )

    engine.recompute(period=period)

    assert (
        list(
            ClassSnapshot.objects.order_by("territory", "klass").values_list(
                "territory", "klass", "targets", "covered"
            )
        )
        == first
    )
