"""The 30-second call form: sensible defaults, the team's products with their key messages as
checkboxes, materials with quantities. The rules are the service's; the form only collects."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput, TimeInput
from customers.models import AdoptionStage
from org.models import Product, Team

from . import selectors, services
from .models import CallSettings, Channel, MaterialKind

PLAN_FIELDS = (
    "customers",
    "date",
    "start_time",
    "duration_minutes",
    "channel",
    "is_pim",
    "objective",
)


def _textarea(rows=2, **attrs):
    return forms.Textarea(attrs={"rows": rows, **attrs})


class CallForm(forms.Form):
    """`mode`: "log" (a completed call), "plan" (a planned call), "amend" (asks for a reason)."""

    customers = forms.ModelMultipleChoiceField(
        label=_("Attendees"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one customer.")},
    )
    date = forms.DateField(label=_("date"), widget=DateInput())
    start_time = forms.TimeField(
        label=_("start time"),
        required=False,
        widget=TimeInput(),
    )
    duration_minutes = forms.IntegerField(
        label=_("minutes"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "step": 5}),
    )
    channel = forms.ChoiceField(
        label=_("channel"), choices=Channel.choices, widget=forms.RadioSelect
    )
    is_pim = forms.BooleanField(
        label=_("PIM (院内会 / 科室会)"),
        required=False,
        help_text=_("A product information meeting with several attendees."),
    )
    objective = forms.CharField(label=_("objective"), required=False, widget=_textarea())
    commitment_measurable = forms.CharField(
        label=_("measurable commitment"),
        required=False,
        widget=_textarea(placeholder=_("e.g. try it on 3 suitable patients")),
    )
    commitment_next_appointment = forms.CharField(
        label=_("next appointment"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Thursday after the clinic")}),
    )
    next_appointment_date = forms.DateField(
        label=_("next appointment date"),
        required=False,
        widget=DateInput(),
        help_text=_("Logging the call plans the next one with the same customers on this day."),
    )
    next_objective = forms.CharField(
        label=_("next call objective"), required=False, widget=_textarea()
    )
    co_visitor = forms.ModelChoiceField(
        label=_("co-visit by"), queryset=None, required=False, empty_label=_("No co-visit")
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=_textarea(3))
    reason = forms.CharField(
        label=_("Why does the call need a correction?"), widget=_textarea(), required=True
    )

    def __init__(
        self,
        data=None,
        *,
        attendees,
        products,
        materials,
        co_visitors,
        mode="log",
        call=None,
        customer=None,
        call_settings=None,
    ):
        self.products = list(products)
        self.materials = list(materials)
        self.mode = mode
        self.call = call
        self.call_settings = call_settings or CallSettings.load()
        super().__init__(data, initial=self._initial(call, customer))
        self.fields["customers"].queryset = attendees
        self.fields["customers"].label_from_instance = lambda c: c.name
        self.fields["co_visitor"].queryset = co_visitors
        for index, product in enumerate(self.products):
            self.fields[f"p{index}_on"] = forms.BooleanField(
                label=product.display_name, required=False
            )
            self.fields[f"p{index}_km"] = forms.MultipleChoiceField(
                label=_("key messages"),
                required=False,
                choices=[(str(m.pk), m.display_name) for m in product.active_key_messages],
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"p{index}_feedback"] = forms.CharField(
                label=_("customer feedback"), required=False, widget=_textarea()
            )
            self.fields[f"p{index}_stage"] = forms.ChoiceField(
                label=_("adoption stage"),
                required=False,
                choices=[("", _("— not judged —")), *AdoptionStage.choices],
            )
        for index, material in enumerate(self.materials):
            self.fields[f"m{index}"] = forms.IntegerField(
                label=material.display_name,
                required=False,
                widget=forms.NumberInput(
                    attrs={"inputmode": "numeric", "min": 0, "placeholder": "0"}
                ),
            )
        if mode != "amend":
            del self.fields["reason"]
        if mode == "plan":
            for name in list(self.fields):
                if name not in PLAN_FIELDS:
                    del self.fields[name]
        if call is not None:
            # The version the form was read at: saving checks it under the row lock, so a
            # second browser's edit of the same call cannot silently overwrite the first's.
            self.fields["version"] = forms.IntegerField(
                required=False, min_value=1, widget=forms.HiddenInput, initial=call.version
            )
        self._initial_rows(call)
        self.allowance = self._allowance(call, customer)

    def _initial(self, call, customer):
        if call is None:
            now = timezone.localtime()
            return {
                "customers": [customer.pk] if customer else [],
                "date": now.date(),
                "start_time": now.time().replace(second=0, microsecond=0)
                if self.mode != "plan"
                else None,
                "duration_minutes": 15,
                "channel": Channel.FACE_TO_FACE,
            }
        initial = {
            name: getattr(call, name)
            for name in (
                "date",
                "start_time",
                "duration_minutes",
                "channel",
                "is_pim",
                "objective",
                "commitment_measurable",
                "commitment_next_appointment",
                "next_appointment_date",
                "next_objective",
                "notes",
            )
        }
        initial["customers"] = [a.customer_id for a in call.attendances.all()]
        initial["co_visitor"] = call.co_visitor_id
        if self.mode == "log" and call.status == "planned":
            now = timezone.localtime()
            initial["date"] = services.log_date(call.date, self.call_settings)
            initial["start_time"] = call.start_time or now.time().replace(second=0, microsecond=0)
            initial["duration_minutes"] = call.duration_minutes or 15
        return initial

    def _initial_rows(self, call):
        if call is None:
            return
        rows = {row.product_id: row for row in call.call_products.all()}
        if not rows and self.mode == "log" and call.status == "planned" and self.products:
            # A plan without products: those the attendees are classed A–D for, or the
            # team's only product.
            attendees = [a.customer for a in call.attendances.all()]
            ticked = selectors.classed_products(attendees, self.products)
            if not ticked and len(self.products) == 1:
                ticked = {self.products[0].pk}
            for index, product in enumerate(self.products):
                if product.pk in ticked:
                    self.initial[f"p{index}_on"] = True
        for index, product in enumerate(self.products):
            row = rows.get(product.pk)
            if row is not None and f"p{index}_on" in self.fields:
                self.initial[f"p{index}_on"] = True
                self.initial[f"p{index}_km"] = [str(m.pk) for m in row.key_messages.all()]
                self.initial[f"p{index}_feedback"] = row.feedback
                self.initial[f"p{index}_stage"] = row.adoption_stage
        quantities = {row.material_id: row.quantity for row in call.call_materials.all()}
        for index, material in enumerate(self.materials):
            if material.pk in quantities and f"m{index}" in self.fields:
                self.initial[f"m{index}"] = quantities[material.pk]

    def _allowance(self, call, customer):
        """Sample units the call's customers may still receive this quarter (the fewest of any
        attendee), or None without a limit or without samples on the form."""
        limit = self.call_settings.sample_limit_per_quarter
        if limit is None or not any(m.is_sample for m in self.materials):
            return None
        if call is not None:
            customers = [a.customer_id for a in call.attendances.all()]
            day = (
                call.date
                if call.status == "completed"
                else services.log_date(call.date, self.call_settings)
            )
        else:
            customers, day = ([customer.pk] if customer else []), timezone.localdate()
        left = selectors.sample_allowance_left(customers, day, limit, exclude_call=call)
        return min(left.values()) if left else limit

    # What the template lays out.
    def selected_attendees(self):
        """[(checkbox, customer), ...] of the attendees ticked (shown first, always open)."""
        return [
            (choice, choice.data["value"].instance)
            for choice in self["customers"]
            if choice.data["selected"]
        ]

    def attendee_groups(self):
        """The other attendee checkboxes by institution → department (the call's institution
        first): [{"institution", "department", "here", "choices": [(checkbox, customer)]}]."""
        groups = []
        for choice in self["customers"]:
            if choice.data["selected"]:
                continue
            customer = choice.data["value"].instance
            key = (customer.institution_id, customer.department_id)
            if not groups or groups[-1]["key"] != key:
                groups.append(
                    {
                        "key": key,
                        "institution": customer.institution,
                        "department": customer.department,
                        "here": customer.here == 0,
                        "choices": [],
                    }
                )
            groups[-1]["choices"].append((choice, customer))
        return groups

    def section_open(self, *names):
        """Whether an optional section opens: amend mode, a value or an error in it."""
        if self.mode == "amend":
            return True
        for name in names:
            if name not in self.fields:
                continue
            bound = self[name]
            if bound.errors or bound.value() not in (None, "", [], 0, "0"):
                return True
        return False

    def open_sections(self):
        """Which optional sections open (collapsed until used)."""
        return {
            "materials": self.section_open(*(f"m{i}" for i in range(len(self.materials)))),
            "commitments": self.section_open(
                "commitment_measurable", "commitment_next_appointment", "next_appointment_date"
            ),
            "next_objective": self.section_open("next_objective"),
            "co_visit": self.section_open("co_visitor"),
            "notes": self.section_open("notes"),
        }

    def product_groups(self):
        return [
            {
                "product": product,
                "on": self[f"p{i}_on"],
                "key_messages": self[f"p{i}_km"],
                "feedback": self[f"p{i}_feedback"],
                "stage": self[f"p{i}_stage"],
            }
            for i, product in enumerate(self.products)
            if f"p{i}_on" in self.fields
        ]

    def material_rows(self):
        return [
            {
                "material": material,
                "field": self[f"m{i}"],
                "left": self.allowance if material.is_sample else None,
            }
            for i, material in enumerate(self.materials)
            if f"m{i}" in self.fields
        ]

    def service_kwargs(self):
        """The keyword arguments of calls.services for the cleaned data."""
        data = self.cleaned_data
        kwargs = {
            name: data[name]
            for name in self.fields
            if name in PLAN_FIELDS or name in _PLAIN_LOG_FIELDS
        }
        kwargs["customers"] = list(data["customers"])
        if self.mode == "plan":
            return kwargs
        if kwargs.get("duration_minutes") is None:
            kwargs["duration_minutes"] = None
        products = []
        for index, product in enumerate(self.products):
            chosen = set(data[f"p{index}_km"])
            messages = [m for m in product.active_key_messages if str(m.pk) in chosen]
            feedback = data[f"p{index}_feedback"].strip()
            stage = data[f"p{index}_stage"]
            if data[f"p{index}_on"] or messages or feedback or stage:
                products.append(
                    {
                        "product": product,
                        "key_messages": messages,
                        "feedback": feedback,
                        "adoption_stage": stage,
                    }
                )
        kwargs["products"] = products
        kwargs["materials"] = [
            {"material": material, "quantity": data[f"m{index}"]}
            for index, material in enumerate(self.materials)
            if data.get(f"m{index}") not in (None, 0)
        ]
        return kwargs


_PLAIN_LOG_FIELDS = (
    "commitment_measurable",
    "commitment_next_appointment",
    "next_appointment_date",
    "next_objective",
    "co_visitor",
    "notes",
)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Log a call with"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Customer name, hospital or department"),
                "autocomplete": "off",
            }
        ),
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Coaching comment"), widget=_textarea(3))


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=_textarea())


# The admin's catalogues and call settings (calls.views_settings). The rules are the services'
# (calls.services.catalogue): a name in one language at least, a free code, the ranges.


class KeyMessageForm(forms.Form):
    text = forms.CharField(label=_("Chinese text"), required=False, max_length=200)
    text_en = forms.CharField(label=_("English text"), required=False, max_length=200)
    order = forms.IntegerField(
        label=_("order"),
        min_value=0,
        max_value=999,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class MaterialForm(forms.Form):
    name = forms.CharField(label=_("Chinese name"), required=False, max_length=200)
    name_en = forms.CharField(label=_("English name"), required=False, max_length=200)
    code = forms.CharField(label=_("code"), max_length=32)
    kind = forms.ChoiceField(
        label=_("kind"), choices=MaterialKind.choices, widget=forms.RadioSelect
    )
    product = forms.ModelChoiceField(
        label=_("product"),
        queryset=Product.objects.order_by("code"),
        required=False,
        empty_label=_("— none: for every product —"),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"),
        queryset=Team.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only reps of these teams may hand it over; none ticked: every team."),
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].label_from_instance = lambda p: f"{p.display_name} ({p.code})"
        self.fields["teams"].label_from_instance = lambda t: t.display_name


def _days(label, bounds, help_text, required=True):
    low, high = bounds
    return forms.IntegerField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": low, "max": high}),
    )


class CallSettingsForm(forms.Form):
    grace_days = _days(
        _("grace period (days)"),
        services.GRACE_DAYS,
        _("A completed call can be edited for this many days after it was logged."),
    )
    backdating_days = _days(
        _("backdating limit (days)"),
        services.BACKDATING_DAYS,
        _("A completed call may be dated at most this many days in the past."),
    )
    sample_limit_per_quarter = _days(
        _("samples per customer and quarter"),
        services.SAMPLE_LIMIT,
        _("Most sample units a customer may receive in a calendar quarter; empty: no limit."),
        required=False,
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class DeleteForm(forms.Form):
    """The confirmation of a planned call's deletion: the version the page was read at (a call
    changed since is not deleted)."""

    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
