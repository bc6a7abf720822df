"""Run functions at the same moment in threads (each with its own database connection)."""

import threading

from django.db import connections


def at_once(*functions):
    """Start every function together; returns the exceptions they raised (in no order)."""
    errors, barrier = [], threading.Barrier(len(functions))

    def run(function):
        try:
            barrier.wait()
            function()
        except Exception as error:  # the caller asserts there were none
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
