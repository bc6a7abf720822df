"""Forms of the organisation's pages; the rules are the services' (org.services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .models import InstitutionRule


class TeamTargetsForm(forms.Form):
    """One team's targets; its inputs belong to the row's form (`form=` attribute), so every
    team of the table is saved on its own."""

    call_rate_target = forms.DecimalField(
        label=_("call rate target"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Completed calls per field day."),
    )
    pims_per_week = forms.IntegerField(label=_("PIMs per week"))
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, prefix=str(team.pk), **kwargs)
        form_id = f"team-{team.pk}"
        low, high = services.CALL_RATE_TARGET
        self.fields["call_rate_target"].widget.attrs.update(
            {"form": form_id, "min": low, "max": high, "step": "0.01", "inputmode": "decimal"}
        )
        low, high = services.PIMS_PER_WEEK
        self.fields["pims_per_week"].widget.attrs.update(
            {"form": form_id, "min": low, "max": high, "inputmode": "numeric"}
        )
        self.fields["version"].widget.attrs.update({"form": form_id})


class ComplianceSettingsForm(forms.Form):
    """China's rules for reps and consent (org.models.ComplianceSettings)."""

    require_registration = forms.BooleanField(
        label=_("require rep registration"),
        required=False,
        help_text=_(
            "An unregistered rep, or one whose registration has expired, cannot record a "
            "completed call (planned calls are still allowed)."
        ),
    )
    show_measures_to_reps = forms.BooleanField(
        label=_("show measures to reps"),
        required=False,
        help_text=_(
            "Off: reps see a customer's class and strategy, not the potential and support "
            "figures behind it (no 统方)."
        ),
    )
    institution_rule = forms.ChoiceField(
        label=_("calls on a day the institution does not admit reps"),
        choices=InstitutionRule.choices,
    )
    enforce_consent = forms.BooleanField(
        label=_("enforce customer consent"),
        required=False,
        help_text=_(
            "On: a call is refused unless each attendee agreed to visits and to the call's channel."
        ),
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
