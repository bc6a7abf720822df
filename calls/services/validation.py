"""The rules of a call's fields, dates and samples, checked before anything is written."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import AdoptionStage, Alignment
from org.models import not_ended_by

from .. import selectors
from ..models import CallSettings, CallStatus, Material, MaterialKind
from .guardrails import check_guardrails
from .permissions import CO_VISITOR_INVALID, co_visitor_allowed


def _customers_of_territory(territory, customers, day):
    """The customers aligned to `territory` on `day` or later (not ended by `day`)."""
    today = timezone.localdate()
    aligned = Alignment.objects.filter(
        not_ended_by(day),
        territory=territory,
        valid_from__lte=max(day, today),
        customer__in=[c.pk for c in customers],
    ).values_list("customer_id", flat=True)
    return set(aligned)


def _check_sample_limit(call, customers, materials, settings_, errors):
    limit = settings_.sample_limit_per_quarter
    samples = sum(m["quantity"] for m in materials if m["material"].kind == MaterialKind.SAMPLE)
    if limit is None or not samples or not call.is_completed:
        return
    left = selectors.sample_allowance_left(customers, call.date, limit, exclude_call=call.pk)
    for customer in customers:
        total = limit - left[customer.pk] + samples
        if samples > left[customer.pk]:
            errors.setdefault("materials", []).append(
                _(
                    "%(customer)s would receive %(total)s samples this quarter; "
                    "the limit is %(limit)s per customer."
                )
                % {
                    "customer": customer,
                    "total": total,
                    "limit": limit,
                }
            )


def validate_call(*, call, customers, products, materials, changed, settings_, amendment=False):
    """Every rule of a call, before anything is written; raises one ValidationError."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    try:
        call.full_clean(exclude=["rep", "institution"] if call.institution_id is None else ["rep"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    territory = call.territory

    # Attendees: one or more customers of the territory.
    if not customers:
        add("customers", _("Choose at least one customer."))
    elif len({c.pk for c in customers}) != len(customers):
        add("customers", _("A customer is listed twice."))
    elif call.date and "customers" in changed:
        aligned = _customers_of_territory(territory, customers, call.date)
        outside = [str(c) for c in customers if c.pk not in aligned]
        if outside:
            add(
                "customers",
                _("%(names)s: not a customer of territory %(territory)s.")
                % {"names": ", ".join(outside), "territory": territory.display_name},
            )

    # Dates of a completed call: not in the future, not beyond the backdating limit.
    today = timezone.localdate()
    if call.date and call.is_completed and changed & {"date", "status"}:
        if call.date > today:
            add("date", _("A completed call cannot be dated in the future."))
        elif not amendment and call.date < today - dt.timedelta(days=settings_.backdating_days):
            add(
                "date",
                _("A completed call cannot be dated more than %(days)s days back.")
                % {"days": settings_.backdating_days},
            )

    # The next appointment: after the call.
    if (
        call.next_appointment_date
        and call.date
        and changed & {"next_appointment_date", "date"}
        and call.next_appointment_date <= call.date
    ):
        add("next_appointment_date", _("The next appointment must be after the call's date."))

    # Products: active, of the territory's team; key messages active and of that product.
    if "products" in changed:
        team_products = set(territory.team.products.values_list("pk", flat=True))
        seen = set()
        for row in products:
            product = row["product"]
            if product.pk in seen:
                add("products", _("%(product)s is listed twice.") % {"product": product})
            seen.add(product.pk)
            if not product.is_active:
                add("products", _("%(product)s is not active.") % {"product": product})
            elif product.pk not in team_products:
                add(
                    "products",
                    _("%(product)s is not a product of your team.") % {"product": product},
                )
            for message in row.get("key_messages", ()):
                if message.product_id != product.pk:
                    add(
                        "products",
                        _("“%(message)s” is not a key message of %(product)s.")
                        % {"message": message, "product": product},
                    )
                elif not message.is_active:
                    add(
                        "products",
                        _("The key message “%(message)s” is not active.") % {"message": message},
                    )
            stage = row.get("adoption_stage") or ""
            if stage and stage not in AdoptionStage.values:
                add("products", _("Unknown adoption stage “%(stage)s”.") % {"stage": stage})

    # Materials and samples: active, counted, within the sample limit.
    if "materials" in changed:
        allowed = set(
            selectors.for_team(
                Material.objects.filter(pk__in=[row["material"].pk for row in materials]),
                territory.team_id,
            ).values_list("pk", flat=True)
        )
        seen = set()
        for row in materials:
            material, quantity = row["material"], row["quantity"]
            if material.pk in seen:
                add("materials", _("%(material)s is listed twice.") % {"material": material})
            seen.add(material.pk)
            if not material.is_active:
                add("materials", _("%(material)s is not active.") % {"material": material})
            elif material.pk not in allowed:
                add(
                    "materials",
                    _("%(material)s is not handed over by your team.") % {"material": material},
                )
            if not isinstance(quantity, int) or quantity < 1:
                add(
                    "materials",
                    _("The quantity of %(material)s must be at least 1.") % {"material": material},
                )
    if (
        changed & {"materials", "customers", "date", "status"}
        and "materials" not in errors
        and customers
        and call.date
    ):
        _check_sample_limit(call, customers, materials, settings_, errors)

    # A cancelled call (a visit that did not happen): no feedback, nothing handed over. Its
    # products, commitments and objective may stay (what was planned); it never counts.
    if call.status == CallStatus.CANCELLED:
        if "products" in changed and any(
            row.get("feedback") or row.get("adoption_stage") for row in products
        ):
            add("products", _("A cancelled call has no feedback: the visit did not happen."))
        if "materials" in changed and materials:
            add("materials", _("A cancelled call hands over no materials or samples."))

    # Co-visit: by a manager of the rep (the district's DM or the region's manager).
    co_visitor_changed = call.co_visitor_id and "co_visitor" in changed
    if co_visitor_changed and not co_visitor_allowed(territory, call.co_visitor_id):
        add("co_visitor", str(CO_VISITOR_INVALID))

    if (
        call.department_id
        and call.institution_id
        and "department" not in errors
        and call.department.institution_id != call.institution_id
    ):
        add("department", _("This department belongs to another institution."))

    # China's rules for reps and consent (admin settings): registration, institution, consent.
    check_guardrails(call=call, customers=customers, changed=changed, add=add, amendment=amendment)

    if errors:
        raise ValidationError(errors)


def log_date(planned, settings_=None):
    """The date a planned call of day `planned` is logged with by default: its own date when it
    is today or inside the backdating limit, else today (a future or a too-old plan)."""
    today = timezone.localdate()
    settings_ = settings_ or CallSettings.load()
    if planned > today or planned < today - dt.timedelta(days=settings_.backdating_days):
        return today
    return planned
