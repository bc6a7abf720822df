import os

from celery import Celery

from core.logging import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("baifang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Logs: Celery uses Django's LOGGING (not its own root logger set-up), and the request id of the
# request that sent a task is carried into the worker's log lines (core/logging.py).
connect_celery_signals()
