"""Template tags every app shares: `{% load core_tags %}`.

`{% klass_badge klass [text] %}`: the one look of a class (templates/includes/klass_badge.html)."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/klass_badge.html")
def klass_badge(klass, text=""):
    """A class badge: `klass` is "A".."D", "N" or empty (unclassified, "—"); `text` what the badge
    says instead of the letter (a non-prescriber's role group "N2", a target class "N1")."""
    return {"klass": klass, "text": text}
