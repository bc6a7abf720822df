"""The OpenAPI schema and Swagger UI are served from the product itself: no CDN (closed
company networks), and the schema validates with no warnings."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """The schema and the docs are for signed-in users."""
    client.force_login(UserFactory())
    return client


def test_swagger_ui_loads_every_asset_from_our_own_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for url in assets:
        if url.startswith("/api/docs/?"):  # its start-up script, served apart for the CSP
            assert client.get(url).status_code == 200
            continue
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url
    assert "cdn" not in html.lower()


def test_the_schema_is_served_and_validates_without_warnings(client, tmp_path):
    assert client.get("/api/schema/").status_code == 200

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_the_schema_documents_the_error_shape_and_the_sync(client):
    schema = client.get("/api/schema/?format=json").json()

    sync = schema["paths"]["/api/v1/sync/"]["get"]
    assert {"200", "400", "401", "429"} <= set(sync["responses"])
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "errors"]


def test_the_schema_documents_every_history_as_a_page_of_entries_without_etag(client):
    schema = client.get("/api/schema/?format=json").json()

    for resource in (
        "customers",
        "calls",
        "plans",
        "alignments",
        "thresholds",
        "requirements",
        "users",
    ):
        history = schema["paths"][f"/api/v1/{resource}/{{id}}/history/"]["get"]
        ok = history["responses"]["200"]
        assert "headers" not in ok, resource  # no ETag: the history is not the record
        assert {"404", "401"} <= set(history["responses"]), resource
        assert {p["name"] for p in history["parameters"]} >= {"cursor", "page_size"}
    page = schema["components"]["schemas"]["PaginatedHistoryEntryList"]
    entry = schema["components"]["schemas"]["HistoryEntry"]
    assert page["required"] == ["results", "next"]
    assert {"when", "who", "source", "changes"} <= set(entry["properties"])
    sources = schema["components"]["schemas"]["HistoryEntrySourceEnum"]["enum"]
    assert sources == ["page", "api", "import", "job", "admin", "shell"]
