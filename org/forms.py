"""Forms of the organisation's pages; the rules are the services' (org.services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services


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
