"""A Content-Security-Policy allows only the product's own assets, and no page needs more:
no inline script, no inline event handler (the browser tests run the pages under it)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def _policy(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_carries_a_policy_of_the_products_own_assets(world, client):
    client.force_login(world.rep_x)

    for path in ["/login/", "/", "/calls/today/", "/customers/"]:
        policy = _policy(client.get(path))
        assert policy["default-src"] == ["'self'"], path
        assert policy["script-src"] == ["'self'"], path  # no 'unsafe-inline', no other host
        assert policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path


def test_the_api_docs_relax_only_their_styles(world, client):
    client.force_login(world.rep_x)

    response = client.get("/api/docs/")

    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert re.search(rb"<script>", response.content) is None  # its script is a file of its own


TEMPLATES = [
    path
    for path in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in path.parts and "email" not in path.parts
]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_an_inline_script_or_event_handler(template):
    html = template.read_text()

    inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    handlers = re.findall(r"\son[a-z]+\s*=", html)
    assert inline_scripts == []
    assert handlers == []
    assert "javascript:" not in html
