"""The date and time inputs of every form of the product.

A browser's `<input type="date">` accepts only ISO values (`2026-11-30`), whatever the page's
language; Django renders a DateInput in the active locale's first input format (`2026/11/30` in
zh-Hans), which the browser rejects and shows as an empty field. These widgets always render the
value the HTML type accepts, so every form opens with its dates filled in, in every language.
Parsing stays the field's: ISO is always among the accepted input formats."""

from django import forms
from django.core.exceptions import ValidationError

ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_TIME)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATETIME)


# Above this many choices a filter's <select> becomes a type-ahead (TypeaheadSelect).
LARGE_CHOICES = 300


class TypeaheadSelect(forms.Select):
    """The `<select>` of a ModelChoiceField while its queryset has at most LARGE_CHOICES rows;
    above, a search box fed by a JSON endpoint (`search_url`, answering `{"results": [{"id",
    "label"}]}` for `?q=`) and a hidden input of the field's name: the URL keeps `?name=<id>`
    as with the select. One query either way (the first LARGE_CHOICES + 1 rows), plus one for
    the chosen row's label on a large scope. static/js/typeahead_select.js does the typing."""

    large_template_name = "includes/typeahead_select.html"

    def __init__(self, search_url, attrs=None):
        super().__init__(attrs)
        self.search_url = search_url

    def get_context(self, name, value, attrs):
        choices = self.choices
        queryset = getattr(choices, "queryset", None)
        if queryset is None:  # plain choices: a select as ever
            return super().get_context(name, value, attrs)
        field = choices.field
        rows = list(queryset[: LARGE_CHOICES + 1])
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        self.choices = [*empty, *(choices.choice(row) for row in rows)]
        self.large = len(rows) > LARGE_CHOICES
        context = super().get_context(name, value, attrs)
        if self.large:
            chosen = self.format_value(value)
            chosen = chosen[0] if chosen else ""
            context["widget"].update(
                value=chosen,
                label=_label(field, queryset, chosen),
                search_url=str(self.search_url),
                placeholder=field.empty_label or "",
            )
        return context

    def _render(self, template_name, context, renderer=None):
        if getattr(self, "large", False):
            template_name = self.large_template_name
        return super()._render(template_name, context, renderer)


def _label(field, queryset, value):
    """The chosen row's label; an unknown or malformed value shown as typed (the form says it
    is not a valid choice)."""
    if not value:
        return ""
    try:
        row = queryset.filter(pk=value).first()
    except (ValueError, TypeError, ValidationError):
        row = None
    return field.label_from_instance(row) if row is not None else value
