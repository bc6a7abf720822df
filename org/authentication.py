"""API authentication (kept apart from org.api: DRF reads it while building its views)."""

from django.utils import timezone, translation
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken


class DeviceTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` with one revocable token per device."""

    model = ApiToken

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        if user.language:  # a token client is answered in its user's language, as the browser is
            translation.activate(user.language)
        return user, token
