from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.ids import int_or_404
from core.net import safe_next

from . import services
from .models import ApiToken, Language


@require_POST
def language_set(request):
    """Switch the language; a logged-in user's choice is remembered on their profile."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request, "/"))
    if language not in Language.values:
        return response
    if request.user.is_authenticated:
        try:
            services.user_set_language(user=request.user, language=language)
        except ValidationError:
            return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@login_required
def devices(request):
    """One's devices signed in to the API (tokens); revoke a lost one."""
    tokens = ApiToken.objects.filter(user=request.user)
    if request.method == "POST":
        token = get_object_or_404(tokens, pk=int_or_404(request.POST.get("token")))
        services.api_token_revoke(token=token)
        messages.success(
            request,
            _("The device “%(device)s” is signed out.")
            % {"device": token.device or _("unnamed device")},
        )
        return HttpResponseRedirect(reverse("devices"))
    return render(request, "org/devices.html", {"tokens": tokens})
