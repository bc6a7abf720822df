from django import template

from core.text import localized

register = template.Library()


@register.filter
def person(user):
    """A user's name in the active language (falling back to the other, then the username)."""
    if user is None:
        return ""
    return localized(user.name, user.name_en) or user.get_full_name() or user.username


@register.filter
def named(obj):
    """A thing's name in the active language: its `display_name` (core.models.BilingualName), or
    its `name` / `name_en` by the same rule."""
    if obj is None:
        return ""
    if hasattr(obj, "display_name"):
        return obj.display_name
    return localized(getattr(obj, "name", ""), getattr(obj, "name_en", "")) or str(obj)
