"""Class overrides: a manager's class for a customer and product, with a reason, until
cleared."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import changelog
from org.models import Product, User

from ..classification import classify
from ..models import PRESCRIBER_CLASSES, ClassOverride, Customer
from .segmentation import can_override_classes


@transaction.atomic
def override_create(
    *, by: User, customer: Customer, product: Product, klass, reason, valid_from=None
) -> ClassOverride:
    """A manager's class for a customer and product from `valid_from` (default today) until
    cleared. It ends an override in force then; it cannot start before a later one."""
    if not can_override_classes(by):
        raise PermissionDenied
    if not Customer.objects.for_user(by).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": _("Choose a customer of your district.")})
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the override.")
    if not customer.is_prescriber:
        errors["customer"] = _("Non-prescribers are always class N; they cannot be overridden.")
    elif klass == "N":
        errors["klass"] = _("A prescriber cannot be class N.")
    elif klass not in PRESCRIBER_CLASSES:
        errors["klass"] = _("Choose a class from A to D.")
    if errors:
        raise ValidationError(errors)
    valid_from = valid_from or timezone.localdate()
    overrides = ClassOverride.objects.select_for_update().filter(customer=customer, product=product)
    if overrides.filter(valid_from__gte=valid_from).exists():
        raise ValidationError(
            {"valid_from": _("An override starts on or after this day; clear it first.")}
        )
    ending = overrides.filter(Q(cleared_on__isnull=True) | Q(cleared_on__gt=valid_from))
    changelog.record_queryset(ending)  # QuerySet.update sends no signal
    ending.update(cleared_on=valid_from, cleared_by=by, version=F("version") + 1)
    override = ClassOverride(
        customer=customer,
        product=product,
        klass=klass,
        reason=reason.strip(),
        valid_from=valid_from,
        author=by,
    )
    override.full_clean()
    override.save()
    classify(product=product, customer=customer.pk)
    return override


@transaction.atomic
def override_clear(*, by: User, override: ClassOverride, on=None) -> ClassOverride:
    """End an override: from `on` (default today) the computed class applies again."""
    if not can_override_classes(by):
        raise PermissionDenied
    override = ClassOverride.objects.for_user(by).select_for_update().get(pk=override.pk)
    on = on or timezone.localdate()
    if override.cleared_on is not None and override.cleared_on <= on:
        raise ValidationError({"cleared_on": _("This override is already cleared.")})
    override.cleared_on = max(on, override.valid_from)
    override.cleared_by = by
    override.save()
    classify(product=override.product, customer=override.customer_id)
    return override
