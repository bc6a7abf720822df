from django import forms
from django.utils.translation import gettext_lazy as _

from org.models import Territory

from .models import Customer, Department, Institution
from .services import CUSTOMER_FIELDS


class CustomerForm(forms.ModelForm):
    """The customer profile; institution, department and territory choices are scoped."""

    territory = forms.ModelChoiceField(
        label=_("territory"),
        queryset=Territory.objects.none(),
        required=True,
        help_text=_("The new customer is aligned to this territory from today."),
    )

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "products_used",
                "competitor_products",
                "prescribing_habits",
                "product_awareness",
                "research_topics",
                "associations",
            )
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.for_user(user)
        self.fields["department"].queryset = Department.objects.for_user(user).select_related(
            "institution"
        )
        self.fields["department"].label_from_instance = lambda d: f"{d.institution} · {d.name}"
        if not self.instance._state.adding:
            del self.fields["territory"]
        else:
            territories = Territory.objects.for_user(user)
            self.fields["territory"].queryset = territories
            if len(territories) == 1:
                self.fields["territory"].initial = territories[0]
