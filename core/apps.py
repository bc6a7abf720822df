import sys

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        """Every date field of every form (ModelForms, filters and the admin included) and of
        every API serializer takes only dates in the product's range (core.dates): one place,
        rather than a validator on each of the many date fields."""
        from django import forms
        from rest_framework import fields

        from core.dates import validate_date_in_range

        for field in (forms.DateField, forms.DateTimeField, fields.DateField, fields.DateTimeField):
            if validate_date_in_range not in field.default_validators:
                field.default_validators = [*field.default_validators, validate_date_in_range]

        # Every save and delete of a synced model of any app is logged for the sync (every
        # model is loaded before any app's ready()); the apps declare places and dependents.
        from core import changelog

        changelog.connect(apps.get_models())

        # What a management command writes is a job's in the history, a shell's a shell's.
        from core import history

        history.set_process_source(history.source_of_command(sys.argv))
