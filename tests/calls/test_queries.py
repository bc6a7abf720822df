"""Today, the calls list, the week and a customer's call history run the same number of queries
whatever the amount of data (no N+1)."""

import pytest
from django.urls import reverse

from calls.models import Call, CallStatus, CoachingComment
from tests.calls.factories import make_call
from tests.factories import CustomerFactory, DepartmentFactory, InstitutionFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def add_calls(cw, n):
    """n planned calls today and n completed ones, at new hospitals and departments, each a
    group call with products, key messages, materials and a coaching comment."""
    for _ in range(n):
        institution = InstitutionFactory()
        department = DepartmentFactory(institution=institution)
        customers = [
            CustomerFactory(institution=institution, department=department, territory=cw.tx)
            for _ in range(2)
        ]
        make_call(cw.tx, [*customers, cw.cx], status=CallStatus.PLANNED)
        call = make_call(
            cw.tx,
            [cw.cx, *customers],
            products=[(cw.px, [cw.km1, cw.km2], "ok")],
            materials=[(cw.leaflet, 1)],
        )
        CoachingComment.objects.create(call=call, author=cw.dm_x, text="Good")


@pytest.mark.parametrize("persona", ["rep_x", "dm_x", "admin"])
@pytest.mark.parametrize(
    "url_of",
    [
        lambda w: reverse("home"),
        lambda w: reverse("calls:today"),
        lambda w: reverse("calls:list"),
        lambda w: reverse("calls:list") + f"?q=王&status=completed&product={w.px.pk}",
        lambda w: reverse("calls:week"),
        lambda w: reverse("calls:customer_history", args=[w.cx.pk]),
        lambda w: reverse("calls:feedback"),
    ],
    ids=["home", "today", "list", "filtered", "week", "customer-history", "feedback"],
)
def test_call_pages_do_not_run_more_queries_with_more_data(cw, login, persona, url_of):
    client = login(getattr(cw, persona))
    url = url_of(cw)
    add_calls(cw, 2)
    small = count_queries(client, url)

    add_calls(cw, 12)
    large = count_queries(client, url)

    assert large == small
    assert small <= 14


def test_the_call_detail_and_form_do_not_grow_with_the_data(cw, login):
    client = login(cw.rep_x)
    add_calls(cw, 1)
    call = Call.objects.filter(status="completed").first()
    detail = reverse("calls:detail", args=[call.pk])
    form = reverse("calls:new") + f"?customer={cw.cx.pk}"
    count_queries(client, detail)  # warm up: the call settings row is created once
    small = count_queries(client, detail), count_queries(client, form)

    add_calls(cw, 10)

    assert (count_queries(client, detail), count_queries(client, form)) == small
