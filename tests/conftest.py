"""Personas (healthchecks style): two districts of one region, a rep in each, their DMs,
a regional manager and an admin; an outsider rep of another region."""

from types import SimpleNamespace

import pytest

from org.models import Role
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    DistrictFactory,
    InstitutionFactory,
    RegionFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.redis_down import redis_at  # noqa: F401  (a fixture: Redis down, tests/redis_down.py)

PASSWORD = "pw-Secret-123"

# The scope matrix of the `world` personas: which of the customers cx / cy each one sees.
VISIBLE = {
    "rep_x": {"cx"},
    "rep_y": {"cy"},
    "dm_x": {"cx"},
    "dm_y": {"cy"},
    "regional": {"cx", "cy"},
    "admin": {"cx", "cy"},
    "outsider_rep": set(),
}


@pytest.fixture(scope="session", autouse=True)
def _plain_http():
    """Tests (and the browser tests' live server) talk plain HTTP to localhost."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0


@pytest.fixture(autouse=True)
def _english():
    """Tests read English unless they ask for Chinese; a request's language does not leak into
    the next test (the company default, zh-hans, would otherwise apply outside requests)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Throttling counts in a cache of this test only (not in a shared Redis).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def world(db):
    """Region R with districts X (DM dm_x) and Y (DM dm_y); rep_x holds tx, rep_y holds ty.

    Customers: cx in tx (hospital hx), cy in ty (hospital hy). outsider_rep holds a territory of
    another region with no customers of X or Y.
    """
    region = RegionFactory(code="EAST")
    regional = UserFactory(username="regional", role=Role.REGIONAL)
    region.manager = regional
    region.save()
    dm_x = UserFactory(username="dm_x", role=Role.DM)
    dm_y = UserFactory(username="dm_y", role=Role.DM)
    district_x = DistrictFactory(region=region, dm=dm_x, code="X")
    district_y = DistrictFactory(region=region, dm=dm_y, code="Y")
    rep_x = UserFactory(username="rep_x")
    rep_y = UserFactory(username="rep_y")
    rep_x2 = UserFactory(username="rep_x2")
    tx = TerritoryFactory(district=district_x, holder=rep_x, code="TX")
    ty = TerritoryFactory(district=district_y, holder=rep_y, code="TY")
    hx = InstitutionFactory(name="仁济医院", name_en="Renji Hospital")
    hy = InstitutionFactory(name="华山医院", name_en="Huashan Hospital")
    dx = DepartmentFactory(institution=hx, name="肿瘤科", name_en="Oncology")
    dy = DepartmentFactory(institution=hy, name="心内科", name_en="Cardiology")
    cx = CustomerFactory(
        name="王建国", name_en="Wang Jianguo", institution=hx, department=dx, territory=tx
    )
    cy = CustomerFactory(
        name="李明", name_en="Li Ming", institution=hy, department=dy, territory=ty
    )
    outsider_rep = UserFactory(username="outsider")
    TerritoryFactory(holder=outsider_rep, code="TO")
    admin = UserFactory(username="admin", role=Role.ADMIN)
    return SimpleNamespace(**locals())


@pytest.fixture
def world_admin_client(client, world):
    """The client logged in as the world's admin, with the Django admin's staff rights."""
    world.admin.is_superuser = world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    return client


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api(db):
    """An API client logged in with a device token: `api(user)`; `api(None)` is anonymous."""
    from rest_framework.test import APIClient

    from org.services import api_token_create

    def _api(user):
        client = APIClient()
        if user is not None:
            token = api_token_create(user=user, device="pytest")
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _api


@pytest.fixture(autouse=True)
def _company_requirements(request):
    """The company default requirements come from a data migration; a transactional test's
    flush removes them, so they are put back for every test that uses the database."""
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("db" if "live_server" not in request.fixturenames else "live_server")
    from importlib import import_module

    from django.apps import apps

    defaults = import_module("reports.migrations.0002_requirement_defaults")
    defaults.add_defaults(apps, None)
