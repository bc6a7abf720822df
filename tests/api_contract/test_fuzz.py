"""Schemathesis against the OpenAPI schema: every GET operation, as an admin and as a rep, with
a few generated examples each: never a 5xx, and every answer (errors included) as documented."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis import checks

from org.services import api_token_create


def _schema():
    spec = SchemaGenerator().get_schema(request=None, public=True)
    # JSON round trip: schemathesis wants plain JSON types (no lazy strings, no Decimals).
    import json

    from rest_framework.utils.encoders import JSONEncoder

    spec = json.loads(json.dumps(spec, cls=JSONEncoder))
    return schemathesis.openapi.from_dict(spec)


schema = _schema().include(method="GET")


@pytest.fixture
def headers(request, world):
    user = world.admin if request.param == "admin" else world.rep_x
    token = api_token_create(user=user, device="schemathesis")
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def app():
    """Built once the test settings (plain HTTP) are in place. Like Django's test client, the
    requests keep the test's database connection (and transaction) open."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("headers", ["admin", "rep"], indirect=True)
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_get_operations_answer_as_documented(case, headers, app):
    case.call_and_validate(
        app=app,
        headers=headers,
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )
