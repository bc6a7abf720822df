from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Language, Role

# (url name, label, who sees it). Sections whose app has not landed yet are left out.
NAVIGATION = [
    ("home", _("Today"), "all"),
    ("customers:list", _("Customers"), "all"),
    ("calls:list", _("Calls"), "all"),
    ("planning:list", _("Plans"), "all"),
    ("reports:dashboard", _("Reports"), "all"),
    ("customers:segmentation", _("Segmentation"), "admin"),
    ("settings", _("Settings"), "admin"),
    ("notifications:rules", _("Reminders"), "admin"),
    ("admin:index", _("Admin"), "admin"),
]

SETTINGS_PATHS = ("/settings/", "/calls/settings/", "/reports/settings/")


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"languages": Language.choices}
    items = []
    for url_name, label, who in NAVIGATION:
        if who == "admin" and not user.is_admin:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        if url_name == "home" and user.role in (Role.DM, Role.REGIONAL) and not user.is_admin:
            label = _("Desk")  # a manager's home is the desk (inbox and pulse), not Today
        items.append(
            {
                "url": url,
                "label": label,
                "active": request.path == url if url == "/" else request.path.startswith(url),
            }
        )
    # The admin's settings pages of the apps (/calls/settings/…, /reports/settings/…) belong to
    # Settings.
    if request.path.startswith(SETTINGS_PATHS) and any(i["url"] == "/settings/" for i in items):
        for item in items:
            item["active"] = item["url"] == "/settings/"
    # Nested sections (/customers/segmentation/ in /customers/): only the longest match is current.
    longest = max((len(item["url"]) for item in items if item["active"]), default=0)
    for item in items:
        item["active"] = item["active"] and len(item["url"]) == longest
    return {"nav_items": items, "languages": Language.choices}
