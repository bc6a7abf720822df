from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import TimeInput

from .models import Rule, RuleSetting


class RuleSettingForm(forms.ModelForm):
    class Meta:
        model = RuleSetting
        fields = ["is_active", "days", "weekday", "time", "send_email"]
        widgets = {"time": TimeInput()}

    # Which parameters a rule uses (the others are hidden).
    USES = {
        Rule.MONTH_END: {"days", "time"},
        Rule.NO_PIM: {"weekday", "time"},
        Rule.PLAN_DUE: {"days", "time"},
        Rule.PLAN_SUBMITTED: set(),
        Rule.PLAN_RETURNED: set(),
        Rule.PLAN_APPROVED: set(),
        Rule.PLANS_WAITING: {"days", "time"},
        Rule.PLANNED_NOT_RECORDED: {"time"},
        Rule.TEAM_DIGEST: {"weekday", "time"},
        Rule.AMENDMENT_REQUESTED: set(),
        Rule.AMENDMENT_APPROVED: set(),
        Rule.AMENDMENT_REJECTED: set(),
        Rule.COACHING_COMMENT: set(),
        Rule.MASTER_DATA: set(),
    }
    HELP = {
        Rule.MONTH_END: _("Working days before the month end."),
        Rule.PLAN_DUE: _("Days into the quarter."),
        Rule.PLANS_WAITING: _("Days a plan has waited for approval."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        uses = self.USES[self.instance.rule]
        for name in ("days", "weekday", "time"):
            if name not in uses:
                del self.fields[name]
            else:
                self.fields[name].required = True
        if "days" in self.fields:
            self.fields["days"].help_text = self.HELP.get(self.instance.rule, "")
            self.fields["days"].min_value = 0
            self.fields["days"].widget.attrs.update({"min": 0, "max": 90})

    def clean_days(self):
        days = self.cleaned_data["days"]
        if days is not None and days > 90:
            raise forms.ValidationError(_("At most 90 days."))
        return days


class EmailSettingsForm(forms.Form):
    """The rules whose e-mails the user wants (checked) or not."""

    def __init__(self, *args, opted_out=(), rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        for rule in rules:
            self.fields[rule] = forms.BooleanField(
                label=Rule(rule).label, required=False, initial=rule not in opted_out
            )

    def opted_out(self):
        return [rule for rule, wanted in self.cleaned_data.items() if not wanted]
