"""The sync tests use the calls world (products, key messages, materials) as well."""

import pytest

from tests.calls.conftest import cw  # noqa: F401


def sync_all(client, since=None, types=None, page_size=None):
    """Follow `has_more` to the end; returns (changes, cursor)."""
    changes = []
    while True:
        params = {}
        if since:
            params["since"] = since
        if types:
            params["types"] = types
        if page_size:
            params["page_size"] = page_size
        response = client.get("/api/v1/sync/", params)
        assert response.status_code == 200, response.content
        body = response.json()
        changes += body["changes"]
        since = body["cursor"]
        if not body["has_more"]:
            return changes, since


def apply(state, changes):
    """A client's local store: {(type, id): data}."""
    for change in changes:
        if change["op"] == "upsert":
            state[(change["type"], change["data"]["id"])] = change["data"]
        else:
            state.pop((change["type"], change["id"]), None)
    return state


@pytest.fixture
def sync():
    return sync_all
