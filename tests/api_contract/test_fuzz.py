"""Schemathesis against the OpenAPI schema: every operation (reads, writes, deletes and the
actions), as an admin and as a rep, with a fixed seed and a few generated examples each, then
stateful workflows along the schema's links (create -> read, update, submit, approve...): never a
5xx, and every answer (errors included) as documented. A longer run: tests/bench/test_fuzz_long.py.

What the examples write stays in the test's transaction (rolled back after each test)."""

import pytest

from tests import fuzzing

schema = fuzzing.load_schema()

# Bounded for `make test`: the generate phase only (schemathesis' coverage phase, a few hundred
# examples per write operation, runs in the bench), a few examples per operation and role (the
# suite runs twice in CI, on PostgreSQL and on SQLite: 3 each keeps every operation and role).
EXAMPLES = 3
STATEFUL = fuzzing.hypothesis_settings(max_examples=3, stateful_step_count=8)

app = fuzzing.app


@pytest.mark.parametrize("role", fuzzing.ROLES)
@schema.parametrize()
@fuzzing.hypothesis_settings(max_examples=EXAMPLES)
def test_every_operation_answers_as_documented(case, role, world, app):
    headers = fuzzing.auth_headers(fuzzing.user_of(world, role))
    case.call_and_validate(app=app, headers=headers, checks=fuzzing.CHECKS)


def test_the_schema_links_creates_to_their_objects():
    """The stateful test below follows these links; a client may too."""
    links = schema.raw_schema["paths"]["/api/v1/plans/"]["post"]["responses"]["201"]["links"]
    assert links["v1_plans_submit_create"] == {
        "operationId": "v1_plans_submit_create",
        "parameters": {"id": "$response.body#/id"},
    }
    calls = schema.raw_schema["paths"]["/api/v1/calls/"]["get"]["responses"]["200"]["links"]
    assert calls["v1_calls_partial_update"]["parameters"] == {"id": "$response.body#/results/0/id"}


@pytest.mark.parametrize("role", fuzzing.ROLES)
def test_stateful_workflows_answer_as_documented(role, world, app):
    steps = []
    workflow = fuzzing.workflow(
        schema,
        app=app,
        user=fuzzing.user_of(world, role),
        on_step=lambda case, response: steps.append(response.status_code),
    )
    workflow.run(settings=STATEFUL)
    # The links were followed: some steps succeeded (not every one answered 4xx).
    assert any(200 <= code < 300 for code in steps)


def test_what_the_fuzzing_found_is_documented(world, app, api):
    """A list of objects answers its messages by index (`materials`); a body in a media type the
    API does not read is a 415 with the error shape; both as the schema says."""
    case = schema["/api/v1/calls/"]["POST"].Case(
        body={
            "customers": [str(world.cx.pk)],
            "date": "2026-01-05",
            "materials": [{"material": "e3e70682-c209-1cac-a29f-6fbed82c07cd"}],
        },
        media_type="application/json",
    )
    headers = fuzzing.auth_headers(world.rep_x)
    response = case.call_and_validate(app=app, headers=headers, checks=fuzzing.CHECKS)
    assert response.status_code == 400
    assert "quantity" in response.json()["errors"]["materials"]["0"]

    response = api(world.admin).post("/api/v1/departments/", "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert set(response.json()) == {"detail", "errors"}
    documented = schema.raw_schema["paths"]["/api/v1/departments/"]["post"]["responses"]["415"]
    assert documented["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
