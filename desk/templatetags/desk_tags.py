from django import template

from core.text import localized

register = template.Library()


@register.filter
def named(obj):
    """A thing's or a person's name in the active language: its `display_name`
    (core.models.BilingualName, User), or its `name` / `name_en` by the same rule."""
    if obj is None:
        return ""
    if hasattr(obj, "display_name"):
        return obj.display_name
    return localized(getattr(obj, "name", ""), getattr(obj, "name_en", "")) or str(obj)
