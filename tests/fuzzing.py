"""What the schemathesis tests share (tests/api_contract/test_fuzz.py, the longer run in
tests/bench/test_fuzz_long.py): the schema as served, the in-process WSGI app on the test's
database connection (the `app` fixture), a fresh token per request, the checks, reproducible
hypothesis settings, and a stateful workflow."""

import contextlib
import functools
import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.utils.encoders import JSONEncoder
from schemathesis import checks

from org.services import api_token_create

# Every answer, errors included, as documented.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]

ROLES = ("admin", "rep")


@functools.cache
def _served_spec() -> str:
    # JSON: schemathesis wants plain JSON types (no lazy strings, no Decimals).
    return json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=JSONEncoder)


def served_spec() -> dict:
    """The schema `/api/schema/` serves (with its error responses and links), as plain JSON;
    generated once a test session (the schema does not change while the tests run)."""
    return json.loads(_served_spec())


def load_schema():
    """The served schema, for schemathesis."""
    return schemathesis.openapi.from_dict(served_spec())


@contextlib.contextmanager
def wsgi_app():
    """The WSGI app, built once the test settings (plain HTTP) are in place. Like Django's test
    client, its requests keep the test's database connection (and transaction) open: what the
    examples write is rolled back with the test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def app():
    """The WSGI app of `wsgi_app()` for one test (a test module takes it as `app = fuzzing.app`)."""
    with wsgi_app() as app:
        yield app


def hypothesis_settings(*, max_examples, phases=(Phase.generate,), **kwargs):
    """Reproducible runs (a fixed seed, no deadline, no health check) of `max_examples`."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=list(phases),
        **kwargs,
    )


def user_of(world, role):
    return world.admin if role == "admin" else world.rep_x


def auth_headers(user):
    """A fresh token for every request: an example that revokes its own token
    (`DELETE /auth/token/`, `DELETE /tokens/{id}/`) does not turn the next ones into 401s."""
    token = api_token_create(user=user, device="schemathesis")
    return {"Authorization": f"Token {token.key}"}


def workflow(schema, *, app, user, on_step=None):
    """The stateful test of `schema` (its OpenAPI links: create -> read, update, actions) as
    `user`: every step is checked like a single call."""
    base = schema.as_state_machine()

    class Workflow(base):
        def get_call_kwargs(self, case):
            return {"app": app, "headers": auth_headers(user)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            if on_step is not None:
                on_step(case, response)
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    return Workflow
