"""Contract of measures/, thresholds/, reclassifications/, overrides/, customers/{id}/classes/ and
the class of customers/: shape, roles, scope, bad input (nothing written), history, query counts."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS

from customers import services
from customers.models import (
    ClassHistory,
    ClassOverride,
    CustomerKind,
    Measure,
    Reclassification,
    Threshold,
)
from org.services import compliance_settings_save
from tests.conftest import VISIBLE as PERSONAS
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

D = datetime.date
JAN = D(2025, 1, 1)


def ids(response):
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def history(customer=None):
    rows = ClassHistory.objects.all()
    if customer is not None:
        rows = rows.filter(customer=customer)
    return sorted(rows.values_list("customer", "product", "klass", "source", "valid_from"))


def assert_refused(response, field, status=400):
    assert response.status_code == status, response.json()
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]
    if field:
        assert field in body["errors"], body


@pytest.fixture
def seg(world):
    """Product P promoted in tx and ty; thresholds 100 / 10 from January 2025;
    cx is A (150 / 20) and cy is B (150 / 5) since then."""
    product = ProductFactory(code="P")
    world.tx.team.products.add(product)
    world.ty.team.products.add(product)
    services.threshold_save(
        by=world.admin, product=product, potential_min=100, support_min=10, valid_from=JAN
    )
    for customer, support in ((world.cx, 20), (world.cy, 5)):
        services.measure_save(
            by=world.admin,
            customer=customer,
            product=product,
            potential=150,
            support=support,
            valid_from=JAN,
        )
    world.product = product
    # Reps read the figures here; with "show measures to reps" off (the default: no 统方) they
    # read none (tests/customers/test_no_tongfang.py).
    compliance_settings_save(by=world.admin, show_measures_to_reps=True)
    return world


def measure_body(w, **changes):
    return {
        "customer": str(w.cx.pk),
        "product": str(w.product.pk),
        "potential": 50,
        "support": 20,
        "valid_from": "2025-06-01",
    } | changes


# measures/


def test_an_admin_posts_a_measure_and_the_customer_is_reclassified(seg, api):
    response = api(seg.admin).post("/api/v1/measures/", measure_body(seg), format="json")

    assert response.status_code == 201, response.json()
    row = response.json()
    assert row["customer"] == str(seg.cx.pk)
    assert (row["potential"], row["support"]) == (50, 20)  # JSON numbers
    assert row["valid_from"] == "2025-06-01"
    assert row["author"] == seg.admin.pk
    assert row["version"] == 1
    for field in ("id", "created_at", "updated_at"):
        assert row[field]
    classes = api(seg.admin).get(f"/api/v1/customers/{seg.cx.pk}/classes/").json()
    assert (classes["products"][0]["klass"], classes["products"][0]["valid_from"]) == (
        "C",
        "2025-06-01",
    )


def test_a_measure_is_valid_from_today_by_default(seg, api):
    body = measure_body(seg)
    del body["valid_from"]

    response = api(seg.admin).post("/api/v1/measures/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["valid_from"] == timezone.localdate().isoformat()


def test_the_same_measure_posted_twice_changes_nothing(seg, api):
    client = api(seg.admin)
    first = client.post("/api/v1/measures/", measure_body(seg), format="json")
    rows = history()

    again = client.post("/api/v1/measures/", measure_body(seg), format="json")

    assert again.status_code == 200
    assert again.json() == first.json()  # same id, same version, same updated_at
    assert Measure.objects.filter(customer=seg.cx, valid_from=D(2025, 6, 1)).count() == 1
    assert history() == rows


def test_a_second_measure_of_the_same_day_replaces_the_first(seg, api):
    client = api(seg.admin)
    first = client.post("/api/v1/measures/", measure_body(seg), format="json").json()

    second = client.post(
        "/api/v1/measures/", measure_body(seg, potential="180.5", support=2), format="json"
    )

    assert second.status_code == 200
    assert second.json()["id"] == first["id"]
    assert second.json()["version"] == 2
    assert second.json()["potential"] == 180.5
    measure = Measure.objects.get(customer=seg.cx, valid_from=D(2025, 6, 1))
    assert (measure.potential, measure.support) == (Decimal("180.50"), Decimal("2.00"))
    classes = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/").json()
    assert classes["products"][0]["klass"] == "B"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"potential": -1}, "potential"),
        ({"support": "-0.5"}, "support"),
        ({"potential": "many"}, "potential"),
        ({"support": None}, "support"),
        ({"potential": "1.234"}, "potential"),
        ({"product": str(uuid.uuid4())}, "product"),
        ({"product": "not-a-uuid"}, "product"),
        ({"customer": str(uuid.uuid4())}, "customer"),
        ({"valid_from": "June"}, "valid_from"),
        ("non-prescriber", "customer"),
    ],
)
def test_bad_measures_are_refused_and_nothing_is_written(seg, api, changes, field):
    if changes == "non-prescriber":
        nurse = CustomerFactory(kind=CustomerKind.NON_PRESCRIBER, role_group="N3", territory=seg.tx)
        changes = {"customer": str(nurse.pk)}
    before = list(Measure.objects.values_list("id", "version")), history()

    response = api(seg.admin).post("/api/v1/measures/", measure_body(seg, **changes), format="json")

    assert_refused(response, field)
    assert (list(Measure.objects.values_list("id", "version")), history()) == before


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional", "outsider_rep"])
def test_only_admins_write_measures(seg, api, persona):
    before = Measure.objects.count()

    response = api(getattr(seg, persona)).post(
        "/api/v1/measures/", measure_body(seg), format="json"
    )

    assert_refused(response, None, status=403)
    assert Measure.objects.count() == before


def test_measures_are_versions_not_edited_or_deleted(seg, api):
    client = api(seg.admin)
    measure = Measure.objects.get(customer=seg.cx)
    url = f"/api/v1/measures/{measure.pk}/"

    assert client.put(url, measure_body(seg), format="json").status_code == 405
    assert client.patch(url, {"potential": 1}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_measures_are_scoped_to_the_customers_one_sees(seg, api, persona):
    client = api(getattr(seg, persona))
    visible = PERSONAS[persona]
    expected = {str(m.pk) for m in Measure.objects.all() if m.customer_id in seg_ids(seg, visible)}

    assert ids(client.get("/api/v1/measures/")) == expected
    assert ids(client.get("/api/v1/measures/", {"customer": seg.cy.pk})) == expected & {
        str(Measure.objects.get(customer=seg.cy).pk)
    }
    for name in ("cx", "cy"):
        measure = Measure.objects.get(customer=getattr(seg, name))
        status = 200 if name in visible else 404
        assert client.get(f"/api/v1/measures/{measure.pk}/").status_code == status


def seg_ids(w, names):
    return {getattr(w, name).pk for name in names}


def test_measures_filter_by_product(seg, api):
    other = ProductFactory()
    services.measure_save(by=seg.admin, customer=seg.cx, product=other, potential=1, support=1)
    client = api(seg.admin)

    assert len(ids(client.get("/api/v1/measures/", {"product": other.pk}))) == 1
    assert len(ids(client.get("/api/v1/measures/", {"product": seg.product.pk}))) == 2
    assert_refused(client.get("/api/v1/measures/", {"product": "x"}), "product")


# thresholds/ and reclassifications/


def test_a_new_threshold_starts_a_job_the_admin_polls(seg, api, django_capture_on_commit_callbacks):
    client = api(seg.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/thresholds/",
            {
                "product": str(seg.product.pk),
                "potential_min": 200,
                "support_min": "10.5",
                "valid_from": "2025-07-01",
                "reason": "Market grew",
            },
            format="json",
        )

    assert response.status_code == 201, response.json()
    row = response.json()
    assert (row["potential_min"], row["support_min"]) == (200, 10.5)
    assert (row["reason"], row["author"], row["valid_from"]) == (
        "Market grew",
        seg.admin.pk,
        "2025-07-01",
    )
    assert row["job"]["status"] == "queued"
    assert row["job"]["progress"] == 0
    job = client.get(f"/api/v1/reclassifications/{row['job']['id']}/").json()
    assert (job["status"], job["progress"], job["threshold"]) == ("done", 1.0, row["id"])
    assert job["changed"] > 0
    listed = client.get("/api/v1/thresholds/", {"product": seg.product.pk}).json()["results"]
    assert {t["id"]: t["job"]["status"] for t in listed}[row["id"]] == "done"
    cx = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/", {"on": "2025-07-01"}).json()
    assert cx["products"][0]["klass"] == "C"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_user_reads_the_thresholds(seg, api, persona):
    Threshold.objects.create(
        product=seg.product, potential_min=1, support_min=1, valid_from=D(2020, 1, 1)
    )

    rows = api(getattr(seg, persona)).get("/api/v1/thresholds/").json()["results"]

    assert len(rows) == 2
    jobs = {row["valid_from"]: row["job"] for row in rows}
    assert jobs["2020-01-01"] is None  # no job started it
    assert jobs["2025-01-01"]["id"] == str(Reclassification.objects.get().pk)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"product": str(uuid.uuid4())}, "product"),
        ({"product": "unknown"}, "product"),
        ({"product": None}, "product"),
        ({"potential_min": -5}, "potential_min"),
        ({"support_min": "lots"}, "support_min"),
        ({"support_min": None}, "support_min"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_is_written(seg, api, changes, field):
    before = Threshold.objects.count(), Reclassification.objects.count()
    body = {"product": str(seg.product.pk), "potential_min": 1, "support_min": 1} | changes

    response = api(seg.admin).post("/api/v1/thresholds/", body, format="json")

    assert_refused(response, field)
    assert (Threshold.objects.count(), Reclassification.objects.count()) == before


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional", "outsider_rep"])
def test_only_admins_write_thresholds_and_poll_jobs(seg, api, persona):
    client = api(getattr(seg, persona))
    job = Reclassification.objects.get()

    response = client.post(
        "/api/v1/thresholds/",
        {"product": str(seg.product.pk), "potential_min": 1, "support_min": 1},
        format="json",
    )

    assert_refused(response, None, status=403)
    assert Threshold.objects.count() == 1
    assert_refused(client.get(f"/api/v1/reclassifications/{job.pk}/"), None, status=403)
    assert client.patch(f"/api/v1/thresholds/{Threshold.objects.get().pk}/", {}).status_code in (
        403,
        405,
    )


def test_an_unknown_job_is_404(seg, api):
    assert_refused(
        api(seg.admin).get(f"/api/v1/reclassifications/{uuid.uuid4()}/"), None, status=404
    )


# overrides/


def override_body(w, **changes):
    return {
        "customer": str(w.cx.pk),
        "product": str(w.product.pk),
        "klass": "D",
        "reason": "Retired from the clinic",
        "valid_from": "2025-03-01",
    } | changes


@pytest.mark.parametrize("persona", ["dm_x", "admin"])
def test_a_dm_or_admin_overrides_a_class_and_clears_it(seg, api, persona):
    client = api(getattr(seg, persona))

    response = client.post("/api/v1/overrides/", override_body(seg), format="json")

    assert response.status_code == 201, response.json()
    row = response.json()
    user = getattr(seg, persona)
    assert (row["klass"], row["reason"], row["author"], row["cleared_on"]) == (
        "D",
        "Retired from the clinic",
        user.pk,
        None,
    )
    march = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/", {"on": "2025-03-01"}).json()
    product = march["products"][0]
    assert (product["klass"], product["source"], product["override"]) == (
        "D",
        "override",
        row["id"],
    )

    cleared = client.post(
        f"/api/v1/overrides/{row['id']}/clear/", {"on": "2025-05-01"}, format="json"
    )

    assert cleared.status_code == 200, cleared.json()
    assert (cleared.json()["cleared_on"], cleared.json()["cleared_by"]) == ("2025-05-01", user.pk)
    may = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/", {"on": "2025-05-01"}).json()
    assert (may["products"][0]["klass"], may["products"][0]["source"]) == ("A", "computed")
    april = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/", {"on": "2025-04-30"}).json()
    assert april["products"][0]["klass"] == "D"


def test_an_override_is_cleared_today_by_default_and_only_once(seg, api):
    client = api(seg.dm_x)
    row = client.post("/api/v1/overrides/", override_body(seg), format="json").json()

    cleared = client.post(f"/api/v1/overrides/{row['id']}/clear/", format="json")
    again = client.post(f"/api/v1/overrides/{row['id']}/clear/", format="json")

    assert cleared.json()["cleared_on"] == timezone.localdate().isoformat()
    assert_refused(again, "on")
    bad = client.post(f"/api/v1/overrides/{row['id']}/clear/", {"on": "soon"}, format="json")
    assert_refused(bad, "on")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": None}, "reason"),
        ("no-reason", "reason"),
        ({"klass": "E"}, "klass"),
        ({"klass": "a"}, "klass"),
        ({"klass": "N"}, "klass"),
        ({"product": str(uuid.uuid4())}, "product"),
        ({"valid_from": "2025-02-30"}, "valid_from"),
        ("non-prescriber", "customer"),
        ("other-district", "customer"),
    ],
)
def test_bad_overrides_are_refused_and_nothing_is_written(seg, api, changes, field):
    body = override_body(seg)
    if changes == "no-reason":
        del body["reason"]
    elif changes == "non-prescriber":
        nurse = CustomerFactory(kind=CustomerKind.NON_PRESCRIBER, role_group="N3", territory=seg.tx)
        body["customer"] = str(nurse.pk)
    elif changes == "other-district":
        body["customer"] = str(seg.cy.pk)
    else:
        body |= changes
    before = ClassOverride.objects.count(), history()

    response = api(seg.dm_x).post("/api/v1/overrides/", body, format="json")

    assert_refused(response, field)
    assert (ClassOverride.objects.count(), history()) == before


@pytest.mark.parametrize("persona", ["rep_x", "regional", "outsider_rep"])
def test_reps_and_regional_managers_cannot_override_or_clear(seg, api, persona):
    override = services.override_create(
        by=seg.admin, customer=seg.cx, product=seg.product, klass="C", reason="r"
    )
    client = api(getattr(seg, persona))

    created = client.post("/api/v1/overrides/", override_body(seg), format="json")
    cleared = client.post(f"/api/v1/overrides/{override.pk}/clear/", format="json")

    assert_refused(created, None, status=403)
    assert_refused(cleared, None, status=403)
    override.refresh_from_db()
    assert (ClassOverride.objects.count(), override.cleared_on) == (1, None)


@pytest.mark.parametrize("persona", PERSONAS)
def test_overrides_are_scoped(seg, api, persona):
    overrides = {
        name: services.override_create(
            by=seg.admin, customer=getattr(seg, name), product=seg.product, klass="D", reason="r"
        )
        for name in ("cx", "cy")
    }
    client = api(getattr(seg, persona))
    visible = PERSONAS[persona]

    assert ids(client.get("/api/v1/overrides/")) == {str(overrides[n].pk) for n in visible}
    for name, override in overrides.items():
        status = 200 if name in visible else 404
        assert client.get(f"/api/v1/overrides/{override.pk}/").status_code == status


def test_a_dm_cannot_clear_another_districts_override(seg, api):
    override = services.override_create(
        by=seg.dm_y, customer=seg.cy, product=seg.product, klass="D", reason="r"
    )

    response = api(seg.dm_x).post(f"/api/v1/overrides/{override.pk}/clear/", format="json")

    assert_refused(response, None, status=404)
    override.refresh_from_db()
    assert override.cleared_on is None


# customers/{id}/classes/


def test_classes_are_history_exact_around_a_threshold_change(
    seg, api, django_capture_on_commit_callbacks
):
    services.measure_save(
        by=seg.admin,
        customer=seg.cx,
        product=seg.product,
        potential=120,
        support=5,
        valid_from=JAN,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.threshold_save(
            by=seg.admin,
            product=seg.product,
            potential_min=130,
            support_min=10,
            valid_from=D(2025, 7, 1),
            reason="Market grew",
        )
    client = api(seg.rep_x)
    url = f"/api/v1/customers/{seg.cx.pk}/classes/"

    before = client.get(url, {"on": "2025-06-30"}, HTTP_ACCEPT_LANGUAGE="en")
    after = client.get(url, {"on": "2025-07-01"})

    assert before.status_code == 200, before.json()
    assert before.json() == {
        "customer": str(seg.cx.pk),
        "on": "2025-06-30",
        "products": [
            {
                "product": str(seg.product.pk),
                "klass": "B",
                "source": "computed",
                "valid_from": "2025-01-01",
                "strategy": "attack",
                "strategy_label": "attack",
                "strategy_text": "Attack: probe concerns, deliver key messages, convert.",
                "potential": 120,
                "support": 5,
                "override": None,
            }
        ],
        "territories": [{"territory": str(seg.tx.pk), "klass": "B"}],
    }
    product = after.json()["products"][0]
    assert (product["klass"], product["valid_from"], product["strategy"]) == (
        "D",
        "2025-07-01",
        "observe",
    )
    assert (product["potential"], product["support"]) == (120, 5)
    assert after.json()["territories"] == [{"territory": str(seg.tx.pk), "klass": "D"}]


def test_classes_show_the_measures_in_force_on_the_day(seg, api):
    services.measure_save(
        by=seg.admin,
        customer=seg.cx,
        product=seg.product,
        potential=50,
        support=5,
        valid_from=D(2025, 9, 1),
    )
    client = api(seg.admin)
    url = f"/api/v1/customers/{seg.cx.pk}/classes/"

    august = client.get(url, {"on": "2025-08-31"}).json()["products"][0]
    september = client.get(url, {"on": "2025-09-01"}).json()["products"][0]
    before_any = client.get(url, {"on": "2024-12-31"}).json()  # before measures and alignment

    assert (august["klass"], august["potential"], august["support"]) == ("A", 150, 20)
    assert (september["klass"], september["potential"], september["support"]) == ("D", 50, 5)
    assert (before_any["products"], before_any["territories"]) == ([], [])


def test_classes_default_to_today_and_name_non_prescribers_n(seg, api):
    nurse = CustomerFactory(kind=CustomerKind.NON_PRESCRIBER, role_group="N3", territory=seg.tx)
    client = api(seg.rep_x)

    today = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/").json()
    theirs = client.get(f"/api/v1/customers/{nurse.pk}/classes/").json()

    assert today["on"] == timezone.localdate().isoformat()
    assert today["products"][0]["klass"] == "A"
    assert today["products"][0]["strategy"] == "defend"
    product = theirs["products"][0]
    assert (product["klass"], product["strategy"], product["potential"]) == (
        "N",
        "non_prescriber",
        None,
    )
    assert theirs["territories"] == [{"territory": str(seg.tx.pk), "klass": "N"}]


@pytest.mark.parametrize("on", ["yesterday", "2025-13-01", "2025-1-1x"])
def test_a_bad_day_is_refused_naming_on(seg, api, on):
    response = api(seg.rep_x).get(f"/api/v1/customers/{seg.cx.pk}/classes/", {"on": on})

    assert_refused(response, "on")


@pytest.mark.parametrize("persona", PERSONAS)
def test_classes_of_a_customer_out_of_scope_are_404(seg, api, persona):
    client = api(getattr(seg, persona))

    for name in ("cx", "cy"):
        status = 200 if name in PERSONAS[persona] else 404
        response = client.get(f"/api/v1/customers/{getattr(seg, name).pk}/classes/")
        assert response.status_code == status
    assert client.get(f"/api/v1/customers/{uuid.uuid4()}/classes/").status_code == 404


def test_classes_show_only_the_territories_one_sees(seg, api):
    seg.cy.alignments.create(territory=seg.tx, valid_from=JAN)  # cy also in tx now

    mine = api(seg.rep_x).get(f"/api/v1/customers/{seg.cy.pk}/classes/").json()
    every = api(seg.admin).get(f"/api/v1/customers/{seg.cy.pk}/classes/").json()

    assert mine["territories"] == [{"territory": str(seg.tx.pk), "klass": "B"}]
    assert {t["territory"] for t in every["territories"]} == {str(seg.tx.pk), str(seg.ty.pk)}


# customers/: klass


def test_customers_carry_and_filter_by_their_class(seg, api):
    nurse = CustomerFactory(kind=CustomerKind.NON_PRESCRIBER, role_group="N3", territory=seg.tx)
    new = CustomerFactory(territory=seg.tx)  # no measures: no class yet
    client = api(seg.dm_x)

    rows = {row["id"]: row["klass"] for row in client.get("/api/v1/customers/").json()["results"]}

    assert rows == {str(seg.cx.pk): "A", str(nurse.pk): "N", str(new.pk): None}
    assert ids(client.get("/api/v1/customers/", {"klass": "A"})) == {str(seg.cx.pk)}
    assert ids(client.get("/api/v1/customers/", {"klass": "N"})) == {str(nurse.pk)}
    assert ids(client.get("/api/v1/customers/", {"klass": "B"})) == set()  # cy is B, not visible
    assert ids(api(seg.admin).get("/api/v1/customers/", {"klass": "B"})) == {str(seg.cy.pk)}
    assert client.get(f"/api/v1/customers/{seg.cx.pk}/").json()["klass"] == "A"
    assert_refused(client.get("/api/v1/customers/", {"klass": "E"}), "klass")


def test_a_changed_customer_answers_with_its_class(seg, api):
    client = api(seg.rep_x)

    changed = client.patch(f"/api/v1/customers/{seg.cx.pk}/", {"title": "主任"}, format="json")
    created = client.post(
        "/api/v1/customers/",
        {"name": "张伟", "kind": "prescriber", "institution": str(seg.hx.pk)},
        format="json",
    )

    assert changed.json()["klass"] == "A"
    assert created.status_code == 201, created.json()
    assert created.json()["klass"] is None


# Query counts.


def add_classified_customers(w, n):
    for i in range(n):
        customer = CustomerFactory(institution=w.hx, department=w.dx, territory=w.tx)
        services.measure_save(
            by=w.admin,
            customer=customer,
            product=w.product,
            potential=150,
            support=i % 20,
            valid_from=JAN,
        )
        services.override_create(
            by=w.admin,
            customer=customer,
            product=w.product,
            klass="C",
            reason="r",
            valid_from=D(2025, 2, 1),
        )


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "admin"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/",
        "/api/v1/customers/?klass=B",
        "/api/v1/measures/",
        "/api/v1/overrides/",
        "/api/v1/thresholds/",
        "cx-classes",
    ],
)
def test_queries_do_not_grow_with_the_data(seg, api, persona, url):
    if url == "cx-classes":
        url = f"/api/v1/customers/{seg.cx.pk}/classes/"
    client = api(getattr(seg, persona))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add_classified_customers(seg, 3)
    small = count()
    add_classified_customers(seg, 27)
    for day in range(2, 12):
        services.threshold_save(
            by=seg.admin,
            product=seg.product,
            potential_min=100 + day,
            support_min=10,
            valid_from=D(2025, 3, day),
        )

    assert count() == small
    assert small <= 12


# OpenAPI


def test_the_schema_documents_the_segmentation_without_warnings(client, world):
    GENERATOR_STATS.reset()

    client.force_login(world.rep_x)  # the schema is for signed-in users
    response = client.get("/api/schema/")

    assert response.status_code == 200
    for path in (
        "/api/v1/measures/",
        "/api/v1/thresholds/",
        "/api/v1/reclassifications/{id}/",
        "/api/v1/overrides/",
        "/api/v1/overrides/{id}/clear/",
        "/api/v1/customers/{id}/classes/",
    ):
        assert path.encode() in response.content
    ours = ("Measure", "Threshold", "Reclassification", "Override", "Customer", "klass", "status")
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert [m for m in messages if any(name in m for name in ours)] == []
