"""The planning world: the `world` personas plus colleagues of rep_x — mate_x (same team and
district), cv_x (same district, another team), far_mate (same team, district Y) — two focus
candidates of tx (cx class A, cx2 class C) the current quarter."""

from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from core.periods import quarter_of
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    ProductFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
    classify,
)

QUARTER = quarter_of(timezone.localdate()).key  # the current quarter


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def pw(world):
    product = ProductFactory(name="安可维 Oncovia", code="ONC-1")
    world.tx.team.products.add(product)
    dx2 = DepartmentFactory(institution=world.hx, name="血液科", name_en="Hematology")
    cx2 = CustomerFactory(
        name="陈芳", name_en="Chen Fang", institution=world.hx, department=dx2, territory=world.tx
    )
    classify(world.cx, product, "A")
    classify(cx2, product, "C")
    mate_x = UserFactory(username="mate_x")
    tmate = TerritoryFactory(
        district=world.district_x, team=world.tx.team, holder=mate_x, code="TX2"
    )
    cm = CustomerFactory(name="赵伟", name_en="Zhao Wei", institution=world.hx, territory=tmate)
    cv_x = UserFactory(username="cv_x")
    tcv = TerritoryFactory(district=world.district_x, team=TeamFactory(), holder=cv_x, code="TX3")
    ccv = CustomerFactory(name="孙丽", name_en="Sun Li", institution=world.hx, territory=tcv)
    far_mate = UserFactory(username="far_mate")
    tfar = TerritoryFactory(
        district=world.district_y, team=world.tx.team, holder=far_mate, code="TY2"
    )
    cfar = CustomerFactory(name="周强", name_en="Zhou Qiang", territory=tfar)
    return SimpleNamespace(**{**vars(world), **{k: v for k, v in locals().items() if k != "world"}})
