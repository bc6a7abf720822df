"""An admin changes a product's thresholds: types them, previews who moves, applies with a
reason, follows the job to the end, and a doctor's class has changed."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers import services
from customers.models import Reclassification
from customers.selectors import class_on
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory, ProductFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


@pytest.fixture
def seg(world):
    product = ProductFactory(name="Oncoxa", code="ONX")
    world.tx.team.products.add(product)
    start = timezone.localdate() - datetime.timedelta(days=60)
    services.threshold_save(
        by=world.admin,
        product=product,
        potential_min=100,
        support_min=10,
        valid_from=start,
        reason="Launch",
    )
    doctors = {}
    for i in range(40):
        potential, support = (37 * i) % 200, (11 * i) % 25
        doctors[i] = CustomerFactory(name=f"Doctor {i:02}", territory=world.tx)
        services.measure_save(
            by=world.admin,
            customer=doctors[i],
            product=product,
            potential=potential,
            support=support,
            valid_from=start,
        )
    world.product, world.doctors = product, doctors
    return world


def shot(page: Page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"segmentation-{name}.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desk", "phone"])
def test_an_admin_previews_and_applies_new_thresholds(page: Page, live_server, seg, width, height):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, live_server, "admin")
    # Doctor 03: potential 111, support 8 — B today; A once support ≥ 5.
    doctor = seg.doctors[3]
    today = timezone.localdate()
    assert class_on(customer=doctor, product=seg.product, day=today).klass == "B"

    page.locator("a:visible", has_text=re.compile("^Segmentation$")).first.click()
    shot(page, f"products-{width}")
    page.get_by_role("link", name=re.compile("Oncoxa")).click()
    expect(page.get_by_role("heading", name=re.compile("Oncoxa"))).to_be_visible()
    expect(page.get_by_text("40 prescribers with measures.")).to_be_visible()
    shot(page, f"product-{width}")

    page.get_by_label("Potential threshold").fill("100")
    page.get_by_label("Support threshold").fill("5")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_text(re.compile(r"\d+ moves? B → A"))).to_be_visible()
    expect(page.get_by_role("link", name="Doctor 03")).to_be_visible()
    expect(page.get_by_text("Overrides do not move")).to_be_visible()
    shot(page, f"preview-{width}")

    page.get_by_role("button", name="Apply these thresholds").click()
    expect(page.get_by_text("Give the reason for this change.")).to_be_visible()
    page.get_by_label("Reason").fill("Market grew")
    page.get_by_role("button", name="Apply these thresholds").click()

    expect(page.get_by_role("heading", name=re.compile("Reclassification"))).to_be_visible()
    expect(page.get_by_text(re.compile("Done at"))).to_be_visible(timeout=15_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    shot(page, f"job-{width}")
    assert class_on(customer=doctor, product=seg.product, day=today).klass == "A"

    page.get_by_role("link", name="Back to Oncoxa").click()
    expect(page.get_by_text("Market grew")).to_be_visible()
    expect(page.get_by_role("link", name="Apply these values again")).to_be_visible()


def test_an_admin_drags_a_threshold_line(page: Page, live_server, seg):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/customers/segmentation/{seg.product.pk}/")
    potential = page.get_by_label("Potential threshold")
    line = page.locator(".tline.proposed[data-axis=x] .hit")
    box = line.bounding_box()

    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()

    value = float(potential.input_value())
    assert 0 < value < 100
    shot(page, "drag-1280")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".seg-moves li").first).to_contain_text("→")
    apply = page.get_by_role("button", name="Apply these thresholds")
    expect(apply).to_be_enabled()

    page.get_by_label("Support threshold").fill("3")

    expect(apply).to_be_disabled()
    expect(page.get_by_text("The values above changed: preview them again")).to_be_visible()


def test_the_job_page_follows_a_running_job_until_it_is_done(page: Page, live_server, seg):
    job = Reclassification.objects.create(
        product=seg.product, threshold=seg.product.thresholds.first(), created_by=seg.admin
    )  # queued: no worker picks it up until the test runs it
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/customers/segmentation/jobs/{job.pk}/")
    expect(page.get_by_text("queued")).to_be_visible()
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()

    services.reclassification_run(job_id=job.pk)

    expect(page.get_by_text(re.compile("Done at"))).to_be_visible(timeout=10_000)
    expect(page.get_by_role("link", name="Back to Oncoxa")).to_be_visible()
