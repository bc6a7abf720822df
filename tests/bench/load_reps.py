"""Load test (issue 15): a team of reps working at once against the production stack on loopback.

    .venv/bin/python tests/bench/load_reps.py        # or `make bench` (tests/bench/test_load.py)

Sets up a dedicated PostgreSQL database (dropped and created again from a seeded template at
every run, so every run starts from the same data), migrates it, starts gunicorn with production
settings (DEBUG off, a real SECRET_KEY, plain HTTP on 127.0.0.1) and a Celery worker on Redis,
then lets LOAD_REPS virtual reps (threads, one `requests.Session` each) sign in through /login/
and work for LOAD_SECONDS: Today, the customer search (type-ahead, two keystrokes), a customer's
profile, and now and then log a call — in the browser (the call form, then its POST) or from the
tablet app (`POST /api/v1/calls/` with its own id; some creates are sent again after the answer,
some twice at once, as a client that lost the answer does). It prints throughput, p50/p95/p99 per
page, the errors, and checks in the database that every call sent is stored exactly once.

The goal (p95 under 300 ms on every page, 0 errors) is printed, not asserted; the exit status is
1 only when the count check fails (a call lost or stored twice), the stack could not start or no
rep could sign in.

Environment (all optional):
    LOAD_SECONDS=120        duration of the measured window (after the logins)
    LOAD_REPS=50            virtual reps (the seed has 12 per --scale)
    LOAD_SCALE              seed_demo --scale of the template, default 5 (60 reps) or more
    LOAD_THINK=2.0          mean pause of a rep between two actions, seconds (uniform 0.5–1.5×;
                            0.3× between two keystrokes of the search): a rep tapping on every
                            1–3 s, far busier than one in the field; 0 for a saturation test
    LOAD_LOG_SHARE=0.5      share of a rep's rounds that end with logging a call
    LOAD_GUNICORN_WORKERS   default 2 × cores + 1
    LOAD_GUNICORN_THREADS=1 1: sync workers; more: gthread workers
    LOAD_CELERY=1           0: no Celery worker (the recompute tasks then wait in Redis)
    LOAD_DATABASE_URL       default: DATABASE_URL's PostgreSQL server (or postgres@127.0.0.1)
                            with the database `baifang_load` — DROPPED and recreated each run
    LOAD_REDIS_URL          default redis://127.0.0.1:6379/15 (its `celery` queue key is deleted
                            at the end: what the worker did not get to)
"""

import contextlib
import datetime as dt
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo1234"  # the demo seed's (org/management/commands/seed_demo.py)
REPS_PER_SCALE = 12  # 2 districts × 2 teams × 3 territories per --scale
GOAL_MS = 300
PAGES = [  # (key, label) in the order printed
    ("today", "Today /"),
    ("search", "search /calls/search/?q="),
    ("customer", "customer profile"),
    ("call_form", "call form (GET)"),
    ("log_form", "log a call (form POST)"),
    ("log_api", "log a call (API POST)"),
    ("log_api_retry", "  same create again"),
]


def env_int(name, default):
    return int(os.environ.get(name) or default)


def env_float(name, default):
    return float(os.environ.get(name) or default)


class Config:
    def __init__(self):
        self.seconds = env_float("LOAD_SECONDS", 120)
        self.reps = env_int("LOAD_REPS", 50)
        self.think = env_float("LOAD_THINK", 2.0)
        self.log_share = env_float("LOAD_LOG_SHARE", 0.5)
        self.cores = os.cpu_count() or 1
        self.workers = env_int("LOAD_GUNICORN_WORKERS", 2 * self.cores + 1)
        self.threads = env_int("LOAD_GUNICORN_THREADS", 1)
        self.celery = os.environ.get("LOAD_CELERY", "1") not in ("0", "false", "")
        # The same template for short trial runs and the full one (a territory's data does not
        # depend on the scale; only the number of territories does).
        self.scale = env_int("LOAD_SCALE", math.ceil(max(self.reps, 50) / REPS_PER_SCALE))
        self.database_url = os.environ.get("LOAD_DATABASE_URL") or self._database_url()
        self.redis_url = os.environ.get("LOAD_REDIS_URL") or "redis://127.0.0.1:6379/15"
        self.var_dir = ROOT / "var" / "load"

    @staticmethod
    def _database_url():
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith(("postgres://", "postgresql://")):
            base = "postgres://postgres@127.0.0.1:5432/baifang"
        return urlunsplit(urlsplit(base)._replace(path="/baifang_load"))


# --- the stack ------------------------------------------------------------------------------


def server_env(config, database_url):
    """Production-like settings (docker-compose.yml's), plain HTTP on loopback."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": config.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "load-" + secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "BAIFANG_VAR_DIR": str(config.var_dir),
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummymail://",  # the seed's reminders and the worker send nothing
        "PYTHONUNBUFFERED": "1",
    }


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


class Databases:
    """The load database, created at every run from a template seeded once a day (the demo's
    calls are relative to today): CREATE DATABASE … TEMPLATE takes seconds, the seed minutes."""

    def __init__(self, config):
        self.config = config
        parts = urlsplit(config.database_url)
        self.parts = parts
        self.name = parts.path.lstrip("/")
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the product's TIME_ZONE
        self.template = f"{self.name}_s{config.scale}_{today:%Y%m%d}"

    def url(self, name):
        return urlunsplit(self.parts._replace(path=f"/{name}"))

    def admin(self, name="postgres"):
        import psycopg2

        connection = psycopg2.connect(self.url(name), connect_timeout=5)
        connection.autocommit = True
        return connection

    def existing(self):
        with contextlib.closing(self.admin()) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            return {row[0] for row in cursor.fetchall()}

    def execute(self, *statements):
        with contextlib.closing(self.admin()) as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def prepare(self):
        existing = self.existing()
        if self.template not in existing:
            old = [n for n in existing if re.fullmatch(re.escape(self.name) + r"_s\d+_\d{8}", n)]
            building = f"{self.template}_new"
            self.execute(
                *(f'DROP DATABASE IF EXISTS "{n}"' for n in old),
                f'DROP DATABASE IF EXISTS "{building}"',
                f'CREATE DATABASE "{building}"',
            )
            print(
                f"Seeding the template {self.template} (--scale {self.config.scale}, "
                f"{self.config.scale * REPS_PER_SCALE} reps; about 2 minutes, once a day)",
                flush=True,
            )
            env = server_env(self.config, self.url(building))
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "seed_demo", "--scale", str(self.config.scale))
            # Statistics for the planner, as autovacuum would gather them on a database that
            # has been up for a while; the copies inherit them (without them the Today page's
            # query plans take seconds instead of tens of milliseconds).
            with contextlib.closing(self.admin(building)) as connection:
                connection.cursor().execute("VACUUM ANALYZE")
            self.execute(f'ALTER DATABASE "{building}" RENAME TO "{self.template}"')
        self.execute(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"',
        )
        env = server_env(self.config, self.config.database_url)
        manage(env, "migrate", "--noinput", "-v0")  # migrations newer than the template
        manage(env, "collectstatic", "--noinput", "-v0")  # DEBUG off: the hashed manifest
        return env


class Stack:
    """gunicorn (and a Celery worker), each in its own process group, stopped in `stop()`."""

    def __init__(self, config, env):
        self.config, self.env = config, env
        self.processes, self.logs = [], []
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.config.workers),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        if self.config.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(self.config.threads)]
        self._spawn("gunicorn", command)
        if self.config.celery:
            self._spawn(
                "celery",
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "ERROR",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                raise RuntimeError(f"gunicorn did not become ready (see {self.logs[0]})")
            time.sleep(0.3)

    def _spawn(self, name, command):
        # A process group of its own: stop() ends the server and the children it forked.
        log = self.config.var_dir / f"{name}.log"
        self.logs.append(log)
        with log.open("w") as out:
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.processes = []

    def cpu_seconds(self):
        """[gunicorn, celery] CPU seconds so far (Linux; zeros elsewhere)."""
        if not Path("/proc/self/stat").exists():
            return [0.0 for _process in self.processes]
        return [group_cpu_seconds(process.pid) for process in self.processes]


def group_cpu_seconds(pgid):
    """CPU time (user + system) of the live processes of a process group, from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, …
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def queue_length(redis_url, drop=False):
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        length = client.llen("celery")
        if drop:
            client.delete("celery")  # only the default queue's key of the load's Redis db
        return length
    finally:
        client.close()


def reps_and_customers(env, count):
    """[(username, [(customer id, name, English name), ...])] of the first `count` reps holding
    a territory, read through the product's own scope (customers.selectors.customer_list)."""
    code = (
        "import json\n"
        "from org.models import Role, User\n"
        "from customers.selectors import customer_list\n"
        "out = []\n"
        "for user in User.objects.filter(role=Role.REP, is_active=True).order_by('username'):\n"
        "    rows = list(customer_list(user).values_list('pk', 'name', 'name_en')[:500])\n"
        "    if rows:\n"
        "        out.append([user.username, [[str(p), n, e] for p, n, e in rows]])\n"
        f"    if len(out) == {count}:\n"
        "        break\n"
        "print(json.dumps(out))\n"
    )
    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def stored_calls(env, prefix, ids):
    """{marker: number of calls carrying it} and the number of `ids` stored, from the database."""
    code = (
        "import json, sys\n"
        "from django.db.models import Count\n"
        "from calls.models import Call\n"
        "data = json.load(sys.stdin)\n"
        "rows = (Call.objects.filter(notes__startswith=data['prefix'])\n"
        "        .values('notes').annotate(n=Count('id')))\n"
        "ids = Call.objects.filter(pk__in=data['ids']).count()\n"
        "print(json.dumps({'markers': {r['notes']: r['n'] for r in rows}, 'ids': ids}))\n"
    )
    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        input=json.dumps({"prefix": prefix, "ids": list(ids)}),
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- the reps -------------------------------------------------------------------------------


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)  # page -> [ms]
        self.errors = defaultdict(int)  # page -> count
        self.samples = []  # a few error descriptions
        self.sent = {}  # marker -> "form" / "api": calls whose create was answered as stored
        self.unconfirmed = set()  # creates never answered (stored once or not at all)
        self.api_ids = set()  # ids of the API creates answered
        self.retry_answers = defaultdict(int)  # status of a repeated create

    def record(self, page, ms, error=None):
        with self.lock:
            self.times[page].append(ms)
            if error:
                self.errors[page] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{page}: {error}")


class Rep(threading.Thread):
    def __init__(self, number, username, customers, *, base, config, results, run, ready, go, stop):
        super().__init__(name=f"rep-{username}", daemon=True)
        self.number, self.username, self.customers = number, username, customers
        self.base, self.config, self.results, self.run_id = base, config, results, run
        self.ready, self.go = ready, go
        self.rng = random.Random(number)
        self.session = requests.Session()
        self.deadline = None
        self.stop = stop
        self.login_ms = None
        self.login_error = None
        self.login_attempts = 0
        self.sequence = 0

    # One timed request; errors are non-2xx/3xx answers and exceptions.
    def request(self, page, method, path, expect=None, record=True, **kwargs):
        start = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, timeout=60, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            ms = (time.perf_counter() - start) * 1000
            if record:
                self.results.record(page, ms, f"{type(error).__name__}: {error}"[:200])
            return None
        ms = (time.perf_counter() - start) * 1000
        ok = response.status_code < 400 if expect is None else response.status_code in expect
        error = None if ok else f"{response.status_code} {path} {response.text[:120]!r}"
        if record:
            self.results.record(page, ms, error)
        return response if ok else None

    def csrf(self):
        return self.session.cookies.get("csrftoken", "")

    def login(self):
        """/login/ with its CSRF token, then Today where it leads; tried again (up to three
        times) when the server did not answer in time, as a person would."""
        start = time.perf_counter()
        for attempt in range(3):
            self.login_attempts = attempt + 1
            self.login_error = self._login()
            if self.login_error is None or self.stop.is_set():
                break
        self.login_ms = (time.perf_counter() - start) * 1000

    def _login(self):
        try:
            self.session.get(f"{self.base}/login/", timeout=120)
            response = self.session.post(
                f"{self.base}/login/",
                data={
                    "username": self.username,
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": self.csrf(),
                },
                timeout=120,
                allow_redirects=False,
            )
            if response.status_code != 302 or "sessionid" not in self.session.cookies:
                return f"login of {self.username}: {response.status_code} {response.text[:120]!r}"
            self.session.get(self.base + response.headers["Location"], timeout=120)  # Today
        except requests.RequestException as error:
            return f"login of {self.username}: {type(error).__name__}: {error}"[:200]
        return None

    def think(self, factor=1.0):
        pause = self.rng.uniform(0.5, 1.5) * self.config.think * factor
        if pause > 0:
            self.stop.wait(pause)

    def marker(self):
        self.sequence += 1
        return f"{self.run_id}-{self.number:03d}-{self.sequence:05d}"

    def run(self):
        # Logins spread over the first half minute, as a team starting its day (each one costs
        # a password hash: PBKDF2, 1,000,000 iterations, about half a second of CPU).
        time.sleep(self.rng.uniform(0, self.config.reps * 0.6))
        try:
            self.login()
        finally:
            self.ready.release()
        self.go.wait()
        if self.login_error:
            return
        while not self.over():
            self.round()

    def over(self):
        return self.stop.is_set() or time.monotonic() >= self.deadline

    def round(self):
        """Today, the search (two keystrokes), a customer's profile, and sometimes a call; each
        step only while the measured window lasts."""
        customer_id, name, name_en = self.rng.choice(self.customers)
        if self.rng.random() < 0.5 or not name_en:
            typed = name[:2]  # hanzi: surname and first given character
        else:
            typed = name_en.split()[0].lower()[:3]  # pinyin of the surname
        steps = [
            lambda: self.request("today", "GET", "/"),
            lambda: self.think(),
            lambda: self.request("search", "GET", "/calls/search/", params={"q": typed[:1]}),
            lambda: self.think(0.3),
            lambda: self.request("search", "GET", "/calls/search/", params={"q": typed}),
            lambda: self.think(),
            lambda: self.request("customer", "GET", f"/customers/{customer_id}/"),
            lambda: self.think(),
        ]
        if self.rng.random() < self.config.log_share:
            if self.rng.random() < 0.5:
                steps.append(lambda: self.log_in_browser(customer_id))
            else:
                steps.append(lambda: self.log_from_tablet(customer_id))
            steps.append(lambda: self.think())
        for step in steps:
            if self.over():
                return
            step()

    def log_in_browser(self, customer_id):
        if self.request("call_form", "GET", "/calls/new/", params={"customer": customer_id}):
            self.think()  # filling the form in
            if self.over():
                return
            now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
            marker = self.marker()
            response = self.request(
                "log_form",
                "POST",
                f"/calls/new/?customer={customer_id}",
                expect={302},
                data={
                    "csrfmiddlewaretoken": self.csrf(),
                    "customers": customer_id,
                    "date": now.date().isoformat(),
                    "start_time": now.strftime("%H:%M"),
                    "duration_minutes": "15",
                    "channel": "face_to_face",
                    "notes": marker,
                },
            )
            with self.results.lock:
                if response is not None:
                    self.results.sent[marker] = "form"
                else:
                    self.results.unconfirmed.add(marker)

    def log_from_tablet(self, customer_id):
        """`POST /api/v1/calls/` with the client's own id; an unanswered send is sent again
        until it is answered (an offline client's upload). 10 % are sent again after their
        answer, 5 % twice at once: each must be stored once."""
        call_id, marker = str(uuid.uuid4()), self.marker()
        body = {"id": call_id, "customers": [customer_id], "notes": marker}
        headers = {"X-CSRFToken": self.csrf()}  # the browser session's API (SessionAuthentication)
        draw = self.rng.random()
        if draw < 0.05:
            twin = threading.Thread(target=self._create, args=(body, headers, "log_api_retry"))
            twin.start()
            answered = self._create(body, headers, "log_api")
            twin.join()
        else:
            answered = self._create(body, headers, "log_api")
            if answered and draw < 0.15:
                self.think(0.3)
                self._create(body, headers, "log_api_retry", again=True)
        with self.results.lock:
            if answered:
                self.results.api_ids.add(call_id)
                self.results.sent[marker] = "api"
            else:
                self.results.unconfirmed.add(marker)

    def _create(self, body, headers, page, again=False):
        for _attempt in range(5):
            response = self.request(
                page, "POST", "/api/v1/calls/", expect={200, 201}, json=body, headers=headers
            )
            if response is not None:
                if again:
                    with self.results.lock:
                        self.results.retry_answers[response.status_code] += 1
                return True
            if self.stop.is_set():
                break
            self.stop.wait(1)
        return False


# --- the report -----------------------------------------------------------------------------


def percentile(values, p):
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def report(
    config, results, seconds, reps, logins, login_retries, backlog, counts, load_before, cpu
):
    print()
    print(
        f"Load: {reps} reps for {seconds:.0f} s against gunicorn ({config.workers} "
        f"{'sync' if config.threads == 1 else f'gthread ×{config.threads}'} workers) + "
        f"PostgreSQL + Redis{' + a Celery worker' if config.celery else ''} on 127.0.0.1, "
        f"{config.cores} cores; think {config.think:g} s (0.5–1.5×), log share "
        f"{config.log_share:g}"
    )
    if logins:
        print(
            f"  logins (before the measured window, spread over {config.reps * 0.6:.0f} s): "
            f"{len(logins)} of {config.reps} signed in, p50 {percentile(logins, 50):.0f} ms, p95 "
            f"{percentile(logins, 95):.0f} ms, max {max(logins):.0f} ms, tried again "
            f"{login_retries} times (no answer within 120 s)"
        )
    header = (
        f"  {'page':28} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    print(header)
    everything = []
    for key, label in PAGES:
        times = results.times.get(key, [])
        everything += times
        if not times:
            print(f"  {label:28} {0:8}")
            continue
        print(
            f"  {label:28} {len(times):8} {percentile(times, 50):8.0f} "
            f"{percentile(times, 95):8.0f} {percentile(times, 99):8.0f} "
            f"{results.errors.get(key, 0):7}"
        )
    errors = sum(results.errors.values())
    if everything:
        print(
            f"  {'all':28} {len(everything):8} {percentile(everything, 50):8.0f} "
            f"{percentile(everything, 95):8.0f} {percentile(everything, 99):8.0f} {errors:7}"
        )
    print(f"  throughput: {len(everything) / seconds:.1f} requests/s ({len(everything)} requests)")
    for sample in results.samples:
        print(f"  error: {sample}")
    if results.retry_answers:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(results.retry_answers.items()))
        print(f"  creates sent again after their answer were answered {answers} (200 expected)")
    sent = results.sent
    stored = counts["markers"]
    missing = [m for m in sent if stored.get(m, 0) == 0]
    doubled = [m for m, n in stored.items() if n > 1]
    once = sum(1 for m in sent if stored.get(m, 0) == 1)
    api = sum(1 for kind in sent.values() if kind == "api")
    unconfirmed_stored = sum(1 for m in results.unconfirmed if stored.get(m, 0) == 1)
    print(
        f"  count check: sent {len(sent)} calls ({len(sent) - api} by the form, {api} by the API "
        f"with their own ids) / stored once {once} / duplicates {len(doubled)} / "
        f"missing {len(missing)}; API ids found {counts['ids']} of {len(results.api_ids)}"
    )
    if results.unconfirmed:
        print(
            f"  form POSTs without an answer: {len(results.unconfirmed)} "
            f"({unconfirmed_stored} stored once; a browser cannot know)"
        )
    if everything and cpu:
        print(
            f"  CPU used in the window: gunicorn {cpu[0]:.1f} s "
            f"({cpu[0] * 1000 / len(everything):.0f} ms a request, PostgreSQL's not counted)"
            + (f", Celery worker {cpu[1]:.1f} s" if len(cpu) > 1 else "")
            + f"; wall {seconds:.0f} s × {config.cores} cores = {seconds * config.cores:.0f} s"
        )
    if config.celery:
        print(f"  recompute tasks still queued at the end: {backlog}")
    load_after = os.getloadavg()
    print(
        f"  machine load average (1 min) before {load_before[0]:.2f}, after "
        f"{load_after[0]:.2f} (other work on the same cores counts in)"
    )
    p95s = {key: percentile(results.times[key], 95) for key, _l in PAGES if results.times.get(key)}
    worst = max(p95s.items(), key=lambda item: item[1]) if p95s else ("-", 0)
    met = errors == 0 and worst[1] < GOAL_MS
    print(
        f"  goal (p95 < {GOAL_MS} ms on every page, 0 errors): {'met' if met else 'NOT met'} "
        f"(worst p95 {worst[1]:.0f} ms, {worst[0]}; {errors} errors)"
    )
    return not missing and not doubled and counts["ids"] == len(results.api_ids)


def main():
    config = Config()
    run_id = f"load-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    stack = None
    stop = threading.Event()

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)  # also when started in the background (SIG_IGN)
    config.var_dir.mkdir(parents=True, exist_ok=True)
    print(f"Load database {config.database_url} (recreated), Redis {config.redis_url}", flush=True)
    try:
        env = Databases(config).prepare()
        team = reps_and_customers(env, config.reps)
        if len(team) < config.reps:
            print(f"Only {len(team)} reps with customers in the seed; running with them")
        queue_length(config.redis_url, drop=True)  # tasks of an earlier, interrupted run
        stack = Stack(config, env)
        print(f"Starting gunicorn ({config.workers} workers) on {stack.base}", flush=True)
        stack.start()
        results = Results()
        ready, go = threading.Semaphore(0), threading.Event()
        reps = [
            Rep(
                i,
                username,
                [tuple(c) for c in customers],
                base=stack.base,
                config=config,
                results=results,
                run=run_id,
                ready=ready,
                go=go,
                stop=stop,
            )
            for i, (username, customers) in enumerate(team)
        ]
        print(f"{len(reps)} reps signing in", flush=True)
        for rep in reps:
            rep.start()
        for _rep in reps:
            ready.acquire()
        failed = [rep.login_error for rep in reps if rep.login_error]
        for error in failed:
            print(f"  {error}")
        load_before = os.getloadavg()
        cpu_before = stack.cpu_seconds()
        start = time.monotonic()
        for rep in reps:
            rep.deadline = start + config.seconds
        print(f"Measuring for {config.seconds:g} s", flush=True)
        go.set()
        for rep in reps:
            rep.join()
        seconds = time.monotonic() - start
        cpu = [after - before for after, before in zip(stack.cpu_seconds(), cpu_before)]
        backlog = queue_length(config.redis_url) if config.celery else 0
        counts = stored_calls(env, run_id + "-", results.api_ids)
        ok = report(
            config,
            results,
            seconds,
            len(reps) - len(failed),
            [rep.login_ms for rep in reps if rep.login_ms and not rep.login_error],
            sum(rep.login_attempts - 1 for rep in reps),
            backlog,
            counts,
            load_before,
            cpu,
        )
        print(f"  server logs: {', '.join(str(log) for log in stack.logs)}")
        return 0 if ok and len(failed) < len(reps) else 1
    except KeyboardInterrupt:
        print("\nInterrupted: stopping the reps, gunicorn and the worker", flush=True)
        stop.set()
        return 130
    finally:
        stop.set()
        if stack is not None:
            stack.stop()
        with contextlib.suppress(Exception):
            queue_length(config.redis_url, drop=True)


if __name__ == "__main__":
    sys.exit(main())
