"""The managers' customer table searched by one or two characters (a surname such as 王): the
same rows on SQLite and PostgreSQL, in the name, the institution or the department, in any
case, wildcards literal; sorted by name both ways; on PostgreSQL answered by the character
indexes (customers migration 0015, core.search)."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from customers.models import Customer
from tests.factories import CustomerFactory, DepartmentFactory, InstitutionFactory

pytestmark = pytest.mark.django_db

URL = reverse("customers:list")


@pytest.fixture
def people(world):
    """In tx, besides the world's 王建国 (Wang Jianguo): 汪洋 (wang, another hanzi), 李王芳
    (王 inside the name), 赵敏 at 王府医院 (王 only in the institution), 钱进 in 王氏诊室 (王
    only in the department), 孙丽 with the English name "Sun 50%_off"."""
    wangfu = InstitutionFactory(name="王府医院", name_en="Wangfu Hospital")
    room = DepartmentFactory(institution=world.hx, name="王氏诊室", name_en="Family Clinic")
    return {
        "汪洋": CustomerFactory(name="汪洋", name_en="Wang Yang", institution=world.hx,
                              territory=world.tx),
        "李王芳": CustomerFactory(name="李王芳", name_en="Li Wangfang", institution=world.hx,
                               territory=world.tx),
        "赵敏": CustomerFactory(name="赵敏", name_en="Zhao Min", institution=wangfu,
                              territory=world.tx),
        "钱进": CustomerFactory(name="钱进", name_en="Qian Jin", institution=world.hx,
                              department=room, territory=world.tx),
        "孙丽": CustomerFactory(name="孙丽", name_en="Sun 50%_off", institution=world.hx,
                              territory=world.tx),
    }  # fmt: skip


def names(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return [row.record.name for row in response.context["table"].paginated_rows]


@pytest.mark.parametrize(
    "q, expected",
    [
        ("王", ["李王芳", "王建国", "赵敏", "钱进"]),  # name, institution, department
        ("王芳", ["李王芳"]),
        ("建国", ["王建国"]),
        ("wa", ["李王芳", "汪洋", "王建国", "赵敏"]),  # English names and institutions, any case
        ("WA", ["李王芳", "汪洋", "王建国", "赵敏"]),
        ("Ya", ["汪洋"]),
        ("%", ["孙丽"]),  # literal, not a wildcard
        ("_o", ["孙丽"]),
        ("丽丽", []),
        ("王 芳", ["李王芳"]),  # every word
    ],
)
def test_a_short_word_finds_the_same_customers_on_every_database(world, people, login, q, expected):
    assert names(login(world.dm_x), q=q) == sorted(expected)


def test_search_results_are_sorted_by_name_both_ways_and_paged(world, people, login):
    for n in range(30):
        CustomerFactory(name=f"王{n:02d}", name_en="", institution=world.hx, territory=world.tx)
    client = login(world.dm_x)
    first = names(client, q="王")
    assert first == sorted(first) and len(first) == 25
    assert (
        names(client, q="王", page=2)
        == sorted(
            set(Customer.objects.filter(name__contains="王").values_list("name", flat=True))
            | {"赵敏", "钱进"}
        )[25:]
    )
    descending = names(client, q="王", sort="-name")
    assert descending == sorted(descending, reverse=True) and descending[0] == "钱进"


def test_another_districts_customer_is_not_found(world, people, login):
    CustomerFactory(name="王五", institution=world.hy, territory=world.ty)
    assert "王五" not in names(login(world.dm_x), q="王")
    assert "王五" in names(login(world.dm_y), q="王")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_postgresql_answers_a_one_character_search_from_the_character_indexes(world, people):
    """The search's expressions are those the indexes hold: with bitmap scans only, the plan
    reads the names', institutions' and departments' character indexes."""
    rows = Customer.objects.search("王").order_by().values("pk")
    sql, params = rows.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in ("customer_name_chars", "institution_name_chars", "department_name_chars"):
        assert index in plan, plan


@pytest.mark.parametrize(
    "q", ["\x00", "li\x00jian", "x" * 5000, "李 " * 500, "\\", "' OR 1=1 --", "王" * 300, "a"]
)
def test_bad_searches_answer_200_on_the_desk_tables_and_their_export(world, login, q):
    client = login(world.dm_x)
    assert client.get(URL, {"q": q}).status_code == 200
    assert client.get(URL, {"q": q, "format": "csv"}).status_code == 200
    assert client.get(reverse("calls:list"), {"q": q}).status_code == 200
