"""Benchmark: the long schemathesis run (issue 15). Run by `make bench`.

Every operation as an admin and as a rep, with schemathesis' coverage phase (boundary values,
missing and wrong-typed fields, for every parameter and body field) and BENCH_FUZZ_EXAMPLES
generated examples (default 50), then BENCH_FUZZ_SCENARIOS stateful scenarios (default 40) of up
to BENCH_FUZZ_STEPS steps (default 25) along the schema's links. A failure does not stop the
run: it prints how many cases ran, and every distinct failure (operation, role, check) with a
curl line to reproduce it; the run fails if there is any.

    pytest tests/bench/test_fuzz_long.py -p no:randomly -s --override-ini addopts=

(on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> before it).
"""

import collections
import logging
import os
import time

import pytest
from hypothesis import Phase
from schemathesis.core.failures import FailureGroup

from tests import fuzzing

EXAMPLES = int(os.environ.get("BENCH_FUZZ_EXAMPLES", "50"))
SCENARIOS = int(os.environ.get("BENCH_FUZZ_SCENARIOS", "40"))
STEPS = int(os.environ.get("BENCH_FUZZ_STEPS", "25"))
# BENCH_FUZZ_COVERAGE=0: generated examples only (the coverage phase is most of the run's time).
PHASES = [Phase.generate]
if os.environ.get("BENCH_FUZZ_COVERAGE", "1") != "0":
    PHASES.insert(0, Phase.explicit)  # explicit: schemathesis' coverage phase

schema = fuzzing.load_schema()


class Tally:
    def __init__(self):
        self.cases = collections.Counter()  # (kind, role) -> cases run
        self.statuses = collections.Counter()  # status class -> answers
        self.failures = {}  # (operation, role, failure title) -> (count, one reproduction)
        self.started = time.monotonic()

    def answered(self, kind, role, response):
        self.cases[(kind, role)] += 1
        self.statuses[f"{response.status_code // 100}xx"] += 1

    def failed(self, role, case, group):
        for failure in group.exceptions:
            key = (case.operation.label, role, getattr(failure, "title", type(failure).__name__))
            count, first = self.failures.get(key, (0, None))
            if first is None:
                print(f"\n  new failure: {label_of(key)}", flush=True)
            self.failures[key] = (count + 1, first or f"{failure}\n    {case.as_curl_command()}")

    def report(self):
        print(f"\n== schemathesis, long run ({time.monotonic() - self.started:.0f} s) ==")
        for (kind, role), n in sorted(self.cases.items()):
            print(f"  {kind:<9} {role:<5} {n:>6} cases")
        print(f"  answers: {dict(sorted(self.statuses.items()))}")
        print(f"  failures: {len(self.failures)} distinct")
        for key, (count, first) in sorted(self.failures.items()):
            print(f"  - {label_of(key)} ({count}x)\n    {first}")


def label_of(key):
    label, role, title = key
    return f"{label} as {role}: {title}"


_tally = Tally()


@pytest.fixture(scope="module", autouse=True)
def _report():
    # The 4xx warnings of thousands of bad inputs would drown the report; 5xx stay logged.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)
    _tally.report()


app = fuzzing.app


@pytest.mark.parametrize("role", fuzzing.ROLES)
@schema.parametrize()
@fuzzing.hypothesis_settings(max_examples=EXAMPLES, phases=PHASES)
def test_every_operation(case, role, world, app):
    headers = fuzzing.auth_headers(fuzzing.user_of(world, role))
    response = case.call(app=app, headers=headers)
    _tally.answered("operation", role, response)
    try:
        case.validate_response(response, checks=fuzzing.CHECKS, headers=headers)
    except FailureGroup as group:
        _tally.failed(role, case, group)


@pytest.mark.parametrize("role", fuzzing.ROLES)
def test_stateful(role, world, app):
    def on_step(case, response):
        _tally.answered("stateful", role, response)

    workflow = fuzzing.workflow(schema, app=app, user=fuzzing.user_of(world, role), on_step=on_step)

    class Recording(workflow):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                super().validate_response(response, case, **kwargs)
            except FailureGroup as group:
                _tally.failed(role, case, group)

    Recording.run(
        settings=fuzzing.hypothesis_settings(max_examples=SCENARIOS, stateful_step_count=STEPS)
    )


def test_no_failures():
    """Last (the bench runs in file order): the run as a whole answered as documented."""
    assert not _tally.failures, f"{len(_tally.failures)} distinct failures (printed below)"
