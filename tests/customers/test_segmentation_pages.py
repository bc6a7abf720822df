"""The admin Segmentation pages: products with thresholds and counts, the scatter of a product,
the what-if preview, apply (a job with progress) and the versions; admins only."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import ClassHistory, Reclassification, Threshold
from customers.selectors import class_on
from customers.views import segmentation as segmentation_views
from tests.factories import CustomerFactory, ProductFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

D = datetime.date
VALUES = {"A": (150, 20), "B": (150, 5), "C": (50, 20), "D": (50, 5)}


@pytest.fixture
def seg(world):
    """A product with thresholds potential ≥ 100, support ≥ 10 since 1 January, and one doctor
    of each class A, B, C, D (measures since 1 February) in territory tx."""
    product = ProductFactory(name="Oncoxa", code="ONX")
    world.tx.team.products.add(product)
    services.threshold_save(
        by=world.admin,
        product=product,
        potential_min=100,
        support_min=10,
        valid_from=D(2026, 1, 1),
        reason="Launch",
    )
    doctors = {}
    for klass, (potential, support) in VALUES.items():
        doctors[klass] = CustomerFactory(name=f"Doctor {klass}", territory=world.tx)
        services.measure_save(
            by=world.admin,
            customer=doctors[klass],
            product=product,
            potential=potential,
            support=support,
            valid_from=D(2026, 2, 1),
        )
    world.product, world.doctors = product, doctors
    return world


def product_url(seg, **query):
    url = reverse("customers:segmentation_product", args=[seg.product.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def text(response):
    """The page's text without tags and with whitespace squeezed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Who may see the pages.


def urls(seg):
    job = Reclassification.objects.filter(product=seg.product).first()
    return [
        reverse("customers:segmentation"),
        product_url(seg),
        product_url(seg, potential_min=1, support_min=1, valid_from="2026-03-01"),
        reverse("customers:segmentation_job", args=[job.pk]),
        reverse("customers:segmentation_job_status", args=[job.pk]),
    ]


def test_admins_open_every_segmentation_page(seg, login):
    client = login(seg.admin)
    for url in urls(seg):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "regional", "outsider_rep"])
def test_everybody_else_gets_403(seg, login, persona):
    client = login(getattr(seg, persona))
    for url in urls(seg):
        assert client.get(url).status_code == 403, url
    response = client.post(
        product_url(seg),
        {"potential_min": 1, "support_min": 1, "valid_from": "2026-03-01", "reason": "x"},
    )
    assert response.status_code == 403
    assert Threshold.objects.count() == 1


def test_the_menu_offers_segmentation_to_admins_only(seg, login):
    segmentation = reverse("customers:segmentation")

    assert f'href="{segmentation}"' in login(seg.admin).get("/customers/").content.decode()
    assert f'href="{segmentation}"' not in login(seg.dm_x).get("/customers/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(seg, client):
    response = client.get(reverse("customers:segmentation"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_product_or_job_is_404(seg, login):
    client = login(seg.admin)

    missing = uuid.uuid4()
    assert client.get(reverse("customers:segmentation_product", args=[missing])).status_code == 404
    assert client.get(reverse("customers:segmentation_job", args=[missing])).status_code == 404
    assert (
        client.get(reverse("customers:segmentation_job_status", args=[missing])).status_code == 404
    )
    response = client.post(
        reverse("customers:segmentation_product", args=[missing]),
        {"potential_min": 1, "support_min": 1, "valid_from": "2026-03-01", "reason": "x"},
    )
    assert response.status_code == 404
    assert Threshold.objects.count() == 1


# The products page.


def test_the_products_page_shows_thresholds_in_force_and_counts_per_class(seg, login):
    ProductFactory(name="Cardiox", code="CDX")

    response = login(seg.admin).get(reverse("customers:segmentation"))

    page = text(response)
    assert "Oncoxa" in page and "Cardiox" in page
    assert "potential ≥ 100 · support ≥ 10" in page
    assert "No thresholds yet" in page
    oncoxa = next(p for p in response.context["products"] if p.code == "ONX")
    assert oncoxa.klasses == [("A", 1), ("B", 1), ("C", 1), ("D", 1)]
    assert product_url(seg) in response.content.decode()


# The product page: the scatter.


def test_the_scatter_draws_every_measured_prescriber_with_its_class_and_the_lines(seg, login):
    response = login(seg.admin).get(product_url(seg))

    html = response.content.decode()
    for klass in "ABCD":
        assert html.count(f'class="pt k-{klass}"') == 1 + 1  # the point and its legend mark
        assert f"Doctor {klass} · " in html  # the point's tooltip
    assert "4 prescribers with measures." in text(response)
    assert html.count('class="tline proposed"') == 2  # the two draggable threshold lines
    assert "≥ 100" in html and "≥ 10" in html
    assert 'value="100"' in html and 'value="10"' in html  # the inputs hold the values


def test_the_scatter_says_when_it_shows_a_sample(seg, login, monkeypatch):
    monkeypatch.setattr(segmentation_views, "SCATTER_LIMIT", 3)

    response = login(seg.admin).get(product_url(seg))

    assert "Showing 3 of 4 prescribers with measures" in text(response)
    assert response.content.decode().count('<use href="#seg-m') == 3 + 4  # points + legend


def test_the_scatter_uses_the_measures_and_classes_of_the_chosen_day(seg, login):
    response = login(seg.admin).get(
        product_url(seg, potential_min=100, support_min=10, valid_from="2026-01-15")
    )

    assert "0 prescribers with measures." in text(response)


# Preview.


def test_the_preview_says_who_would_move_and_writes_nothing(seg, login):
    history = ClassHistory.objects.count()

    response = login(seg.admin).get(
        product_url(seg, potential_min=40, support_min=10, valid_from="2026-03-01", preview=1)
    )

    page = text(response)
    assert "2 of 4 measured prescribers would change class." in page
    assert "1 moves C → A" in page and "1 moves D → B" in page
    assert "Overrides do not move" in page
    matrix = response.context["preview"]["rows"]
    assert [cell["n"] for cell in matrix[2]["cells"]] == [1, 0, 0, 0]  # C → A
    movers = response.context["preview"]["movers"]
    assert {(m["customer"].name, m["old"], m["new"]) for m in movers} == {
        ("Doctor C", "C", "A"),
        ("Doctor D", "D", "B"),
    }
    assert reverse("customers:detail", args=[seg.doctors["C"].pk]) in response.content.decode()
    assert 'id="seg-apply"' in response.content.decode()
    assert Threshold.objects.count() == 1
    assert ClassHistory.objects.count() == history


def test_the_preview_counts_overrides_which_do_not_move(seg, login):
    services.override_create(
        by=seg.dm_x,
        customer=seg.doctors["D"],
        product=seg.product,
        klass="A",
        reason="Head of department",
        valid_from=D(2026, 2, 15),
    )

    response = login(seg.admin).get(
        product_url(seg, potential_min=40, support_min=10, valid_from="2026-03-01", preview=1)
    )

    page = text(response)
    assert "1 moves C → A" in page
    assert "D → B" not in page
    assert "1 prescriber with an override keeps its class" in page
    assert 'class="pt k-A ov"' in response.content.decode()


def test_nobody_moves_with_the_values_in_force(seg, login):
    response = login(seg.admin).get(
        product_url(seg, potential_min=100, support_min=10, valid_from="2026-03-01", preview=1)
    )

    assert "Nobody would change class." in text(response)


@pytest.mark.parametrize(
    ("potential_min", "error"),
    [("-5", "Cannot be negative."), ("lots", "Enter a number."), ("", "This field is required.")],
)
def test_a_preview_of_bad_values_explains_and_shows_no_preview(seg, login, potential_min, error):
    response = login(seg.admin).get(
        product_url(seg, potential_min=potential_min, support_min=10, preview=1)
    )

    assert response.status_code == 200
    assert error in text(response)
    assert response.context["preview"] is None
    assert 'id="seg-apply"' not in response.content.decode()


# Apply.


def apply(client, seg, **data):
    values = {
        "potential_min": "40",
        "support_min": "10",
        "valid_from": "2026-03-01",
        "reason": "Market grew",
        **data,
    }
    return client.post(product_url(seg), values)


def test_apply_saves_a_version_runs_the_job_and_the_classes_change(
    seg, login, django_capture_on_commit_callbacks
):
    client = login(seg.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, seg)

    threshold = Threshold.objects.get(product=seg.product, valid_from=D(2026, 3, 1))
    assert (threshold.potential_min, threshold.support_min) == (Decimal(40), Decimal(10))
    assert (threshold.reason, threshold.author) == ("Market grew", seg.admin)
    job = Reclassification.objects.get(threshold=threshold)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:segmentation_job", args=[job.pk])
    assert (job.status, job.progress) == ("done", 1.0)
    march = class_on(customer=seg.doctors["C"], product=seg.product, day=D(2026, 3, 1))
    assert (march.klass, march.cause, march.note) == ("A", "threshold", "Market grew")
    assert class_on(customer=seg.doctors["C"], product=seg.product, day=D(2026, 2, 28)).klass == "C"

    page = client.get(response["Location"])
    assert "Done at" in text(page)
    assert "2 prescribers changed class on 2026-03-01." in text(page)
    assert 'value="100"' in page.content.decode()  # the progress bar is full
    assert f"{reverse('customers:list')}?klass=A" in page.content.decode()
    assert product_url(seg) in page.content.decode()
    status = client.get(reverse("customers:segmentation_job_status", args=[job.pk])).json()
    assert status["status"] == "done"
    assert status["progress"] == 1.0
    assert status["changed"] >= 2


def test_a_queued_job_shows_its_progress_and_a_refresh_link(seg, login):
    client = login(seg.admin)
    apply(client, seg)  # the job is queued on commit, which never comes in this test
    job = Reclassification.objects.latest("created_at")

    page = client.get(reverse("customers:segmentation_job", args=[job.pk]))

    assert "<progress" in page.content.decode()
    assert "Refresh" in text(page)
    assert "queued" in text(page)
    assert client.get(reverse("customers:segmentation_job_status", args=[job.pk])).json() == {
        "status": "queued",
        "status_display": "queued",
        "progress": 0.0,
        "changed": 0,
    }


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": ""}, "Give the reason for this change."),
        ({"reason": "   "}, "Give the reason for this change."),
        ({"potential_min": "-1"}, "Cannot be negative."),
        ({"support_min": "abc"}, "Enter a number."),
        ({"potential_min": ""}, "This field is required."),
        ({"valid_from": "someday"}, "Enter a valid date."),
    ],
)
def test_bad_input_to_apply_explains_and_writes_nothing(seg, login, data, error):
    jobs = Reclassification.objects.count()

    response = apply(login(seg.admin), seg, **data)

    assert response.status_code == 200
    assert error in text(response)
    assert Threshold.objects.count() == 1
    assert Reclassification.objects.count() == jobs


# Versions.


def test_versions_list_every_threshold_and_old_ones_can_be_applied_again(
    seg, login, django_capture_on_commit_callbacks
):
    client = login(seg.admin)
    with django_capture_on_commit_callbacks(execute=True):
        apply(client, seg, valid_from="2026-03-01", reason="Market grew")

    response = client.get(product_url(seg))

    page = text(response)
    assert "Launch" in page and "Market grew" in page
    assert page.count("Apply these values again") == 1  # on the old version only
    assert "apply the values of an old version again" in page
    versions = response.context["versions"]
    assert [v.in_force for v in versions] == [True, False]
    today = timezone.localdate().isoformat()
    reapply = client.get(versions[1].reapply_url)
    assert reapply.context["form"]["potential_min"].value() == "100"
    assert reapply.context["form"]["valid_from"].value() == today
    assert reapply.context["preview"] is not None


# Query counts.


def add_measured(seg, n):
    for i in range(n):
        doctor = CustomerFactory(territory=seg.tx)
        services.measure_save(
            by=seg.admin,
            customer=doctor,
            product=seg.product,
            potential=10 + 7 * i,
            support=i % 15,
            valid_from=D(2026, 2, 1),
        )


@pytest.mark.parametrize(
    "query",
    [{}, {"potential_min": 40, "support_min": 5, "valid_from": "2026-03-01", "preview": 1}],
    ids=["product", "preview"],
)
def test_product_page_queries_do_not_grow_with_the_data(seg, login, query):
    client = login(seg.admin)
    url = product_url(seg, **query)
    add_measured(seg, 3)
    small = count_queries(client, url)

    add_measured(seg, 30)
    large = count_queries(client, url)

    assert large == small
    assert small <= 18  # the preview: a savepoint and its temporary table


def test_products_page_queries_do_not_grow_with_products(seg, login):
    client = login(seg.admin)
    url = reverse("customers:segmentation")
    small = count_queries(client, url)

    for _ in range(5):
        ProductFactory()
    add_measured(seg, 10)

    assert count_queries(client, url) == small
