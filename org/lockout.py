"""What a locked-out login is told (django-axes calls `locked_out_response`, settings.py)."""

from axes.helpers import get_client_username, get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

STATUS = 429  # Too Many Requests, on every login path


def cool_off_minutes() -> int:
    return max(1, round(get_cool_off().total_seconds() / 60))


def message() -> str:
    return _(
        "Too many failed log-ins with this username from your address. "
        "Try again in %(minutes)s minutes."
    ) % {"minutes": cool_off_minutes()}


def locked_out_response(request, original_response=None, credentials=None):
    """The API answers its error shape; a login page shows itself again with the message."""
    retry_after = str(cool_off_minutes() * 60)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message(), "errors": {}}, status=STATUS)
    else:
        username = get_client_username(request, credentials) or ""
        form = AuthenticationForm(request, initial={"username": username})
        form.cleaned_data = {}  # an unbound form takes an error once it has (empty) data
        form.add_error(None, message())
        response = render(
            request,
            "registration/login.html",
            {"form": form, "next": request.POST.get("next", "")},
            status=STATUS,
        )
    response["Retry-After"] = retry_after
    return response
