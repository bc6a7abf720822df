"""Promotion is academic (DOMAIN.md "Compliance of the trade"; 医药代表备案管理办法): no model and
no API resource may have a field for gifts, payments, invoices, cash, rebates or sales quotas —
not even one nobody uses. This walks every model's fields and every property of the API schema."""

import re

import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db

# Words (in English, pinyin or Chinese) that name what a rep must never record or carry.
FORBIDDEN = re.compile(
    r"gift|payment|paid|invoice|cash|rebate|kickback|bribe|commission|quota|sales_target"
    r"|sales_task|honorari|礼品|回扣|发票|现金|返利|销售指标|销售任务|fapiao|huikou|lipin",
    re.IGNORECASE,
)


def test_the_pattern_catches_what_it_is_for():
    for name in ("gift_value", "payment", "invoice_no", "cash_amount", "sales_quota", "发票号"):
        assert FORBIDDEN.search(name), name
    for name in ("potential", "support", "materials", "quantity", "samples", "co_visitor"):
        assert not FORBIDDEN.search(name), name


def test_no_model_has_a_forbidden_field():
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields(include_hidden=True):
            texts = [field.name, getattr(field, "column", "") or ""]
            texts.append(str(getattr(field, "verbose_name", "") or ""))
            if any(FORBIDDEN.search(text) for text in texts):
                found.append(f"{model._meta.label}.{field.name}")
        if FORBIDDEN.search(model._meta.model_name):
            found.append(model._meta.label)
    assert found == []


def _properties(node, path=""):
    """Every (path, property name) of an OpenAPI document's schemas and parameters."""
    if isinstance(node, dict):
        for name, value in (node.get("properties") or {}).items():
            yield f"{path}.{name}", name
        if node.get("in") in ("query", "path") and "name" in node:
            yield f"{path}?{node['name']}", node["name"]
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _properties(value, f"{path}[{index}]")


def test_no_api_resource_has_a_forbidden_field(world, client):
    client.force_login(world.admin)
    schema = client.get("/api/schema/?format=json").json()

    names = list(_properties(schema))
    assert any(name == "channel" for _path, name in names)  # the walk reaches the calls
    assert [path for path, name in names if FORBIDDEN.search(name)] == []
    assert [path for path in schema["paths"] if FORBIDDEN.search(path)] == []
