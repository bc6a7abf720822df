"""Forms of the plan pages; the focus customers come from the POST lists the plan form renders
(one row per focus customer), turned into service arguments here."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.periods import month_of


class PlanTextForm(forms.Form):
    # The version the form was read at: saving checks it under the row lock, so a second
    # browser's edit of the same plan cannot silently overwrite the first's.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    review = forms.CharField(
        label=_("Review of last quarter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Targets, coverage and adherence: what worked, what did not."),
    )
    goals = forms.CharField(
        label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    key_result_areas = forms.CharField(
        label=_("Key result areas"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    meetings = forms.CharField(
        label=_("Meetings this month and who should attend"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment to the rep"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class PlanningSettingsForm(forms.Form):
    capacity_floor = forms.IntegerField(
        label=_("Capacity floor (%)"),
        help_text=_(
            "Approving a plan warns when its planned calls are below this share of its capacity "
            "(field days of the quarter × the team's call-rate target). From 0 to 100."
        ),
        error_messages={"invalid": _("The capacity floor is a percentage from 0 to 100.")},
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def targets_from_post(post, plan, customers_by_id):
    """[{customer, calls_per_month, objective, activities}] from the plan form: the current
    focus customers not ticked for removal, then the ones ticked to add (with the default)."""
    out = []
    for target in plan.targets.all():
        key = str(target.customer_id)
        if post.get(f"remove-{key}"):
            continue
        raw = post.get(f"n-{key}", "")
        number = _int_or_none(raw)
        out.append(
            {
                "customer": target.customer,
                "calls_per_month": number if raw.strip() else None,
                "objective": post.get(f"obj-{key}", ""),
                "activities": post.get(f"act-{key}", ""),
            }
        )
        if raw.strip() and number is None:
            out[-1]["calls_per_month"] = -1  # the service refuses it with a clear message
    for key in post.getlist("add"):
        customer = customers_by_id.get(key)
        if customer is not None and all(t["customer"].pk != customer.pk for t in out):
            out.append({"customer": customer})
    return out


def month_from_post(post, customers_by_id, today):
    focus = [customers_by_id[k] for k in post.getlist("focus") if k in customers_by_id]
    return {"month": month_of(today).key, "focus": focus, "meetings": post.get("meetings", "")}
