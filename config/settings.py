"""Settings for Baifang, read from the environment (django-environ).

Embedded defaults need no server: SQLite for the data, Celery's SQLAlchemy transport on a
SQLite file for broker and results. Set DATABASE_URL / REDIS_URL to run on PostgreSQL / Redis.
Production is DEBUG off (the default): `python manage.py check --deploy` passes with a real
SECRET_KEY and ALLOWED_HOSTS.
"""

import datetime as dt
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from core.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("BAIFANG_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

DEBUG = env.bool("DEBUG", default=False)
# Without SECRET_KEY a development key is used; `check --deploy` flags it (security.W009).
SECRET_KEY = env.str(
    "SECRET_KEY", default="django-insecure-baifang-development-key-set-SECRET_KEY-in-production"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",  # lock-out after failed logins (see AXES_* below)
    "csp",  # Content-Security-Policy header (see CONTENT_SECURITY_POLICY below)
]
LOCAL_APPS = [
    "core",
    "org",
    "customers",
    "calls",
    "reports",
    "notifications",
    "planning",
    "desk",  # the managers' home: reads planning, calls and reports
    "demo",  # above every app: seed_demo
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",  # first: the request id and the access log
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "org.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.DomainErrorMiddleware",  # a Conflict/Stale no page caught: back, with why
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.HistorySourceMiddleware",  # page, API or admin: the source of history
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lock-out into the lock-out page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "org.User"
# django-axes first: it refuses a locked-out username/address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "org.context_processors.navigation",
                "notifications.context_processors.bell",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'baifang.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if "postgresql" in DATABASES["default"]["ENGINE"] and not env.bool("DATABASE_JIT", default=False):
    # PostgreSQL compiles (JIT) any query estimated above jit_above_cost. The correlated
    # subqueries of Today's targets are estimated that high yet run in ~50 ms; compiling them
    # took ~0.9 s on every Today page (tests/bench/load_reps.py). DATABASE_JIT=true turns it on.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Simplified Chinese and English ship together.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# ISO first among the input formats of both languages (core/widgets.py says why).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: console in the quick start, SMTP (EMAIL_URL, e.g. smtp://user:pw@host:587) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# The address of the product in links of e-mails.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Baifang <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Redis (cache and Celery) when REDIS_URL is set, embedded defaults otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Fails open: with Redis down, throttling and cached figures fall back to a local cache.
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
    CELERY_RESULT_BACKEND = f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
CELERY_TIMEZONE = TIME_ZONE
# A worker killed mid-task loses nothing: a task is acknowledged once it has run (acks_late), and
# one whose worker process died (SIGKILL, out of memory) goes back to the queue instead of being
# acknowledged as failed. Every task may therefore run twice; they are idempotent (the recompute
# jobs record each district done in the district's own transaction, reports/services.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A worker reserves one task at a time, so tasks a killed worker held are few and the others
# stay in the queue for the workers still alive.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits of every task (seconds): at the soft one the task gets an exception (its
# transaction rolls back, its job fails with the error), at the hard one its process is killed.
# One district's recompute takes seconds; the longest nightly job (reclassifying every product)
# about a minute per 600,000 customers.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=10 * 60)
CELERY_TASK_TIME_LIMIT = env.int(
    "CELERY_TASK_TIME_LIMIT", default=max(11 * 60, CELERY_TASK_SOFT_TIME_LIMIT + 60)
)
# Redis hands an unacknowledged task to another worker after the visibility timeout (its
# default, one hour, left a killed worker's tasks waiting that long). It must exceed the hard
# time limit, or a task still running would be delivered a second time.
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 5 * 60
)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# A "recompute now" (or nightly) job none of whose districts finished for this long has lost its
# tasks (a worker killed with no redelivery, a task past its hard time limit): the beat job
# reports.tasks.sweep_recompute_jobs sends its unfinished districts again, up to
# RECOMPUTE_JOB_MAX_RESENDS times in a row without progress, then marks it failed.
RECOMPUTE_JOB_STALE_AFTER = env.int(
    "RECOMPUTE_JOB_STALE_AFTER", default=CELERY_VISIBILITY_TIMEOUT + 60
)
RECOMPUTE_JOB_MAX_RESENDS = env.int("RECOMPUTE_JOB_MAX_RESENDS", default=3)
# Imports (customers/services/import_files.py): the largest file accepted, in MB.
IMPORT_MAX_MB = env.int("IMPORT_MAX_MB", default=20)
# Files up to this size (KB) are imported within the request; larger ones by a worker.
IMPORT_INLINE_KB = env.int("IMPORT_INLINE_KB", default=256)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Degrade, don't die: a send that finds the broker down fails fast and goes to the outbox
# (core/outbox.py), swept every minute; it must not hold a request for the default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
# Periodic jobs are declared here and loaded into django-celery-beat (admins can see and retime
# them in the admin) by `setup_periodic_tasks`; each entry is {"task", "crontab": {...}}. Not named
# CELERY_BEAT_SCHEDULE: Celery would read that itself, and its scheduler cannot read "crontab".
PERIODIC_JOBS: dict = {
    "sync: alignments that ended yesterday leave the reps (nightly)": {
        "task": "customers.tasks.log_ended_alignments",
        "crontab": {"minute": "5", "hour": "0"},
    },
    "reclassify customers (nightly)": {
        "task": "customers.tasks.reclassify_all",
        "crontab": {"minute": "30", "hour": "1"},
    },
    "recompute compliance (nightly)": {
        "task": "reports.tasks.recompute_nightly",
        "crontab": {"minute": "0", "hour": "2"},
    },
    "recompute jobs: resume the ones that lost their workers (every 5 minutes)": {
        "task": "reports.tasks.sweep_recompute_jobs",
        "crontab": {"minute": "*/5"},
    },
    "outbox: send the tasks kept while the broker was down (every minute)": {
        "task": "core.tasks.sweep_outbox",
        "crontab": {"minute": "*"},
    },
    # Each reminder rule decides whether it is due (its weekday and time are admin settings).
    "reminders (every 15 minutes)": {
        "task": "notifications.tasks.run_due_rules",
        "crontab": {"minute": "*/15"},
    },
}

# Proxies in front of the app that append to X-Forwarded-For (e.g. 1 behind one nginx). The
# default 0 trusts none: the client address is REMOTE_ADDR, so a client cannot pick its own by
# sending the header. DRF's throttles and the login lock-out (core.net.client_ip) share this rule.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Lock-out (django-axes) on every login path (browser, admin, API token): after
# LOGIN_FAILURE_LIMIT failures for one username from one client address, that pair is refused
# for LOGIN_COOLOFF_MINUTES; a successful login resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "org.lockout.locked_out_response"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "org.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies: size, depth and forbidden characters checked before any view reads them.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="3000/minute"),
        "auth": env.str("API_THROTTLE_AUTH", default="20/minute"),
    },
    "COERCE_DECIMAL_TO_STRING": False,
    "DATE_FORMAT": "%Y-%m-%d",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],  # the contract: YYYY-MM-DD, nothing looser
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baifang API",
    "DESCRIPTION": "REST API v1 of Baifang, the CRM for pharmaceutical rep teams.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # schema behind login
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.error_responses_hook",
        "config.api.links_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TargetClassEnum": "reports.models.TargetClass",
        "KlassEnum": "customers.models.Klass",
        "PrescriberKlassEnum": ["A", "B", "C", "D"],
        "JobStatusEnum": "core.models.JobStatus",
        "ImportKindEnum": "customers.models.ImportKind",
    },
}

# Security: strict when DEBUG is off (production); relaxed for the local quick start.
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): only the product's own assets, no inline script. Style
# attributes stay allowed (bar widths of reports are data: style="width: 40%"); <style> blocks
# and inline event handlers are not. The API docs page relaxes it for itself (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The health checks answer the load balancer's plain-HTTP probes too.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Logs (core/logging.py): one JSON object a line on stderr in production, readable text when
# DEBUG; each record carries the request id (X-Request-ID), into the Celery tasks a request sends.
# Django, Celery (which leaves its logging to this) and gunicorn (config/gunicorn.py) share it.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = logging_config(LOG_FORMAT, env.str("LOG_LEVEL", default="INFO"))

# Page size of HTML lists.
PAGE_SIZE = 25
