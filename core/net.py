"""Where a request comes from and where it may be sent back to."""

from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or with `NUM_PROXIES` trusted proxies the address the outermost of them saw
    (DRF's rule, so a rotated X-Forwarded-For escapes neither the throttle nor the lock-out)."""
    return BaseThrottle().get_ident(request) or None


def safe_next(request, default: str) -> str:
    """The `next` the form posted when it is a page of this site, else `default` (a URL or a URL
    name for redirect()): no open redirect to another host or scheme."""
    return _this_site(request, request.POST.get("next") or request.GET.get("next") or "", default)


def safe_referer(request, default: str) -> str:
    """The page the request came from (`Referer`) when it is a page of this site, else `default`."""
    return _this_site(request, request.headers.get("referer", ""), default)


def _this_site(request, url: str, default: str) -> str:
    if url_has_allowed_host_and_scheme(
        url, {request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default
