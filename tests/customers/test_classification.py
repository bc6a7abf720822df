"""The class history: A/B/C/D from potential × support against the product's thresholds,
overrides that win until cleared, history-exact by date, and recomputation that changes nothing."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from customers import services
from customers.classification import classify
from customers.models import ClassHistory, ClassOverride, Measure, Threshold
from customers.selectors import class_on, customer_classes, threshold_preview
from org.models import Role
from tests.factories import CustomerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def admin(db):
    return UserFactory(username="ops", role=Role.ADMIN)


def test_the_four_classes_follow_potential_and_support(world, admin):
    product = ProductFactory()
    services.threshold_save(
        by=admin, product=product, potential_min=100, support_min=10, valid_from=D(2026, 1, 1)
    )
    doctors = {k: CustomerFactory(territory=world.tx) for k in "ABCD"}
    values = {"A": (150, 20), "B": (150, 5), "C": (50, 20), "D": (50, 5)}
    for k, (potential, support) in values.items():
        services.measure_save(
            by=admin,
            customer=doctors[k],
            product=product,
            potential=potential,
            support=support,
            valid_from=D(2026, 2, 1),
        )

    for k, doctor in doctors.items():
        assert class_on(customer=doctor, product=product, day=D(2026, 2, 1)).klass == k
        assert class_on(customer=doctor, product=product, day=D(2026, 1, 31)) is None


def test_a_threshold_change_reclassifies_from_its_day_and_keeps_the_past(
    world, admin, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    doctor = world.cx
    services.threshold_save(
        by=admin, product=product, potential_min=100, support_min=10, valid_from=D(2026, 1, 1)
    )
    services.measure_save(
        by=admin,
        customer=doctor,
        product=product,
        potential=120,
        support=5,
        valid_from=D(2026, 1, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        threshold = services.threshold_save(
            by=admin,
            product=product,
            potential_min=130,
            support_min=10,
            valid_from=D(2026, 7, 1),
            reason="Market grew",
        )

    threshold.job.refresh_from_db()
    assert (threshold.job.status, threshold.job.progress) == ("done", 1.0)
    assert class_on(customer=doctor, product=product, day=D(2026, 6, 30)).klass == "B"
    july = class_on(customer=doctor, product=product, day=D(2026, 7, 1))
    assert (july.klass, july.cause, july.note) == ("D", "threshold", "Market grew")


def test_recomputing_twice_changes_nothing(world, admin):
    product = ProductFactory()
    services.threshold_save(by=admin, product=product, potential_min=1, support_min=1)
    services.measure_save(by=admin, customer=world.cx, product=product, potential=2, support=2)
    rows = list(ClassHistory.objects.values_list("id", "klass", "valid_from", "valid_to"))

    assert classify(product=product) == 0
    assert classify(product=product) == 0
    assert list(ClassHistory.objects.values_list("id", "klass", "valid_from", "valid_to")) == rows


def test_new_measures_with_the_same_class_add_no_history_row(world, admin):
    product = ProductFactory()
    services.threshold_save(
        by=admin, product=product, potential_min=10, support_min=10, valid_from=D(2026, 1, 1)
    )
    for month, potential in [(1, 20), (2, 30), (3, 40)]:
        services.measure_save(
            by=admin,
            customer=world.cx,
            product=product,
            potential=potential,
            support=15,
            valid_from=D(2026, month, 1),
        )

    rows = ClassHistory.objects.filter(customer=world.cx, product=product)
    assert [(r.klass, r.valid_from, r.valid_to) for r in rows] == [("A", D(2026, 1, 1), None)]


def test_an_override_wins_until_cleared_and_survives_recomputation(world, admin):
    product = ProductFactory()
    services.threshold_save(
        by=admin, product=product, potential_min=10, support_min=10, valid_from=D(2026, 1, 1)
    )
    services.measure_save(
        by=admin,
        customer=world.cx,
        product=product,
        potential=1,
        support=1,
        valid_from=D(2026, 1, 1),
    )
    override = services.override_create(
        by=world.dm_x,
        customer=world.cx,
        product=product,
        klass="A",
        reason="Head of department from March",
        valid_from=D(2026, 3, 1),
    )
    classify(product=product)

    march = class_on(customer=world.cx, product=product, day=D(2026, 3, 15))
    assert (march.klass, march.source, march.author) == ("A", "override", world.dm_x)
    services.override_clear(by=world.dm_x, override=override, on=D(2026, 5, 1))
    may = class_on(customer=world.cx, product=product, day=D(2026, 5, 1))
    assert (may.klass, may.source, may.cause) == ("D", "computed", "override_cleared")
    assert class_on(customer=world.cx, product=product, day=D(2026, 4, 30)).klass == "A"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"klass": "N"}, "klass"),
        ({"klass": "E"}, "klass"),
    ],
)
def test_a_bad_override_is_refused_and_nothing_is_written(world, changes, field):
    product = ProductFactory()
    arguments = {"klass": "A", "reason": "KOL", **changes}

    with pytest.raises(ValidationError) as error:
        services.override_create(by=world.dm_x, customer=world.cx, product=product, **arguments)

    assert field in error.value.message_dict
    assert not ClassOverride.objects.exists()


def test_a_non_prescriber_cannot_be_overridden_nor_measured(world, admin):
    world.cx.kind, world.cx.role_group = "non_prescriber", "N1"
    world.cx.save()
    product = ProductFactory()

    with pytest.raises(ValidationError):
        services.override_create(
            by=world.dm_x, customer=world.cx, product=product, klass="A", reason="x"
        )
    with pytest.raises(ValidationError):
        services.measure_save(by=admin, customer=world.cx, product=product, potential=1, support=1)
    assert not Measure.objects.exists()


def test_a_dm_cannot_override_another_districts_customer(world):
    with pytest.raises(ValidationError):
        services.override_create(
            by=world.dm_x, customer=world.cy, product=ProductFactory(), klass="A", reason="x"
        )
    assert not ClassOverride.objects.exists()


def test_negative_measures_and_thresholds_are_refused(world, admin):
    product = ProductFactory()
    with pytest.raises(ValidationError) as error:
        services.measure_save(by=admin, customer=world.cx, product=product, potential=-1, support=1)
    assert "potential" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.threshold_save(by=admin, product=product, potential_min=1, support_min=-2)
    assert "support_min" in error.value.message_dict
    assert not Measure.objects.exists() and not Threshold.objects.exists()


def test_a_customer_who_becomes_a_non_prescriber_is_n(world, admin):
    product = ProductFactory()
    world.tx.team.products.add(product)
    services.threshold_save(by=admin, product=product, potential_min=1, support_min=1)
    services.measure_save(by=admin, customer=world.cx, product=product, potential=2, support=2)

    # an admin's change of kind applies at once (a rep's is a change request for the steward)
    services.customer_update(by=admin, customer=world.cx, kind="non_prescriber", role_group="N2")

    assert not ClassHistory.objects.filter(customer=world.cx).exists()
    world.cx.refresh_from_db()
    classes = customer_classes(world.rep_x, world.cx, timezone.localdate())
    assert [t["klass"] for t in classes["territories"]] == ["N"]


def test_the_class_in_a_territory_is_the_highest_of_its_team_products(world, admin):
    one, two, other = ProductFactory(), ProductFactory(), ProductFactory()
    world.tx.team.products.add(one, two)
    for product, (potential, support) in [(one, (1, 5)), (two, (5, 1)), (other, (5, 5))]:
        services.threshold_save(by=admin, product=product, potential_min=3, support_min=3)
        services.measure_save(
            by=admin, customer=world.cx, product=product, potential=potential, support=support
        )

    classes = customer_classes(world.rep_x, world.cx, timezone.localdate())

    assert {p["product"]: p["klass"] for p in classes["products"]} == {
        one: "C",
        two: "B",
        other: "A",
    }
    assert [(t["territory"], t["klass"]) for t in classes["territories"]] == [(world.tx, "B")]


# The property: on random histories, the stored class equals a brute-force reference.

DAYS = st.integers(min_value=0, max_value=40)
START = D(2026, 1, 1)


def reference(day, measures, thresholds, overrides):
    """Straight from DOMAIN.md: the override in force, else A-D from the latest measure and
    threshold that started on or before `day`; None without either."""
    for start, cleared, klass in overrides:
        if start <= day and (cleared is None or day < cleared):
            return klass, "override"
    measure = max((m for m in measures if m[0] <= day), default=None, key=lambda m: m[0])
    threshold = max((t for t in thresholds if t[0] <= day), default=None, key=lambda t: t[0])
    if measure is None or threshold is None:
        return None
    high_potential, high_support = measure[1] >= threshold[1], measure[2] >= threshold[2]
    klass = {(1, 1): "A", (1, 0): "B", (0, 1): "C", (0, 0): "D"}[high_potential, high_support]
    return klass, "computed"


def by_day(entries):
    """The last entry of each day wins (measures and thresholds of a day replace each other)."""
    return list({e[0]: e for e in entries}.values())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    measures=st.lists(st.tuples(DAYS, st.integers(0, 5), st.integers(0, 5)), max_size=5),
    thresholds=st.lists(st.tuples(DAYS, st.integers(0, 5), st.integers(0, 5)), max_size=3),
    overrides=st.lists(
        st.tuples(DAYS, st.one_of(st.none(), st.integers(0, 15)), st.sampled_from("ABCD")),
        max_size=3,
    ),
    recompute_at=st.lists(st.sampled_from(["measure", "threshold", "override", "all"])),
)
@example(measures=[(0, 0, 0)], thresholds=[(0, 0, 0)], overrides=[], recompute_at=[])
@example(measures=[(0, 3, 0)], thresholds=[(5, 1, 1)], overrides=[(2, 4, "C")], recompute_at=[])
def test_the_stored_class_equals_the_reference_on_random_histories(
    world, measures, thresholds, overrides, recompute_at, django_capture_on_commit_callbacks
):
    """Each example runs in a savepoint rolled back at its end; jobs queued on commit run."""
    try:
        with transaction.atomic():
            check_random_history(
                world,
                measures,
                thresholds,
                overrides,
                recompute_at,
                run_on_commit=lambda: django_capture_on_commit_callbacks(execute=True),
            )
            raise Rollback
    except Rollback:
        pass


class Rollback(Exception):
    pass


def check_random_history(world, measures, thresholds, overrides, recompute_at, run_on_commit):
    admin = UserFactory(username="ops", role=Role.ADMIN)
    product = ProductFactory(code="PROP")
    day = lambda n: START + datetime.timedelta(days=n)  # noqa: E731
    for n, p, s in measures:
        services.measure_save(
            by=admin,
            customer=world.cx,
            product=product,
            potential=p,
            support=s,
            valid_from=day(n),
        )
    for n, p, s in thresholds:
        with run_on_commit():  # the reclassification job
            services.threshold_save(
                by=admin, product=product, potential_min=p, support_min=s, valid_from=day(n)
            )
    applied = []
    for n, length, klass in overrides:
        try:
            override = services.override_create(
                by=world.dm_x,
                customer=world.cx,
                product=product,
                klass=klass,
                reason="r",
                valid_from=day(n),
            )
        except ValidationError:
            continue  # an override starting on or after a later one is refused
        if length is not None:
            services.override_clear(by=world.dm_x, override=override, on=day(n + length))
        applied.append(override)
    for what in recompute_at:
        classify(product=product, customer=None if what == "all" else world.cx.pk)

    stored_overrides = [
        (o.valid_from, o.cleared_on, o.klass)
        for o in ClassOverride.objects.filter(customer=world.cx)
    ]
    m = [(day(n), Decimal(p), Decimal(s)) for n, p, s in by_day(measures)]
    t = [(day(n), Decimal(p), Decimal(s)) for n, p, s in by_day(thresholds)]
    for n in range(-1, 60):
        row = class_on(customer=world.cx, product=product, day=day(n))
        got = (row.klass, row.source) if row else None
        assert got == reference(day(n), m, t, stored_overrides), day(n)
    # Intervals are maximal: two consecutive rows never carry the same class and source.
    rows = list(ClassHistory.objects.filter(customer=world.cx).order_by("valid_from"))
    for before, after in itertools.pairwise(rows):
        if before.valid_to is not None and after.valid_from == before.valid_to + datetime.timedelta(
            1
        ):
            assert (before.klass, before.source) != (after.klass, after.source)


def test_the_preview_counts_who_would_move_without_writing_anything(world, admin):
    product = ProductFactory()
    services.threshold_save(
        by=admin, product=product, potential_min=10, support_min=10, valid_from=D(2026, 1, 1)
    )
    doctors = [CustomerFactory(territory=world.tx) for _ in range(4)]
    for doctor, (potential, support) in zip(
        doctors, [(20, 20), (20, 5), (12, 20), (5, 5)], strict=True
    ):
        services.measure_save(
            by=admin,
            customer=doctor,
            product=product,
            potential=potential,
            support=support,
            valid_from=D(2026, 1, 1),
        )
    services.override_create(
        by=admin,
        customer=doctors[2],
        product=product,
        klass="A",
        reason="KOL",
        valid_from=D(2026, 1, 1),
    )
    before = list(ClassHistory.objects.values_list("id", flat=True))

    preview = threshold_preview(product=product, potential_min=15, support_min=10, on=D(2026, 3, 1))

    assert preview["matrix"] == {("A", "A"): 2, ("B", "B"): 1, ("D", "D"): 1}
    preview = threshold_preview(product=product, potential_min=25, support_min=10, on=D(2026, 3, 1))
    assert preview["matrix"] == {("A", "C"): 1, ("A", "A"): 1, ("B", "D"): 1, ("D", "D"): 1}
    assert (preview["moved"], preview["total"]) == (2, 4)
    assert {(m["customer"], m["old"], m["new"]) for m in preview["movers"]} == {
        (doctors[0], "A", "C"),
        (doctors[1], "B", "D"),
    }
    assert list(ClassHistory.objects.values_list("id", flat=True)) == before


def test_a_retried_job_does_nothing_and_the_nightly_job_repairs_drift(world, admin):
    from customers import tasks
    from customers.models import Reclassification

    product = ProductFactory()
    services.threshold_save(by=admin, product=product, potential_min=1, support_min=1)
    services.measure_save(by=admin, customer=world.cx, product=product, potential=2, support=2)
    job = Reclassification.objects.get()
    tasks.reclassify(str(job.pk))
    job.refresh_from_db()
    assert (job.status, job.batches, job.batches_done) == ("done", 1, 1)

    tasks.reclassify(str(job.pk))  # a retry of a finished job
    job.refresh_from_db()
    assert (job.status, job.batches_done) == ("done", 1)

    ClassHistory.objects.filter(customer=world.cx).update(klass="D")  # drift
    tasks.reclassify_all()
    assert class_on(customer=world.cx, product=product, day=timezone.localdate()).klass == "A"


def test_a_job_in_several_batches_classifies_every_customer_once(world, admin, monkeypatch):
    from customers.models import Reclassification

    monkeypatch.setattr(services.segmentation, "RECLASSIFICATION_BATCH", 2)
    product = ProductFactory()
    Threshold.objects.create(
        product=product, potential_min=10, support_min=10, valid_from=D(2026, 1, 1)
    )
    doctors = [CustomerFactory(territory=world.tx) for _ in range(5)]
    for n, doctor in enumerate(doctors):
        Measure.objects.create(
            customer=doctor,
            product=product,
            potential=5 + 5 * n,
            support=12,
            valid_from=D(2026, 1, 1),
        )
    job = Reclassification.objects.create(product=product)

    services.reclassification_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.batches, job.batches_done) == ("done", 3, 3)
    day = D(2026, 2, 1)
    assert [class_on(customer=d, product=product, day=day).klass for d in doctors] == [
        "C",
        "A",
        "A",
        "A",
        "A",
    ]
    assert classify(product=product) == 0
