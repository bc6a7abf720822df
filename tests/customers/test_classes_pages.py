"""Classes on the customer pages: the Classes card and class history of a customer, overrides by
DMs and admins through the pages, and the class badges, class filter and counts of the list."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Alignment, ClassHistory, ClassOverride
from org.services import compliance_settings_save
from tests.factories import CustomerFactory, ProductFactory, TeamFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def seg(world):
    """Oncology products P1 (teams of tx and ty) and P2 (team of tx only), thresholds
    potential ≥ 100 and support ≥ 10 from 1 January 2026.

    cx: P1 A from February, C from June (new measures); P2 B from February: B in tx.
    cy: P1 D from February: D in ty.
    In tx also a non-prescriber (N2) and a prescriber without measures (unclassified)."""
    admin = world.admin
    p1 = ProductFactory(name="希罗达 Xeloda", code="XEL")
    p2 = ProductFactory(name="安维汀 Avastin", code="AVA")
    world.tx.team.products.add(p1, p2)
    world.ty.team.products.add(p1)
    for product in (p1, p2):
        services.threshold_save(
            by=admin, product=product, potential_min=100, support_min=10, valid_from=D(2026, 1, 1)
        )
    for customer, product, potential, support, day in [
        (world.cx, p1, 150, 20, D(2026, 2, 1)),
        (world.cx, p2, 150, 5, D(2026, 2, 1)),
        (world.cx, p1, 50, 20, D(2026, 6, 1)),
        (world.cy, p1, 50, 5, D(2026, 2, 1)),
    ]:
        services.measure_save(
            by=admin,
            customer=customer,
            product=product,
            potential=potential,
            support=support,
            valid_from=day,
        )
    nurse = CustomerFactory(
        name="赵护士长",
        name_en="Head Nurse Zhao",
        kind="non_prescriber",
        role_group="N3",
        institution=world.hx,
        territory=world.tx,
    )
    newcomer = CustomerFactory(
        name="钱医生", name_en="Dr Qian", institution=world.hx, territory=world.tx
    )
    world.p1, world.p2, world.nurse, world.newcomer = p1, p2, nurse, newcomer
    return world


def detail(client, customer):
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(page, heading_id):
    """The HTML of the <section> labelled by `heading_id`."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)
    assert match, heading_id
    return match.group(0)


def product_block(classes, name):
    """The Classes card's entry of one product."""
    blocks = re.findall(r'<li>\s*<div class="klass-head">.*?</li>', classes, re.S)
    found = [block for block in blocks if name in block]
    assert len(found) == 1, name
    return found[0]


def badge(klass):
    return f'class="badge klass-{klass}"'


def override_url(customer, product=None):
    url = reverse("customers:override_create", args=[customer.pk])
    return f"{url}?product={product.pk}" if product else url


# The customer page.


def test_a_rep_sees_the_class_per_product_its_strategy_and_the_measures_behind_it(seg, login):
    compliance_settings_save(by=seg.admin, show_measures_to_reps=True)  # off by default (统方)
    client = login(seg.rep_x)

    classes = section(detail(client, seg.cx), "classes-h")

    xeloda = product_block(classes, "Xeloda")
    assert badge("C") in xeloda
    assert "Maintain: remind, keep supplying evidence." in xeloda
    assert "computed" in xeloda and "since 2026-06-01" in xeloda
    assert "<strong>50</strong>" in xeloda and "≥ 100" in xeloda  # potential 50: low
    assert "<strong>20</strong>" in xeloda and "≥ 10" in xeloda  # support 20: high
    assert "Measured on 2026-06-01" in xeloda and "thresholds from 2026-01-01" in xeloda
    avastin = product_block(classes, "Avastin")
    assert badge("B") in avastin and "Attack: probe concerns" in avastin
    # the class in the territory is the highest over the team's products: B (P2) over C (P1)
    territories = classes[: classes.index("klass-products")]
    assert seg.tx.name in territories and badge("B") in territories


def test_the_class_history_is_newest_first_with_its_reason(seg, login):
    client = login(seg.rep_x)

    timeline = section(detail(client, seg.cx), "timeline-h")

    c_now = timeline.index("2026-06-01 – now")
    a_before = timeline.index("2026-02-01 – 2026-05-31")
    assert c_now < a_before
    assert timeline.count("new measures") == 3
    assert "threshold change" not in timeline


def test_the_history_shows_an_override_its_note_and_who_set_it(seg, login):
    services.override_create(
        by=seg.dm_x,
        customer=seg.cx,
        product=seg.p2,
        klass="A",
        reason="Leads a multicentre trial",
        valid_from=D(2026, 9, 1),
    )
    client = login(seg.rep_x)

    page = detail(client, seg.cx)

    classes, timeline = section(page, "classes-h"), section(page, "timeline-h")
    avastin = product_block(classes, "Avastin")
    assert badge("A") in avastin and "override" in avastin
    assert f"Class A set by {seg.dm_x} from 2026-09-01" in avastin
    assert "Leads a multicentre trial" in avastin
    assert "Clear override" not in avastin  # a rep reads, does not clear
    newest = timeline[: timeline.index("2026-06-01 – now")]
    assert "2026-09-01 – now" in newest and "Leads a multicentre trial" in newest
    assert str(seg.dm_x) in newest


def test_a_non_prescriber_is_n_with_its_role_group_and_cannot_be_overridden(seg, login):
    client = login(seg.dm_x)

    classes = section(detail(client, seg.nurse), "classes-h")

    assert '<span class="badge klass-N" title="N · non-prescriber">N3</span>' in classes
    assert "Non-prescriber: visit by role group." in classes
    assert "Override class" not in classes


@pytest.mark.parametrize(
    ("persona", "sees_controls"),
    [("rep_x", False), ("regional", False), ("dm_x", True), ("admin", True)],
)
def test_only_dms_and_admins_see_the_override_controls(seg, login, persona, sees_controls):
    services.override_create(by=seg.dm_x, customer=seg.cx, product=seg.p2, klass="A", reason="KOL")
    client = login(getattr(seg, persona))

    classes = section(detail(client, seg.cx), "classes-h")

    assert ("Override class" in classes) == sees_controls
    assert (override_url(seg.cx, seg.p1) in classes) == sees_controls
    assert ("Clear override" in classes) == sees_controls


# Overrides through the pages.


def test_a_dm_overrides_a_class_with_a_reason(seg, login):
    client = login(seg.dm_x)
    form = client.get(override_url(seg.cx, seg.p2))
    assert form.status_code == 200
    assert f'<option value="{seg.p2.pk}" selected>' in form.content.decode()
    assert form.context["form"]["valid_from"].value() == timezone.localdate()

    response = client.post(
        override_url(seg.cx),
        {"product": seg.p2.pk, "klass": "A", "reason": "新任科主任 New head of department"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[seg.cx.pk])
    page = response.content.decode()
    assert f"class A from {timezone.localdate().isoformat()}" in page  # the message
    avastin = product_block(section(page, "classes-h"), "Avastin")
    assert badge("A") in avastin and "New head of department" in avastin
    override = ClassOverride.objects.get()
    assert (override.klass, override.author, override.valid_from) == (
        "A",
        seg.dm_x,
        timezone.localdate(),
    )
    row = ClassHistory.objects.get(customer=seg.cx, product=seg.p2, valid_to__isnull=True)
    assert (row.klass, row.source, row.cause) == ("A", "override", "override")


def test_an_admin_overrides_any_customer(seg, login):
    client = login(seg.admin)

    response = client.post(
        override_url(seg.cy),
        {"product": seg.p1.pk, "klass": "B", "reason": "Trial lead", "valid_from": "2026-10-01"},
    )

    assert response.status_code == 302
    assert ClassOverride.objects.get().valid_from == D(2026, 10, 1)


def test_clearing_an_override_brings_back_the_computed_class(seg, login):
    override = services.override_create(
        by=seg.dm_x,
        customer=seg.cx,
        product=seg.p2,
        klass="A",
        reason="KOL",
        valid_from=timezone.localdate() - datetime.timedelta(days=30),
    )
    client = login(seg.dm_x)

    response = client.post(
        reverse("customers:override_clear", args=[seg.cx.pk, override.pk]), follow=True
    )

    page = response.content.decode()
    assert "override cleared; the computed class applies again" in page
    avastin = product_block(section(page, "classes-h"), "Avastin")
    assert badge("B") in avastin and "Clear override" not in avastin
    assert "override cleared" in section(page, "timeline-h")
    override.refresh_from_db()
    assert (override.cleared_on, override.cleared_by) == (timezone.localdate(), seg.dm_x)


def test_clearing_twice_says_so_and_changes_nothing(seg, login):
    override = services.override_create(
        by=seg.dm_x, customer=seg.cx, product=seg.p2, klass="A", reason="KOL"
    )
    services.override_clear(by=seg.dm_x, override=override)
    override.refresh_from_db()
    version = override.version
    client = login(seg.admin)

    response = client.post(
        reverse("customers:override_clear", args=[seg.cx.pk, override.pk]), follow=True
    )

    assert "This override is already cleared." in response.content.decode()
    override.refresh_from_db()
    assert (override.version, override.cleared_by) == (version, seg.dm_x)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": ""}, "reason", "Give the reason for the override."),
        ({"reason": "   "}, "reason", "Give the reason for the override."),
        ({"klass": "N"}, "klass", "A prescriber cannot be class N."),
        ({"klass": "E"}, "klass", "Select a valid choice."),
        ({"klass": ""}, "klass", "This field is required."),
        ({"product": ""}, "product", "This field is required."),
        ({"valid_from": "2026-02-30"}, "valid_from", "Enter a valid date."),
    ],
)
def test_bad_input_is_a_clear_error_on_the_form_and_nothing_is_written(
    seg, login, data, field, message
):
    client = login(seg.dm_x)
    history = list(ClassHistory.objects.values_list("id", flat=True))

    response = client.post(
        override_url(seg.cx), {"product": seg.p2.pk, "klass": "A", "reason": "KOL", **data}
    )

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert message in response.content.decode()
    assert not ClassOverride.objects.exists()
    assert list(ClassHistory.objects.values_list("id", flat=True)) == history


def test_an_override_cannot_start_before_a_later_one(seg, login):
    services.override_create(
        by=seg.dm_x,
        customer=seg.cx,
        product=seg.p2,
        klass="A",
        reason="KOL",
        valid_from=D(2026, 9, 1),
    )
    client = login(seg.dm_x)

    response = client.post(
        override_url(seg.cx),
        {"product": seg.p2.pk, "klass": "C", "reason": "x", "valid_from": "2026-08-01"},
    )

    assert response.status_code == 200
    assert "An override starts on or after this day; clear it first." in (response.content.decode())
    assert ClassOverride.objects.count() == 1


def test_a_non_prescriber_cannot_be_overridden_through_the_page(seg, login):
    client = login(seg.dm_x)

    response = client.post(
        override_url(seg.nurse), {"product": seg.p1.pk, "klass": "A", "reason": "Head nurse"}
    )

    assert response.status_code == 200
    assert "Non-prescribers are always class N; they cannot be overridden." in (
        response.content.decode()
    )
    assert not ClassOverride.objects.exists()


def test_a_dm_cannot_override_or_clear_another_districts_customer(seg, login):
    theirs = services.override_create(
        by=seg.dm_y, customer=seg.cy, product=seg.p1, klass="A", reason="KOL"
    )
    client = login(seg.dm_x)
    clear_theirs = reverse("customers:override_clear", args=[seg.cy.pk, theirs.pk])
    clear_via_own_customer = reverse("customers:override_clear", args=[seg.cx.pk, theirs.pk])

    assert client.get(override_url(seg.cy)).status_code == 404
    posted = client.post(override_url(seg.cy), {"product": seg.p1.pk, "klass": "B", "reason": "x"})
    assert posted.status_code == 404
    assert client.post(clear_theirs).status_code == 404
    assert client.post(clear_via_own_customer).status_code == 404
    theirs.refresh_from_db()
    assert theirs.cleared_on is None
    assert ClassOverride.objects.count() == 1


@pytest.mark.parametrize("persona", ["rep_x", "regional"])
def test_reps_and_regional_managers_get_403_and_nothing_is_written(seg, login, persona):
    override = services.override_create(
        by=seg.dm_x, customer=seg.cx, product=seg.p2, klass="A", reason="KOL"
    )
    client = login(getattr(seg, persona))

    assert client.get(override_url(seg.cx)).status_code == 403
    posted = client.post(override_url(seg.cx), {"product": seg.p1.pk, "klass": "B", "reason": "x"})
    assert posted.status_code == 403
    cleared = client.post(reverse("customers:override_clear", args=[seg.cx.pk, override.pk]))
    assert cleared.status_code == 403
    override.refresh_from_db()
    assert override.cleared_on is None
    assert ClassOverride.objects.count() == 1


def test_clearing_answers_only_post(seg, login):
    override = services.override_create(
        by=seg.dm_x, customer=seg.cx, product=seg.p2, klass="A", reason="KOL"
    )
    client = login(seg.dm_x)

    response = client.get(reverse("customers:override_clear", args=[seg.cx.pk, override.pk]))

    assert response.status_code == 405
    override.refresh_from_db()
    assert override.cleared_on is None


# The customer list.


def list_page(client, **params):
    response = client.get(reverse("customers:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def row_of(page, customer):
    link = reverse("customers:detail", args=[customer.pk])
    match = re.search(rf'<a class="row klassrow" href="{link}">.*?</a>', page, re.S)
    if match is None:  # a manager's desk table: the row holding the link
        match = re.search(rf'<tr>(?:(?!</tr>).)*?<a href="{link}">.*?</tr>', page, re.S)
    return match.group(0) if match else None


def test_each_row_has_its_class_badge(seg, login):
    page = list_page(login(seg.rep_x))

    assert badge("B") in row_of(page, seg.cx)
    assert '<span class="badge klass-N" title="N · non-prescriber">N3</span>' in row_of(
        page, seg.nurse
    )
    assert "klass-none" in row_of(page, seg.newcomer)


@pytest.mark.parametrize(
    ("klass", "shown"),
    [
        ("B", {"cx"}),
        ("A", set()),
        ("N", {"nurse"}),
        ("none", {"newcomer"}),
        ("", {"cx", "nurse", "newcomer"}),
    ],
)
@pytest.mark.parametrize("persona", ["rep_x", "dm_x"])
def test_the_list_filters_by_class(seg, login, persona, klass, shown):
    page = list_page(login(getattr(seg, persona)), klass=klass)

    for name in ("cx", "nurse", "newcomer"):
        assert (row_of(page, getattr(seg, name)) is not None) == (name in shown), name
    assert row_of(page, seg.cy) is None


def test_the_counts_per_class_per_territory_link_to_their_customers(seg, login):
    client = login(seg.admin)

    counts = section(list_page(client), "klasscounts-h")

    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", counts, re.S)
    assert len(rows) == 2  # TX and TY
    tx_row = next(r for r in rows if seg.tx.name in r)
    link = f"?territory={seg.tx.pk}&amp;klass="
    for klass in ("B", "N", "none"):
        assert f'{link}{klass}" aria-label="{seg.tx.name}' in tx_row
    assert f"{link}A" not in tx_row  # nothing to follow behind a 0
    assert f'?territory={seg.tx.pk}">3</a>' in tx_row  # the total
    ty_row = next(r for r in rows if seg.ty.name in r)
    assert f"?territory={seg.ty.pk}&amp;klass=D" in ty_row

    followed = list_page(client, territory=seg.ty.pk, klass="D")
    assert row_of(followed, seg.cy) is not None and row_of(followed, seg.cx) is None


def test_a_rep_counts_only_their_own_territory(seg, login):
    counts = section(list_page(login(seg.rep_x)), "klasscounts-h")

    assert seg.tx.name in counts and seg.ty.name not in counts


def test_a_count_in_a_territory_and_the_list_behind_it_agree(seg, login):
    """A customer aligned to two territories of district X has one class in each: the list
    filtered by territory and class shows the class in that territory."""
    other_team = TeamFactory()
    tx2 = TerritoryFactory(district=seg.tx.district, team=other_team, code="TX2")
    p3 = ProductFactory(name="赫赛汀 Herceptin")
    other_team.products.add(p3)
    services.threshold_save(
        by=seg.admin, product=p3, potential_min=1, support_min=1, valid_from=D(2026, 1, 1)
    )
    services.measure_save(
        by=seg.admin, customer=seg.cx, product=p3, potential=5, support=5, valid_from=D(2026, 1, 1)
    )
    services.alignment_save(alignment=Alignment(), customer=seg.cx, territory=tx2)
    client = login(seg.dm_x)

    counts = section(list_page(client), "klasscounts-h")
    assert f'?territory={seg.tx.pk}&amp;klass=B" aria-label="{seg.tx.name} · B: 1"' in counts
    assert f'?territory={tx2.pk}&amp;klass=A" aria-label="{tx2.name} · A: 1"' in counts
    in_tx = list_page(client, territory=seg.tx.pk, klass="B")
    in_tx2 = list_page(client, territory=tx2.pk, klass="A")
    anywhere = list_page(client, klass="A")

    assert badge("B") in row_of(in_tx, seg.cx)
    assert badge("A") in row_of(in_tx2, seg.cx)
    assert badge("A") in row_of(anywhere, seg.cx)  # the highest over the DM's territories
    assert row_of(list_page(client, klass="B"), seg.cx) is None


def test_the_class_filter_opens_the_filters_and_keeps_the_choice(seg, login):
    page = list_page(login(seg.rep_x), klass="N")

    assert '<details class="more" open>' in page
    assert '<option value="N" selected>' in page


def test_institution_and_department_pages_show_the_badges(seg, login):
    client = login(seg.rep_x)

    for url in (
        reverse("customers:institution_detail", args=[seg.hx.pk]),
        reverse("customers:department_detail", args=[seg.dx.pk]),
    ):
        page = client.get(url).content.decode()
        assert badge("B") in row_of(page, seg.cx), url


def test_beyond_the_territory_limit_the_counts_show_the_filtered_territory_only(
    seg, login, monkeypatch
):
    from customers import selectors

    monkeypatch.setattr(selectors, "KLASS_TABLE_MAX", 1)  # the admin sees TX and TY
    client = login(seg.admin)

    assert 'id="klasscounts-h"' not in list_page(client)
    counts = section(list_page(client, territory=seg.tx.pk), "klasscounts-h")
    assert seg.tx.name in counts and seg.ty.name not in counts
