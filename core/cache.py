"""A Redis cache that fails open: when Redis does not answer, the request goes on with a local
in-process cache (throttle counters, cached figures) instead of answering 500.

Connections time out fast (settings: socket timeouts in OPTIONS), and after a failure this
process skips Redis for RETRY_AFTER seconds, so an outage costs one short wait, not one per
cache lookup. Counts kept locally meanwhile (throttling) are per process: the throttle is
looser during an outage, never a wall."""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

RETRY_AFTER = 10  # seconds

_down_until: dict[str, float] = {}


def _errors():
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._key = ",".join(self._servers)
        self._fallback = LocMemCache(
            f"baifang-fallback-{self._key}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": params.get("KEY_PREFIX", "")},
        )

    @property
    def is_down(self):
        return time.monotonic() < _down_until.get(self._key, 0.0)

    def ping(self):
        """Whether Redis answers now (the readiness check), whatever the breaker says."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except _errors():
            return False

    def _call(self, name, *args, **kwargs):
        if not self.is_down:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except _errors() as exc:
                _down_until[self._key] = time.monotonic() + RETRY_AFTER
                log.warning("cache unavailable, using the local cache: %s", exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        return self._call("clear")


def reset():
    """Forget every outage (tests)."""
    _down_until.clear()
