"""English is first-class for content: every named thing shows the name of the user's language
(falling back to the other), hospital levels are a choice, dates have one format per language."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from calls import services as call_services
from calls.models import KeyMessage, Material
from customers.models import HospitalLevel, Institution, hospital_level_code
from notifications.models import Notification, Rule
from org.models import Absence, Language, Product
from tests.calls.factories import KeyMessageFactory, MaterialFactory, make_call
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bw(world):
    """`world` with bilingual territory, team, district and a product with a key message."""
    world.tx.name, world.tx.name_en = "上海ONC1区", "Shanghai ONC 1"
    world.tx.save()
    world.tx.team.name, world.tx.team.name_en = "肿瘤", "Oncology"
    world.tx.team.save()
    world.district_x.name, world.district_x.name_en = "上海地区", "Shanghai District"
    world.district_x.save()
    world.product = ProductFactory(name="安可维", name_en="Oncovia", code="ONC-1")
    world.tx.team.products.add(world.product)
    world.km = KeyMessageFactory(
        product=world.product, text="每日一次口服", text_en="Once-daily oral dose"
    )
    return world


def speaking(user, language):
    user.language = language
    user.save()
    return user


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# Names -------------------------------------------------------------------------------------


def test_an_english_user_sees_english_names_on_the_customer_list(bw, client):
    html = page(client, speaking(bw.rep_x, Language.EN), reverse("customers:list"))

    assert "Renji Hospital" in html and "Oncology" in html
    assert "仁济医院" not in html and "肿瘤科" not in html


def test_a_chinese_user_sees_chinese_names_on_the_customer_list(bw, client):
    html = page(client, speaking(bw.rep_x, Language.ZH_HANS), reverse("customers:list"))

    assert "仁济医院" in html and "肿瘤科" in html
    assert "Renji Hospital" not in html


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        (Language.EN, "Shanghai District", "上海地区"),
        (Language.ZH_HANS, "上海地区", "Shanghai District"),
    ],
)
def test_the_district_dashboard_shows_the_names_of_the_managers_language(
    bw, client, language, shown, hidden
):
    html = page(client, speaking(bw.dm_x, language), reverse("reports:dashboard"))

    assert shown in html and hidden not in html


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        (Language.EN, ("Oncovia", "Once-daily oral dose"), ("安可维", "每日一次口服")),
        (Language.ZH_HANS, ("安可维", "每日一次口服"), ("Oncovia", "Once-daily oral dose")),
    ],
)
def test_the_call_form_offers_products_and_key_messages_in_the_reps_language(
    bw, client, language, shown, hidden
):
    url = reverse("calls:new") + f"?customer={bw.cx.pk}"
    html = page(client, speaking(bw.rep_x, language), url)

    assert all(name in html for name in shown)
    assert not any(name in html for name in hidden)


def test_a_name_falls_back_to_the_other_language_when_blank(bw, client):
    bw.product.name_en = ""
    bw.product.save()
    bw.km.text = ""
    bw.km.save()
    url = reverse("calls:new") + f"?customer={bw.cx.pk}"

    html = page(client, speaking(bw.rep_x, Language.EN), url)
    assert "安可维" in html and "Once-daily oral dose" in html

    with translation.override("zh-hans"):
        assert str(bw.km) == "Once-daily oral dose"
        assert str(bw.product) == "安可维"
    bw.rep_x.name, bw.rep_x.name_en = "王伟", ""
    with translation.override("en"):
        assert str(bw.rep_x) == bw.rep_x.display_name == "王伟"
    bw.rep_x.name_en = "Wang Wei"
    with translation.override("en"):
        assert str(bw.rep_x) == "Wang Wei"
    with translation.override("zh-hans"):
        assert str(bw.rep_x) == "王伟"


@pytest.mark.parametrize(
    ("language", "place"),
    [(Language.EN, "Renji Hospital"), (Language.ZH_HANS, "仁济医院")],
)
def test_a_notification_names_the_place_in_the_recipients_language(
    bw, django_capture_on_commit_callbacks, language, place
):
    speaking(bw.rep_x, language)
    call = make_call(
        bw.tx,
        [bw.cx],
        date=timezone.localdate() - datetime.timedelta(days=20),
        completed_at=timezone.now() - datetime.timedelta(days=19),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_services.coaching_comment_create(by=bw.dm_x, call=call, text="Ask about dosing")

    [note] = Notification.objects.filter(kind=Rule.COACHING_COMMENT)
    assert place in note.message


# Both names are fields; a catalogue item needs one of them ----------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Product(code="X-1", name="", name_en=""),
        lambda: KeyMessage(product=ProductFactory(), text=" ", text_en=""),
        lambda: Material(code="M-X", name="", name_en=""),
    ],
)
def test_a_catalogue_item_with_neither_name_is_refused(world, make):
    item = make()

    with pytest.raises(ValidationError) as error:
        item.full_clean()

    [message] = next(iter(error.value.message_dict.values()))
    assert message == "Give a Chinese or an English name."
    with translation.override("zh-hans"):
        assert str(error.value.messages[0]) == "Give a Chinese or an English name."
        from django.utils.translation import gettext

        assert gettext("Give a Chinese or an English name.") == "请填写中文或英文名称。"


def test_an_english_name_alone_is_enough_for_a_catalogue_item(world):
    Product(code="X-2", name="", name_en="Oncovia").full_clean()
    MaterialFactory.build(name="", name_en="Leaflet", code="M-Y").full_clean()


def test_the_api_reads_and_writes_both_names(world, api):
    client = api(world.admin)

    response = client.post(
        "/api/v1/products/",
        {"name": "安可维", "name_en": "Oncovia", "code": "ONC-9"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["name_en"] == "Oncovia"
    assert Product.objects.get(code="ONC-9").name == "安可维"

    for resource in ("regions", "districts", "teams", "territories", "institutions", "departments"):
        row = client.get(f"/api/v1/{resource}/").json()["results"][0]
        assert {"name", "name_en"} <= set(row), resource

    me = api(world.rep_x).get("/api/v1/me/").json()
    assert {"name", "name_en", "display_name"} <= set(me)


def test_the_api_refuses_a_product_with_neither_name(world, api):
    response = api(world.admin).post(
        "/api/v1/products/", {"name": "", "name_en": "", "code": "ONC-8"}, format="json"
    )

    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert not Product.objects.filter(code="ONC-8").exists()


# Hospital level ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("三级甲等", "3A"),
        ("三甲", "3A"),
        ("3A", "3A"),
        ("3a", "3A"),
        ("三级乙等", "3B"),
        ("二级丙等", "2C"),
        ("一甲", "1A"),
        ("III A", "3A"),
        ("Grade 2B", "2B"),
        ("未定级", "unrated"),
        ("三级特等", ""),
        ("一级", ""),
        ("社区", ""),
        ("", ""),
    ],
)
def test_free_text_levels_map_to_codes(text, code):
    assert hospital_level_code(text) == code


def test_the_level_is_shown_in_the_users_language(world, client):
    world.hx.level = HospitalLevel.GRADE_3A
    world.hx.save()
    url = reverse("customers:institution_detail", args=[world.hx.pk])

    assert "Grade 3A" in page(client, speaking(world.rep_x, Language.EN), url)
    assert "三级甲等" in page(client, speaking(world.rep_x, Language.ZH_HANS), url)


def test_the_api_takes_a_level_code_and_refuses_free_text(world, api):
    client = api(world.admin)
    url = f"/api/v1/institutions/{world.hx.pk}/"

    response = client.patch(url, {"level": "3B"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "3B"

    response = client.patch(url, {"level": "三级甲等"}, format="json")
    assert response.status_code == 400
    assert "level" in response.json()["errors"]
    world.hx.refresh_from_db()
    assert world.hx.level == "3B"


def test_the_admin_form_offers_the_levels(world_admin_client, world):
    html = world_admin_client.get(
        reverse("admin:customers_institution_change", args=[world.hx.pk])
    ).content.decode()

    assert '<select name="level"' in html and 'value="3A"' in html


def test_the_model_refuses_an_unknown_level(world):
    institution = Institution(name="新医院", level="三级甲等")

    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert "level" in error.value.message_dict


# Dates: one format per language --------------------------------------------------------------


@pytest.mark.parametrize("language", [Language.ZH_HANS, Language.EN])
def test_dates_are_iso_in_the_admin_and_the_product_in_both_languages(
    world_admin_client, world, language
):
    speaking(world.admin, language)
    Absence.objects.create(
        rep=world.rep_x, date_from=datetime.date(2026, 11, 30), date_to=datetime.date(2026, 12, 1)
    )

    html = world_admin_client.get(reverse("admin:org_absence_changelist")).content.decode()
    assert "2026-11-30" in html and "2026-12-01" in html
    assert "11/30/2026" not in html and "Nov. 30, 2026" not in html and "2026年11月30日" not in html

    html = world_admin_client.get(reverse("customers:detail", args=[world.cx.pk])).content.decode()
    assert timezone.localdate().isoformat() in html  # the alignment's start

    from django.template import Context, Template

    with translation.override(language):
        rendered = Template("{{ d|date }} {{ d }} {{ t|date:'SHORT_DATETIME_FORMAT' }}").render(
            Context({"d": datetime.date(2026, 11, 30), "t": datetime.datetime(2026, 11, 30, 9, 5)})
        )
    assert rendered == "2026-11-30 2026-11-30 2026-11-30 09:05"
