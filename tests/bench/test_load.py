"""`make bench` entry of the load test (tests/bench/load_reps.py): 50 reps for 2 minutes against
gunicorn + PostgreSQL + Redis on loopback. It prints the figures; it fails only when the stack
cannot start or a call sent is lost or stored twice (the latency goal is printed, not asserted).
LOAD_SECONDS / LOAD_REPS and the other variables of load_reps.py apply."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("load_reps.py")


def _reachable():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import load_reps
    finally:
        sys.path.pop(0)
    config = load_reps.Config()
    try:
        load_reps.Databases(config).existing()
        load_reps.queue_length(config.redis_url)
    except Exception as error:
        return f"PostgreSQL or Redis not reachable for the load test: {error}"
    return None


def test_50_reps_against_gunicorn_postgresql_and_redis():
    reason = _reachable()
    if reason:
        pytest.skip(reason)
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=SCRIPT.parents[2], check=False)
    assert result.returncode == 0, "the load test failed (count check or start-up; see above)"
