from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from org.models import Product, Territory

from .models import (
    PRESCRIBER_CLASSES,
    ConsentSource,
    Customer,
    Department,
    Institution,
    Klass,
)
from .services import CUSTOMER_FIELDS

CHOOSE = _("— choose —")


class DepartmentSelect(forms.Select):
    """Each department option names its institution (`data-institution`), so that a few lines
    of static/js/customer_form.js offer only the departments of the chosen institution."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-institution"] = str(instance.institution_id)
        return option


class CustomerForm(forms.ModelForm):
    """The customer profile; institution, department and territory choices are scoped, the
    department must belong to the institution (Customer.clean), empty choices read "— choose —".
    """

    territory = forms.ModelChoiceField(
        label=_("territory"),
        queryset=Territory.objects.none(),
        required=True,
        help_text=_("The new customer is aligned to this territory from today."),
    )

    class Meta:
        model = Customer
        # The external id is the master data's key: admins set it (admin site, API, imports).
        fields = tuple(name for name in CUSTOMER_FIELDS if name != "external_id")
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
        } | {"department": DepartmentSelect}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.for_user(user)
        self.fields["department"].queryset = Department.objects.for_user(user).select_related(
            "institution"
        )
        self.fields["department"].label_from_instance = lambda d: (
            f"{d.institution} · {d.display_name}"
        )
        if not self.instance._state.adding:
            del self.fields["territory"]
        else:
            territories = Territory.objects.for_user(user)
            self.fields["territory"].queryset = territories
            if user.is_admin:  # master data: aligned only when a territory is chosen
                self.fields["territory"].required = False
                self.fields["territory"].help_text = _(
                    "The new customer is aligned to this territory from today. Leave it empty "
                    "to create the customer without an alignment (add alignments later)."
                )
            elif len(territories) == 1:
                self.fields["territory"].initial = territories[0]
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = CHOOSE
            elif isinstance(field, forms.TypedChoiceField | forms.ChoiceField):
                field.choices = [
                    (value, CHOOSE if value == "" else label) for value, label in field.choices
                ]


CONSENT_ANSWERS = (
    "consent_visits",
    "consent_face_to_face",
    "consent_phone",
    "consent_video",
    "consent_meeting",
)
# A consent answer: yes, no, or not asked (None).
CONSENT_CHOICES = [("", _("not asked")), ("true", _("yes")), ("false", _("no"))]


def _consent_field(label):
    return forms.TypedChoiceField(
        label=label,
        choices=CONSENT_CHOICES,
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
    )


class ConsentForm(forms.Form):
    """What a customer agreed to (customers.services.customer_consent_save), on their page."""

    consent_visits = _consent_field(_("agrees to rep visits"))
    consent_face_to_face = _consent_field(_("agrees to face-to-face calls"))
    consent_phone = _consent_field(_("agrees to phone calls"))
    consent_video = _consent_field(_("agrees to video calls"))
    consent_meeting = _consent_field(_("agrees to meetings"))
    consent_date = forms.DateField(label=_("consent given on"), required=False, widget=DateInput())
    consent_source = forms.ChoiceField(
        label=_("consent source"),
        choices=[("", CHOOSE), *ConsentSource.choices],
        required=False,
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    @classmethod
    def for_customer(cls, customer, data=None):
        initial = {
            name: "" if value is None else ("true" if value else "false")
            for name in CONSENT_ANSWERS
            for value in [getattr(customer, name)]
        }
        initial.update(
            consent_date=customer.consent_date,
            consent_source=customer.consent_source,
            version=customer.version,
        )
        return cls(data, initial=initial, prefix="consent")


class OverrideForm(forms.Form):
    """A manager's class for one product of a customer; services.override_create judges it.

    The class field accepts N too (only A–D are offered) so that the service names the rule
    ("A prescriber cannot be class N") rather than a generic "not a valid choice"."""

    product = forms.ModelChoiceField(label=_("product"), queryset=Product.objects.none())
    klass = forms.ChoiceField(label=_("class"), choices=Klass.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for the override.")},
    )
    valid_from = forms.DateField(
        label=_("valid from"),
        required=False,
        initial=timezone.localdate,
        widget=DateInput(),
        help_text=_("The override applies from this day until it is cleared."),
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(pk__in=[p.pk for p in products])
        if len(products) == 1:
            self.fields["product"].initial = products[0].pk
        self.fields["klass"].widget.choices = [(k, Klass(k).label) for k in PRESCRIBER_CLASSES]


# Segmentation: the thresholds proposed (preview) and applied (with a reason).
AMOUNT_ERRORS = {
    "required": _("This field is required."),
    "invalid": _("Enter a number."),
    "min_value": _("Cannot be negative."),
}


class ThresholdForm(forms.Form):
    """Proposed thresholds and the day they take effect (what the preview and the plot use)."""

    potential_min = forms.DecimalField(
        label=_("Potential threshold"),
        help_text=_("High potential: potential ≥ this value."),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages=AMOUNT_ERRORS,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    support_min = forms.DecimalField(
        label=_("Support threshold"),
        help_text=_("High support: support ≥ this value."),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages=AMOUNT_ERRORS,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    valid_from = forms.DateField(
        label=_("Effective date"),
        help_text=_("The plot and the preview use the measures in force that day."),
        error_messages={"invalid": _("Enter a valid date.")},
        widget=DateInput(),
    )


class ApplyForm(ThresholdForm):
    """Applying needs a reason: it is kept with the new version and on every class change."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Give the reason for this change.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("potential_min", "support_min", "valid_from"):
            self.fields[name].widget = forms.HiddenInput()


class MeasureImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or GB18030) or XLSX with the columns customer, product, potential, "
            "support and, optionally, valid_from (or 客户, 产品, 潜力, 支持度, 生效日期)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    mode = forms.ChoiceField(
        label=_("What to do"),
        choices=[
            ("check", _("Check only: show the errors and the class changes")),
            ("import", _("Import: write the measures if every row is good")),
        ],
        initial="check",
        widget=forms.RadioSelect,
    )


class ErasureForm(forms.Form):
    """The erasure of a person's data (admins): the reason and the person's name typed again,
    so that nobody erases the wrong person by a slip."""

    reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The request and its date; do not name the person."),
        error_messages={"required": _("Give the reason for the erasure (e.g. the request).")},
    )
    confirm_name = forms.CharField(
        label=_("the customer's name, to confirm"),
        max_length=100,
        error_messages={"required": _("Type the customer's name to confirm.")},
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["confirm_name"].widget.attrs["autocomplete"] = "off"

    def clean_confirm_name(self):
        typed = " ".join(self.cleaned_data["confirm_name"].split())
        names = {
            " ".join(n.split()).casefold() for n in (self.customer.name, self.customer.name_en)
        }
        if typed.casefold() not in names - {""}:
            raise forms.ValidationError(_("This is not the customer's name."))
        return typed


class StewardReasonForm(forms.Form):
    """A data steward's reason for rejecting a customer or a change request."""

    reason = forms.CharField(label=_("reason"), max_length=300, strip=True)


class StewardMergeForm(forms.Form):
    """The customer a pending one is merged into."""

    into = forms.UUIDField(label=_("merge into"))


class ImportForm(forms.Form):
    """Upload a file of master data to check (dry run) or import."""

    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or GB18030, as Excel saves it) or XLSX. The header row (row 1) names "
            "the fields, in English or Chinese. A workbook has one sheet per kind, named after it."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    mode = forms.ChoiceField(
        label=_("What to do"),
        choices=[
            ("check", _("Check only: show what each row would do")),
            ("import", _("Import: write everything if every row is good")),
        ],
        initial="check",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
