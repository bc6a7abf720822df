"""Health checks for the load balancer and the orchestrator (no login, no session).

- `/healthz`: the process answers (200, touches nothing).
- `/readyz`: the database, the broker and the cache answer (200), or 503 naming which failed.
Each check has a short timeout, so a dead dependency answers 503 quickly instead of hanging."""

import logging

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

TIMEOUT = 1  # seconds per check


def check_database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker():
    from celery import current_app

    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=TIMEOUT)


def check_cache():
    from django.core.cache import cache

    ping = getattr(cache, "ping", None)
    if ping is not None:  # the fail-open Redis cache: ask Redis itself, not its fallback
        if not ping():
            raise ConnectionError("the cache does not answer")
        return
    cache.set("readyz", "1", 5)
    if cache.get("readyz") != "1":
        raise ConnectionError("the cache does not keep a value")


CHECKS = {"database": check_database, "broker": check_broker, "cache": check_cache}


@csrf_exempt
@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@csrf_exempt
@never_cache
@require_GET
def readyz(request):
    checks = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of a dependency is "not ready", never a 500
            log.warning("readiness: %s failed: %s", name, exc)
            checks[name] = "fail"
        else:
            checks[name] = "ok"
    failed = [name for name, state in checks.items() if state != "ok"]
    return JsonResponse(
        {"status": "fail" if failed else "ok", "checks": checks, "failed": failed},
        status=503 if failed else 200,
    )
