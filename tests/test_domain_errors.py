"""One handler per surface for the domain errors of core.concurrency that a view did not catch:
the API answers the error shape with 409/412 (core.api.exception_handler), a page goes back to
where the user came from with the service's message (core.middleware.DomainErrorMiddleware).
Never a 500."""

import pytest
from django.contrib.messages import get_messages
from django.urls import path

from core.api import exception_handler
from core.concurrency import Conflict, Stale


def refuses(request):
    raise Conflict("This call is locked.")


def stale(request):
    raise Stale("This record has changed since you read it (version 3).", 3)


urlpatterns = [path("conflict/", refuses), path("stale/", stale)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.mark.parametrize(
    "error, status",
    [(Conflict("This call is locked."), 409), (Stale("Changed (version 3).", 3), 412)],
)
def test_the_api_answers_an_uncaught_domain_error_with_its_status_and_the_error_shape(
    error, status
):
    response = exception_handler(error, {})
    assert response.status_code == status
    assert response.data == {"detail": error.message, "errors": {}}


@pytest.mark.parametrize(
    "url, message",
    [
        ("/conflict/", "This call is locked."),
        ("/stale/", "This record has changed since you read it (version 3)."),
    ],
)
def test_a_page_goes_back_with_the_message_instead_of_a_500(client, url, message):
    response = client.post(url, HTTP_REFERER="http://testserver/calls/42/")
    assert response.status_code == 303
    assert response["Location"] == "http://testserver/calls/42/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [message]


def test_a_page_never_goes_back_to_another_site(client):
    response = client.post("/conflict/", HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 303
    assert response["Location"] == "/"
