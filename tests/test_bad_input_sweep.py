"""A deterministic sweep of bad input over every page, form and API operation: never a 500.

Bad values: malformed ids, dates and periods out of range (`9999-12-31`, `0001-01`, `9999-Q4`),
NUL characters, lone surrogates (JSON only: a form post decodes them to U+FFFD), JSON nested far
too deep. Sent as a rep and as an admin. Each request is allowed any answer but a 5xx; the
focused tests (tests/test_bad_input_limits.py) assert what a user sees."""

import json
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests import fuzzing
from tests.calls.factories import make_call

pytestmark = pytest.mark.django_db

BAD_VALUES = [
    "abc",
    "9999-12-31",
    "0001-01-01",
    "0999-12-31",
    "0001-01",
    "9999-Q4",
    "a\x00b",
    "-1",
]
QUERY_NAMES = [
    "start",
    "period",
    "quarter",
    "customer",
    "territory",
    "district",
    "region",
    "institution",
    "department",
    "product",
    "team",
    "q",
    "name",
    "page",
    "day",
    "date",
    "on",
    "klass",
    "show",
    "table",
    "all",
    "plan",
    "group",
    "status",
    "rep",
    "next",
]

PAGES = [
    "home",
    "devices",
    "password_change",
    "customers:list",
    "customers:create",
    "customers:institution_list",
    "customers:segmentation",
    "customers:measure_import",
    "calls:today",
    "calls:list",
    "calls:week",
    "calls:new",
    "calls:customer_search",
    "calls:feedback",
    "reports:dashboard",
    "reports:targets",
    "reports:opportunity",
    "reports:requirements",
    "reports:recompute",
    "reports:export",
    "notifications:list",
    "notifications:settings",
    "notifications:rules",
    "planning:list",
    "planning:new",
    "planning:week",
]


def _pages(world):
    call = make_call(world.tx, [world.cx])
    return [reverse(name) for name in PAGES] + [
        reverse("customers:detail", args=[world.cx.pk]),
        reverse("customers:edit", args=[world.cx.pk]),
        reverse("customers:override_create", args=[world.cx.pk]),
        reverse("customers:institution_detail", args=[world.hx.pk]),
        reverse("calls:customer_history", args=[world.cx.pk]),
        reverse("calls:detail", args=[call.pk]),
        reverse("calls:edit", args=[call.pk]),
        reverse("calls:log", args=[call.pk]),
        reverse("calls:amend", args=[call.pk]),
        reverse("calls:comment", args=[call.pk]),
        reverse("calls:cancel", args=[call.pk]),
        reverse("planning:joint_propose", args=[call.pk]),
    ]


class _Forms(HTMLParser):
    """The post forms of a page: action and fields (name -> value, kind)."""

    def __init__(self):
        super().__init__()
        self.forms, self._textarea = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append({"action": attrs.get("action"), "fields": {}})
        elif not self.forms or "name" not in attrs:
            return
        elif tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                self.forms[-1]["fields"].setdefault(attrs["name"], (None, attrs.get("type")))
            else:
                kind = attrs.get("type") or "text"
                self.forms[-1]["fields"][attrs["name"]] = (attrs.get("value") or "", kind)
        elif tag in ("select", "textarea"):
            self.forms[-1]["fields"].setdefault(attrs["name"], ("", tag))
            self._textarea = attrs["name"] if tag == "textarea" else None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] = (data, "textarea")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


@pytest.fixture
def sweep():
    """Collects every 5xx of a sweep, so one run names them all."""
    failures = []

    def check(response, what):
        if response.status_code >= 500:
            failures.append((what, response.status_code))

    yield check
    assert not failures, "\n".join(repr(failure)[:200] for failure in failures)


@pytest.mark.parametrize("who", ["rep_x", "admin"])
def test_pages_with_bad_query_parameters_never_answer_500(world, login, who, sweep):
    client = login(getattr(world, who))
    client.raise_request_exception = False
    for page in _pages(world):
        for value in BAD_VALUES:
            url = f"{page}?{urlencode(dict.fromkeys(QUERY_NAMES, value))}"
            sweep(client.get(url), url)


@pytest.mark.parametrize("who", ["rep_x", "admin"])
def test_forms_posted_with_bad_values_never_answer_500(world, login, who, sweep):
    """Every post form of every page: first each bad value in every field at once; then the form
    as the page filled it with one kind of field at a time replaced (a date, a text, a choice),
    so a single bad field reaches as far as it can."""
    client = login(getattr(world, who))
    client.raise_request_exception = False
    for page in _pages(world):
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = form["action"] or page
            fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
            filled = {k: value for k, (value, _kind) in fields.items() if value is not None}
            for bad in BAD_VALUES:
                posted = client.post(action, dict.fromkeys(fields, bad))
                sweep(posted, (action, bad))
                for kind in ("date", "text", "textarea", "select", "hidden", "number"):
                    names = [k for k, (_v, t) in fields.items() if t == kind]
                    if names:
                        data = {**filled, **dict.fromkeys(names, bad)}
                        sweep(client.post(action, data), (action, kind, bad))


def _schema_operations():
    spec = fuzzing.served_spec()
    components = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if method not in ("post", "put", "patch") or schema is None:
                continue
            if "$ref" in schema:
                schema = components[schema["$ref"].rsplit("/", 1)[1]]
            yield path, method, schema.get("properties", {})


def _bad_body(properties, bad):
    """Every property set to the bad value its type takes (strings, dates, ids, lists of ids)."""
    body = {}
    for name, prop in properties.items():
        if prop.get("readOnly"):
            continue
        kind = prop.get("type")
        if kind == "array":
            body[name] = [bad]
        elif kind in ("integer", "number", "boolean"):
            body[name] = bad if bad in ("-1",) else 10**30
        else:
            body[name] = bad
    return body


def _deep(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("who", ["rep_x", "admin"])
def test_api_writes_with_bad_values_never_answer_500(world, api, who, sweep):
    client = api(getattr(world, who))
    client.raise_request_exception = False
    call = make_call(world.tx, [world.cx])
    ids = {"{id}": str(call.pk)}
    for path, method, properties in _schema_operations():
        if "{" in path and not path.startswith("/api/v1/calls/{id}"):
            url = None
        else:
            url = path
            for key, value in ids.items():
                url = url.replace(key, value)
        if url is None:
            continue
        send = getattr(client, method)
        for bad in [*BAD_VALUES, "\ud800", "x\udfff"]:
            body = json.dumps(_bad_body(properties, bad))
            sweep(send(url, body, content_type="application/json"), (method, url, bad))
        sweep(send(url, _deep(5000), content_type="application/json"), (method, url))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/",
        "/api/v1/calls/",
        "/api/v1/plans/",
        "/api/v1/alignments/",
        "/api/v1/absences/",
        "/api/v1/notifications/",
        "/api/v1/sync/",
        "/api/v1/reports/compliance/",
        "/api/v1/measures/",
        "/api/v1/territories/",
        "/api/v1/users/",
    ],
)
def test_api_reads_with_bad_query_parameters_never_answer_500(world, api, path, sweep):
    for who in ("rep_x", "admin"):
        client = api(getattr(world, who))
        client.raise_request_exception = False
        for value in BAD_VALUES:
            names = [*QUERY_NAMES, "since", "date_from", "date_to", "customer", "period_key"]
            url = f"{path}?{urlencode(dict.fromkeys(names, value))}"
            sweep(client.get(url), (who, url))
