"""Run functions at the same moment in threads (each with its own database connection), and what
the race tests share: PostgreSQL only (SQLite serialises writers on the whole database, so there
is no race to lose), a number of writers, requests sent at once."""

import threading
from functools import partial

import pytest
from django.db import connection, connections

WRITERS = 4

# A marker: the test races real transactions, which only PostgreSQL runs side by side.
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)


def postgres_only(test):
    """A race between real transactions (each writer its own connection)."""
    return needs_postgres(pytest.mark.django_db(transaction=True)(test))


def race(*functions, timeout=None):
    """Start every function together; returns what each returned or raised, in their order."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(i, function):
        try:
            barrier.wait()
            results[i] = function()
        except Exception as error:  # the caller asserts on it
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def at_once(*functions):
    """Start every function together; returns the exceptions they raised (in no order)."""
    return [result for result in race(*functions) if isinstance(result, Exception)]


def send_at_once(requests):
    """Send every request (a function returning a response) at the same moment."""
    responses = [None] * len(requests)

    def run(i):
        responses[i] = requests[i]()

    assert at_once(*(partial(run, i) for i in range(len(requests)))) == []
    return responses


def codes(responses):
    """The responses' status codes, sorted."""
    return sorted(r.status_code for r in responses)


def in_thread(target):
    """Start `target` in a thread with its own database connection; returns the thread and the
    list that receives what it raised."""
    errors = []

    def run():
        try:
            target()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors
