"""No 统方: with "show measures to reps" off (the default of a Chinese install), a rep sees a
customer's class and strategy but no potential or support — not on the profile page, not in the
API (customers/, classes/, measures/), not in the sync; measures are written by admins only."""

import pytest
from django.test import override_settings
from django.utils import translation

from customers.models import Measure
from org.models import ComplianceSettings
from org.services import compliance_settings_save
from tests.customers import test_classes_pages as pages
from tests.customers.test_classes_pages import badge, detail, product_block, section

pytestmark = pytest.mark.django_db


@pytest.fixture
def seg(world):
    """The segmentation world of the Classes card's tests (cx: Xeloda C, potential 50)."""
    return pages.seg.__wrapped__(world)


def sync_all(client, since=None):
    params = {"types": "measures", "page_size": 500}
    if since:
        params["since"] = since
    body = client.get("/api/v1/sync/", params).json()
    return body["changes"], body["cursor"]


def test_a_rep_sees_class_and_strategy_but_no_figures_on_the_profile(seg, login):
    classes = section(detail(login(seg.rep_x), seg.cx), "classes-h")

    xeloda = product_block(classes, "Xeloda")
    assert badge("C") in xeloda and "Maintain: remind, keep supplying evidence." in xeloda
    assert "<strong>50</strong>" not in xeloda and "potential" not in xeloda
    assert "support" not in xeloda and "Measured on" not in xeloda
    assert "No measures for this product yet." not in xeloda  # it has some: not said


def test_the_dm_still_reads_the_figures(seg, login):
    xeloda = product_block(section(detail(login(seg.dm_x), seg.cx), "classes-h"), "Xeloda")

    assert "<strong>50</strong>" in xeloda and "<strong>20</strong>" in xeloda


def test_the_rep_profile_in_chinese_has_no_figures_either(seg, login):
    seg.rep_x.language = "zh-hans"
    seg.rep_x.save()
    with translation.override("zh-hans"):
        page = detail(login(seg.rep_x), seg.cx)

    classes = section(page, "classes-h")
    assert "潜力" not in classes and "支持度" not in classes
    assert "维持" in classes or badge("C") in classes


def test_the_api_gives_a_rep_classes_without_figures_and_no_measures(seg, api):
    client = api(seg.rep_x)
    measure = Measure.objects.filter(customer=seg.cx).first()

    classes = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/").json()
    listed = client.get("/api/v1/measures/", {"customer": str(seg.cx.pk)})
    one = client.get(f"/api/v1/measures/{measure.pk}/")
    customer = client.get(f"/api/v1/customers/{seg.cx.pk}/").json()

    xeloda = next(p for p in classes["products"] if p["product"] == str(seg.p1.pk))
    assert (xeloda["klass"], xeloda["strategy"]) == ("C", "maintain")
    assert xeloda["potential"] is None and xeloda["support"] is None
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert one.status_code == 404
    assert not {"potential", "support"} & set(customer)


def test_a_rep_never_writes_measures(seg, api):
    compliance_settings_save(by=seg.admin, show_measures_to_reps=True)
    body = {"customer": str(seg.cx.pk), "product": str(seg.p1.pk), "potential": 1, "support": 1}

    response = api(seg.rep_x).post("/api/v1/measures/", body, format="json")

    assert response.status_code == 403
    assert Measure.objects.filter(customer=seg.cx).count() == 3


def test_shown_to_reps_the_figures_are_in_the_api(seg, api):
    compliance_settings_save(by=seg.admin, show_measures_to_reps=True)
    client = api(seg.rep_x)

    classes = client.get(f"/api/v1/customers/{seg.cx.pk}/classes/").json()
    listed = client.get("/api/v1/measures/", {"customer": str(seg.cx.pk)}).json()["results"]

    xeloda = next(p for p in classes["products"] if p["product"] == str(seg.p1.pk))
    assert float(xeloda["potential"]) == 50.0
    assert len(listed) == 3


def test_the_sync_sends_no_measures_and_follows_the_setting_both_ways(seg, api):
    client = api(seg.rep_x)
    changes, cursor = sync_all(client)
    assert changes == []

    compliance_settings_save(by=seg.admin, show_measures_to_reps=True)
    changes, cursor = sync_all(client, cursor)
    shown = {c["data"]["id"] for c in changes if c["op"] == "upsert"}
    assert shown == {
        str(pk) for pk in Measure.objects.filter(customer=seg.cx).values_list("pk", flat=True)
    }

    compliance_settings_save(by=seg.admin, show_measures_to_reps=False)
    changes, _cursor = sync_all(client, cursor)
    assert shown <= {c["id"] for c in changes if c["op"] == "delete"}
    assert not [c for c in changes if c["op"] == "upsert"]


@override_settings(LANGUAGE_CODE="en")
def test_an_english_install_shows_measures_to_reps_by_default():
    assert ComplianceSettings.load().show_measures_to_reps is True
