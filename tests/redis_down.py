"""Redis down without stopping the machine's Redis (CI and other runs use it): the product's own
settings are built for a Redis URL where nothing listens, and the cache and the Celery broker of
the test are pointed there, with CELERY_TASK_ALWAYS_EAGER off so that the broker is really used.

`redis_at(url)` applies the cache and Celery settings that config/settings.py makes for
REDIS_URL=url; `broker_at(url)` only the broker (for the way back: the real Redis, or the
embedded SQLAlchemy transport)."""

import importlib.util
import os
import uuid
from pathlib import Path

import pytest

import config

DOWN = "redis://127.0.0.1:6390/0"  # a closed port: Redis "down"
SETTINGS = Path(config.__file__).parent / "settings.py"


def settings_for(redis_url, monkeypatch):
    """The settings module as production would load it with REDIS_URL=redis_url."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    spec = importlib.util.spec_from_file_location(f"_settings_{uuid.uuid4().hex}", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.delenv("REDIS_URL")
    return module


def reset_celery(saved=None):
    """Make Celery open its broker connections anew (the broker URL is read when they open), or
    give it back the pools of `saved`. The pools are kombu's, shared per URL: never closed here."""
    from config.celery import app

    app._pool, app.amqp._producer_pool = saved or (None, None)


def celery_pools():
    from config.celery import app

    return app._pool, app.amqp._producer_pool


def reset_breakers():
    from core import cache, outbox

    cache.reset()
    outbox.reset()


@pytest.fixture
def redis_at(settings, monkeypatch, tmp_path):
    queue = f"test-outbox-{uuid.uuid4().hex}"  # never a queue a real worker listens to

    def use(url):
        produced = settings_for(url, monkeypatch)
        settings.CACHES = produced.CACHES
        for name in dir(produced):
            if name.startswith("CELERY_"):
                setattr(settings, name, getattr(produced, name))
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        reset_celery()
        reset_breakers()
        return produced

    def broker(url):
        """The broker (only) answers again at `url`."""
        settings.CELERY_BROKER_URL = url
        if not url.startswith("redis"):  # Redis's transport options break another transport
            settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
        reset_celery()
        reset_breakers()

    saved = celery_pools()
    reset_breakers()
    use.broker = broker
    use.queue = queue
    use.tmp_path = tmp_path
    yield use
    reset_celery(saved)
    reset_breakers()


def broker_back_url(tmp_path):
    """Where the broker comes back: the real Redis when REDIS_URL is set (its last database,
    on a queue of this test only), else the embedded SQLAlchemy transport on a file."""
    if os.environ.get("REDIS_URL"):
        return "redis://127.0.0.1:6379/15"
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


def drain(queue):
    """The task messages waiting in `queue`, as (task name, args, kwargs), removed from it."""
    from config.celery import app

    found = []
    with app.connection_for_write() as conn:
        simple = conn.SimpleQueue(queue)
        try:
            while True:
                try:
                    message = simple.get(timeout=1)
                except simple.Empty:
                    break
                args, kwargs, _embed = message.decode()
                found.append((message.headers["task"], list(args), kwargs))
                message.ack()
        finally:
            simple.queue.delete()
            simple.close()
    return found
