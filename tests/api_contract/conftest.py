import pytest
from rest_framework.test import APIClient

from org.services import api_token_create


@pytest.fixture
def api():
    """An API client logged in with a device token: `api(user)`; `api(None)` is anonymous."""

    def _api(user):
        client = APIClient()
        if user is not None:
            token = api_token_create(user=user, device="pytest")
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _api
