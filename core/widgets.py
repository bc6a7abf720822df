"""The date and time inputs of every form of the product.

A browser's `<input type="date">` accepts only ISO values (`2026-11-30`), whatever the page's
language; Django renders a DateInput in the active locale's first input format (`2026/11/30` in
zh-Hans), which the browser rejects and shows as an empty field. These widgets always render the
value the HTML type accepts, so every form opens with its dates filled in, in every language.
Parsing stays the field's: ISO is always among the accepted input formats."""

from django import forms

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
