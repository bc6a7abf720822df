"""Finding customers as Chinese reps type: hanzi, English, full pinyin and its initials, in the
list, the API and the type-ahead endpoint of Today and "log a call"; scoped; bad input."""

import datetime

import pytest
from django.urls import reverse

from customers import services
from customers.models import ClassCause, ClassHistory, ClassSource, Customer
from customers.pinyin import search_keys
from tests.factories import CustomerFactory, DepartmentFactory, ProductFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

SEARCH = reverse("calls:customer_search")


@pytest.fixture
def people(world):
    """In tx: 李建国 (class B for a product of tx's team), 刘佳 and 曾志伟 (surname zeng)."""
    product = ProductFactory()
    world.tx.team.products.add(product)
    li = CustomerFactory(
        name="李建国", name_en="Li Jianguo", institution=world.hx, department=world.dx,
        territory=world.tx, title="主任医师",
    )  # fmt: skip
    liu = CustomerFactory(
        name="刘佳", name_en="Liu Jia", institution=world.hx, department=world.dx,
        territory=world.tx,
    )  # fmt: skip
    zeng = CustomerFactory(
        name="曾志伟", name_en="", institution=world.hx, department=world.dx, territory=world.tx
    )
    ClassHistory.objects.create(
        customer=li,
        product=product,
        klass="B",
        source=ClassSource.COMPUTED,
        cause=ClassCause.MEASURES,
        valid_from=datetime.date(2026, 1, 1),
    )
    return li, liu, zeng


def found(client, q, url=SEARCH):
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return [c.name for c in response.context["found"]]


def test_search_keys_of_a_name():
    assert search_keys("李建国") == ("lijianguo", "ljg")
    assert search_keys("曾志伟") == ("zengzhiwei", "zzw")  # the surname's reading
    assert search_keys("单田芳") == ("shantianfang", "stf")
    assert search_keys("Zhang 三") == ("zhangsan", "zs")
    assert search_keys("") == ("", "")


def test_keys_are_stored_on_create_and_follow_a_change_of_name(world):
    customer = services.customer_create(
        by=world.rep_x, territory=world.tx, name="李建国", institution=world.hx
    )
    assert (customer.name_pinyin, customer.name_initials) == ("lijianguo", "ljg")

    services.customer_update(by=world.rep_x, customer=customer, name="刘佳")

    customer.refresh_from_db()
    assert (customer.name_pinyin, customer.name_initials) == ("liujia", "lj")


def test_keys_are_stored_by_bulk_create_too(world):
    (customer,) = Customer.objects.bulk_create([Customer(name="王小明", institution=world.hx)])
    customer.refresh_from_db()
    assert (customer.name_pinyin, customer.name_initials) == ("wangxiaoming", "wxm")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("李建", ["李建国"]),  # hanzi, part of the name
        ("lijian", ["李建国"]),  # full pinyin, prefix
        ("LiJianGuo", ["李建国"]),  # case-insensitive
        ("li jian", ["李建国"]),  # pinyin typed with a space
        ("ljg", ["李建国"]),  # initials: not 刘佳 (lj) alone
        ("lj", ["刘佳", "李建国"]),  # initials prefix: both
        ("zzw", ["曾志伟"]),  # surname reading
        ("jianguo", ["李建国", "王建国"]),  # English name (Wang Jianguo, Li Jianguo)
        ("Liu Jia", ["刘佳"]),
        ("仁济 刘", ["刘佳"]),  # institution and name
        ("肿瘤科 ljg", ["李建国"]),  # department and initials
        ("jg", []),  # initials match from the start only
    ],
)
def test_the_type_ahead_matches_hanzi_pinyin_initials_and_english(
    world, people, login, q, expected
):
    client = login(world.rep_x)
    assert sorted(found(client, q)) == sorted(expected)


def test_the_list_page_and_the_api_search_the_same_way(world, people, login, api):
    client = login(world.rep_x)
    response = client.get(reverse("customers:list"), {"q": "ljg"})
    assert [c.name for c in response.context["page"].object_list] == ["李建国"]

    response = api(world.rep_x).get("/api/v1/customers/", {"q": "ljg"})
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["name"] for row in rows] == ["李建国"]


def test_out_of_scope_customers_are_never_found(world, people, login):
    CustomerFactory(name="李建军", institution=world.hy, territory=world.ty)

    assert found(login(world.rep_x), "ljj") == []
    assert found(login(world.rep_y), "lijian") == ["李建军"]
    assert found(login(world.outsider_rep), "lj") == []


def test_each_result_shows_class_title_place_and_the_log_and_plan_buttons(world, people, login):
    li = people[0]
    page = login(world.rep_x).get(SEARCH, {"q": "ljg"}).content.decode()

    assert 'class="badge klass-B"' in page
    assert "主任医师 · Renji Hospital · Oncology" in page  # places in the English session
    assert "Li Jianguo" in page
    assert f'href="{reverse("customers:detail", args=[li.pk])}"' in page
    assert f'href="{reverse("calls:new")}?customer={li.pk}"' in page
    assert f'href="{reverse("calls:new")}?customer={li.pk}&amp;plan=1"' in page
    assert "1 customer found" in page


def test_a_manager_finds_but_gets_no_log_buttons(world, people, login):
    page = login(world.dm_x).get(SEARCH, {"q": "ljg"}).content.decode()
    assert "李建国" in page
    assert "?customer=" not in page


def test_results_are_at_most_twenty(world, login):
    for i in range(23):
        CustomerFactory(name=f"李{i}", institution=world.hx, territory=world.tx)
    response = login(world.rep_x).get(SEARCH, {"q": "li"})
    assert len(response.context["found"]) == 20
    assert response.context["more"]


def test_no_result_offers_a_new_customer_with_the_typed_text_escaped(world, login):
    page = login(world.rep_x).get(SEARCH, {"q": "<script>x"}).content.decode()

    assert "<script>x" not in page
    assert "&lt;script&gt;x" in page
    assert f'href="{reverse("customers:create")}?name=%3Cscript%3Ex"' in page
    assert "New customer" in page


def test_the_offer_prefills_the_name_of_the_new_customer(world, login):
    client = login(world.rep_x)
    form = client.get(reverse("customers:create"), {"name": "赵六"}).context["form"]
    assert form["name"].value() == "赵六"


def test_the_search_in_chinese(world, people, login):
    world.rep_x.language = "zh-hans"
    world.rep_x.save()
    client = login(world.rep_x)

    page = client.get(SEARCH, {"q": "ljg"}).content.decode()
    assert "记录" in page and "计划" in page
    assert "找到 1 位客户" in page

    page = client.get(SEARCH, {"q": "不存在"}).content.decode()
    assert "新建客户" in page


@pytest.mark.parametrize(
    "q",
    [
        "",
        " ",
        "\x00",
        "li\x00jian",
        "x" * 5000,
        "李 " * 500,
        "%",
        "_",
        "\\",
        "' OR 1=1 --",
        "ljg" * 300,
    ],
)
def test_bad_queries_answer_200(world, people, login, q):
    client = login(world.rep_x)
    assert client.get(SEARCH, {"q": q}).status_code == 200
    assert client.get(reverse("calls:new"), {"q": q}).status_code == 200
    assert client.get(reverse("customers:list"), {"q": q}).status_code == 200


def test_wildcards_are_literal(world, people, login):
    assert found(login(world.rep_x), "%") == []


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(SEARCH, {"q": "li"})
    assert response.status_code == 302


def test_the_pick_page_renders_the_same_results_without_js(world, people, login):
    page = login(world.rep_x).get(reverse("calls:new"), {"q": "ljg"}).content.decode()
    assert "李建国" in page and "刘佳" not in page
    assert 'data-typeahead="' + SEARCH + '"' in page


def test_today_has_the_type_ahead_box(world, login):
    page = login(world.rep_x).get(reverse("calls:today")).content.decode()
    assert 'data-typeahead="' + SEARCH + '"' in page
    assert 'aria-live="polite"' in page
    assert "js/search.js" in page


def add_people(world, n):
    for i in range(n):
        department = DepartmentFactory(institution=world.hx)
        CustomerFactory(
            name=f"李建{i}", institution=world.hx, department=department, territory=world.tx
        )


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "admin"])
def test_the_search_runs_the_same_number_of_queries_with_more_data(world, people, login, persona):
    client = login(getattr(world, persona))
    url = SEARCH + "?q=lj"
    add_people(world, 2)
    before = count_queries(client, url)
    add_people(world, 15)
    assert count_queries(client, url) == before


def test_the_data_migration_fills_the_keys_of_existing_customers(world, people):
    from importlib import import_module

    from django.apps import apps

    Customer.objects.update(name_pinyin="", name_initials="")  # as before the migration
    migration = import_module("customers.migrations.0004_customer_pinyin_keys")

    migration.fill_search_keys(apps, None)

    keys = dict(Customer.objects.values_list("name", "name_initials"))
    assert keys["李建国"] == "ljg"
    assert keys["曾志伟"] == "zzw"
    assert Customer.objects.get(name="刘佳").name_pinyin == "liujia"
