"""The calls world: the `world` personas plus products, key messages and materials."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from calls.models import MaterialKind
from tests.calls.factories import KeyMessageFactory, MaterialFactory, make_call
from tests.factories import CustomerFactory, DepartmentFactory, ProductFactory


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the catalogue translates them to Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def cw(world):
    """`world` and: px (active, tx's team) with key messages km1, km2 and an inactive km_old;
    p_off (inactive, tx's team); py (ty's team); materials leaflet, sample, old_leaflet
    (inactive); cx2 a second customer of tx at hx in another department (group calls)."""
    px = ProductFactory(name="安可维 Oncovia", code="ONC-1")
    p_off = ProductFactory(name="Retired", code="OLD-1", is_active=False)
    py = ProductFactory(name="心博力 Cardiplex", code="CV-1")
    world.tx.team.products.add(px, p_off)
    world.ty.team.products.add(py)
    km1 = KeyMessageFactory(product=px, text="Longer progression-free survival", order=1)
    km2 = KeyMessageFactory(product=px, text="Once-daily oral dose", order=2)
    km_old = KeyMessageFactory(product=px, text="Old claim", is_active=False)
    km_y = KeyMessageFactory(product=py, text="Lowers LDL")
    leaflet = MaterialFactory(name="Product leaflet", code="LEAF")
    sample = MaterialFactory(name="Oncovia starter pack", code="SMP", kind=MaterialKind.SAMPLE)
    old_leaflet = MaterialFactory(name="Old leaflet", code="OLDLEAF", is_active=False)
    dx2 = DepartmentFactory(institution=world.hx, name="血液科", name_en="Hematology")
    cx2 = CustomerFactory(
        name="陈芳", name_en="Chen Fang", institution=world.hx, department=dx2, territory=world.tx
    )
    return SimpleNamespace(**{**vars(world), **{k: v for k, v in locals().items() if k != "world"}})


@pytest.fixture
def locked(cw):
    """A completed call of tx, 20 days old and locked: the call an amendment corrects."""
    return make_call(
        cw.tx,
        [cw.cx],
        date=timezone.localdate() - datetime.timedelta(days=20),
        completed_at=timezone.now() - datetime.timedelta(days=19),
        products=[(cw.px, [cw.km1], "old feedback")],
        materials=[(cw.leaflet, 1)],
        notes="",
    )
