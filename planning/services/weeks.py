"""The weekly itinerary: planned visits are planned calls, written through calls.services."""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calls import services as call_services
from calls.models import Call, CallStatus
from core.periods import quarter_of
from customers.models import Customer
from org.models import User

from ..models import PlanTarget
from .permissions import can_plan


def itinerary_add(*, by: User, day: dt.date, customers) -> list[Call]:
    """Plan a visit to each customer on `day` (one planned call each, with the objective of the
    rep's plan for that customer where there is one)."""
    if not can_plan(by):
        raise PermissionDenied(_("Only a rep plans visits."))
    customers = list(customers)
    if not customers:
        raise ValidationError({"customers": _("Choose at least one customer.")})
    if day < timezone.localdate():
        raise ValidationError({"date": _("Plan a visit for today or later.")})
    objectives = dict(
        PlanTarget.objects.filter(
            plan__rep=by,
            plan__quarter=quarter_of(day).key,
            customer__in=[c.pk for c in customers],
        ).values_list("customer_id", "objective")
    )
    with transaction.atomic():
        return [
            call_services.call_create(
                by=by,
                customers=[customer],
                status=CallStatus.PLANNED,
                date=day,
                objective=objectives.get(customer.pk, ""),
            )
            for customer in customers
        ]


def itinerary_remove(*, by: User, call: Call) -> Call:
    """Take a planned visit off the itinerary (the call is cancelled, as calls.services does)."""
    return call_services.call_cancel(by=by, call=call)


def customers_by_ids(*, by: User, ids) -> list[Customer]:
    """The customers `ids` among those `by` may see. An id that is malformed, unknown or out of
    the caller's scope is one and the same error, which names nobody."""
    ids = list(dict.fromkeys(str(pk).strip() for pk in ids))
    try:
        wanted = {uuid.UUID(pk) for pk in ids}
    except ValueError:
        wanted = None
    found = list(Customer.objects.for_user(by).filter(pk__in=wanted)) if wanted else []
    if wanted is None or len(found) != len(wanted):
        raise ValidationError(
            {"customers": _("A chosen customer is not one of yours, or no longer exists.")}
        )
    return found
