"""Reclassification jobs are audit records: applying thresholds a second time on the same day
makes a new threshold version and a new job; the first job's page shows exactly what it showed
(values, reason, how many prescribers moved)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customers import services
from customers.models import Reclassification, Threshold
from customers.selectors import class_on, threshold_on, threshold_versions
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = D(2026, 3, 1)
# potential, support of the four doctors
VALUES = {"A": (150, 20), "B": (150, 5), "C": (50, 20), "D": (50, 5)}


@pytest.fixture
def seg(world):
    product = ProductFactory(name="Oncoxa", code="ONX")
    world.tx.team.products.add(product)
    services.threshold_save(
        by=world.admin, product=product, potential_min=100, support_min=10, valid_from=D(2026, 1, 1)
    )
    world.doctors = {}
    for klass, (potential, support) in VALUES.items():
        world.doctors[klass] = CustomerFactory(name=f"Doctor {klass}", territory=world.tx)
        services.measure_save(
            by=world.admin,
            customer=world.doctors[klass],
            product=product,
            potential=potential,
            support=support,
            valid_from=D(2026, 2, 1),
        )
    world.product = product
    return world


def apply(client, seg, potential, support, reason):
    url = reverse("customers:segmentation_product", args=[seg.product.pk])
    data = {
        "potential_min": potential,
        "support_min": support,
        "valid_from": DAY.isoformat(),
        "reason": reason,
    }
    return client.post(url, data)


def job_card(client, job):
    """The job page's card as the admin sees it (its text, whitespace squeezed)."""
    html = client.get(reverse("customers:segmentation_job", args=[job.pk])).content.decode()
    card = html[html.index('<section class="card">') : html.index("</section>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)).strip()


def test_a_second_apply_on_the_same_day_is_a_new_job_and_the_first_stays_as_it_was(
    seg, login, django_capture_on_commit_callbacks
):
    client = login(seg.admin)
    with django_capture_on_commit_callbacks(execute=True):
        first_response = apply(client, seg, "40", "10", "Market grew")
    first = Reclassification.objects.get(threshold__reason="Market grew")
    before = job_card(client, first)
    # potential ≥ 40, support ≥ 10: C (50, 20) → A and D (50, 5) → B moved.
    assert "2 prescribers changed class" in before
    assert "Market grew" in before

    with django_capture_on_commit_callbacks(execute=True):
        second_response = apply(client, seg, "200", "30", "Budget cut")

    second = Reclassification.objects.get(threshold__reason="Budget cut")
    assert second.pk != first.pk
    assert second_response["Location"] != first_response["Location"]
    assert Reclassification.objects.filter(product=seg.product).count() == 3  # Jan, first, second
    assert Threshold.objects.filter(product=seg.product, valid_from=DAY).count() == 2
    first.refresh_from_db()
    assert (first.threshold.potential_min, first.threshold.support_min) == (Decimal(40), 10)
    assert first.threshold.reason == "Market grew"
    assert first.moved == 2
    # Every doctor is D with 200 / 30; A, B and C moved on that day because of the second.
    assert second.moved == 3
    assert job_card(client, first) == before
    after = job_card(client, second)
    assert "Budget cut" in after and "3 prescribers changed class" in after

    # The latest threshold of the day is the one in force; both versions are listed.
    assert threshold_on(product=seg.product, day=DAY).reason == "Budget cut"
    assert [t.reason for t in threshold_versions(seg.product)][:2] == ["Budget cut", "Market grew"]
    march = class_on(customer=seg.doctors["A"], product=seg.product, day=DAY)
    assert (march.klass, march.note) == ("D", "Budget cut")


def test_the_service_never_rewrites_a_threshold_of_the_same_day(seg):
    one = services.threshold_save(
        by=seg.admin, product=seg.product, potential_min=1, support_min=1, valid_from=DAY
    )
    two = services.threshold_save(
        by=seg.admin,
        product=seg.product,
        potential_min=2,
        support_min=2,
        valid_from=DAY,
        reason="again",
    )

    assert one.pk != two.pk and one.job.pk != two.job.pk
    one.refresh_from_db()
    assert (one.potential_min, one.support_min, one.reason, one.version) == (1, 1, "", 1)
    assert one.history.count() == 1
