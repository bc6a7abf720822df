"""Write paths for customers and alignments: one transaction each, validated like the forms."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events, outbox
from core.concurrency import check_version
from core.constraints import violated
from core.models import JobStatus
from org import changelog
from org.models import ChangeOp, Product, Role, Territory, User

from .classification import batch_bounds, classify, classify_customer
from .models import (
    ALIGNMENT_NO_OVERLAP,
    ALIGNMENT_OVERLAP,
    PRESCRIBER_CLASSES,
    Alignment,
    ClassOverride,
    Customer,
    Department,
    Institution,
    Measure,
    Reclassification,
    Threshold,
)
from .signals import alignment_changed
from .tasks import reclassify

CUSTOMER_FIELDS = (
    "name",
    "name_en",
    "kind",
    "role_group",
    "is_kol",
    "institution",
    "department",
    "title",
    "specialty",
    "position",
    "outpatient_days",
    "patients_per_day",
    "products_used",
    "competitor_products",
    "prescribing_habits",
    "attitude",
    "product_awareness",
    "adoption_stage",
    "education",
    "research_topics",
    "associations",
    "best_time_to_visit",
    "best_place_to_visit",
)


def can_edit_customers(user: User) -> bool:
    """Reps, DMs and admins keep customer profiles; regional managers read."""
    return user.is_authenticated and (user.is_admin or user.role in (Role.REP, Role.DM))


def _check_references(*, by: User, institution: Institution, department: Department | None):
    if not Institution.objects.for_user(by).filter(pk=institution.pk).exists():
        raise ValidationError({"institution": _("Choose an institution of your territory.")})
    if (
        department is not None
        and not Department.objects.for_user(by).filter(pk=department.pk).exists()
    ):
        raise ValidationError({"department": _("Choose a department of your territory.")})


@transaction.atomic
def customer_create(*, by: User, territory: Territory, **fields) -> Customer:
    """Create a customer and align it to `territory` from today (a rep: own territory only)."""
    if not can_edit_customers(by):
        raise PermissionDenied
    if not Territory.objects.for_user(by).filter(pk=territory.pk).exists():
        raise ValidationError({"territory": _("Choose one of your territories.")})
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    customer = Customer(**fields)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
    customer.save()
    alignment = Alignment.objects.create(
        customer=customer, territory=territory, valid_from=timezone.localdate()
    )
    _announce_alignment(alignment)
    return customer


@transaction.atomic
def customer_update(
    *, by: User, customer: Customer, expected_version: int | None = None, **fields
) -> Customer:
    """Change a customer's profile; the customer must be in `by`'s scope. With
    `expected_version` (the version the caller read), a customer changed since is `Stale`."""
    if not can_edit_customers(by):
        raise PermissionDenied
    customer = Customer.objects.for_user(by).select_for_update().get(pk=customer.pk)
    check_version(customer, expected_version)
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    kind_before = customer.kind
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    if not by.is_admin:
        _check_references(by=by, institution=customer.institution, department=customer.department)
    customer.save()
    if customer.kind != kind_before:  # a non-prescriber is N; a prescriber is classed again
        classify_customer(customer=customer)
    return customer


@transaction.atomic
def alignment_save(
    *,
    alignment: Alignment,
    customer=None,
    territory=None,
    valid_from=None,
    valid_to=None,
    expected_version: int | None = None,
) -> Alignment:
    """Create or change an alignment; periods of the same customer and territory may not overlap.

    `valid_from` defaults to today on create; on change, omitted values keep what they were.
    A change works on the row locked and read again; with `expected_version` (the version the
    caller read), an alignment changed since is `Stale`.
    The customer's row is locked before the check (Alignment.clean), so writers of one
    customer's alignments take turns; on PostgreSQL the schema also refuses an overlap
    (`alignment_no_overlap`) written past the check: the same 400, never a 500.
    """
    creating = alignment._state.adding
    territory_before = None
    if not creating:
        alignment = Alignment.objects.select_for_update().get(pk=alignment.pk)
        check_version(alignment, expected_version)
        territory_before = alignment.territory_id
    alignment.customer = customer or alignment.customer
    alignment.territory = territory or alignment.territory
    alignment.valid_from = valid_from or (
        timezone.localdate() if creating else alignment.valid_from
    )
    if valid_to is not None or creating:
        alignment.valid_to = valid_to
    if alignment.customer_id is not None:
        Customer.objects.select_for_update(no_key=True).filter(pk=alignment.customer_id).first()
    alignment.full_clean()
    try:
        with transaction.atomic():
            alignment.save()
    except IntegrityError as error:
        if not violated(error, ALIGNMENT_NO_OVERLAP):
            raise
        raise ValidationError({"valid_from": [ALIGNMENT_OVERLAP]}) from error
    _announce_alignment(alignment, territory_before)
    return alignment


def _announce_alignment(alignment, territory_before=None):
    """Send `alignment_changed` once the write is committed."""
    territories = (alignment.territory_id, territory_before)
    events.send_on_commit(
        alignment_changed,
        sender=Alignment,
        alignment_id=alignment.pk,
        customer_id=alignment.customer_id,
        territory_ids=tuple(dict.fromkeys(t for t in territories if t is not None)),
    )


# Segmentation: measures, thresholds and overrides. Each write reclassifies what it touches.

RECLASSIFICATION_BATCH = 50_000


def can_edit_segmentation(user: User) -> bool:
    """Measures and thresholds are sales-operations data: admins write them."""
    return user.is_authenticated and user.is_admin


def can_override_classes(user: User) -> bool:
    return user.is_authenticated and (user.is_admin or user.role == Role.DM)


def _check_amounts(**amounts):
    errors = {}
    for name, value in amounts.items():
        if value is None:
            errors[name] = _("This field is required.")
        elif value < 0:
            errors[name] = _("Cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def measure_save(
    *, by: User, customer: Customer, product: Product, potential, support, valid_from=None
) -> Measure:
    """Record a customer's potential and support for a product from `valid_from` (default
    today; measures of the same day replace each other) and reclassify that customer."""
    if not can_edit_segmentation(by):
        raise PermissionDenied
    _check_amounts(potential=potential, support=support)
    if not customer.is_prescriber:
        raise ValidationError(
            {"customer": _("Non-prescribers are always class N; they have no measures.")}
        )
    valid_from = valid_from or timezone.localdate()
    measure = Measure.objects.select_for_update().filter(
        customer=customer, product=product, valid_from=valid_from
    ).first() or Measure(customer=customer, product=product, valid_from=valid_from)
    if not measure._state.adding and (measure.potential, measure.support) == (potential, support):
        return measure  # the same measure again: no new version, nothing to reclassify
    measure.potential, measure.support, measure.author = potential, support, by
    measure.full_clean(validate_unique=False)
    measure.save()
    classify(product=product, customer=customer.pk)
    return measure


@transaction.atomic
def threshold_save(
    *, by: User, product: Product, potential_min, support_min, valid_from=None, reason=""
) -> Threshold:
    """New thresholds of a product from `valid_from` (default today; the same day replaces the
    earlier values). Reclassifying every customer of the product runs as a job after commit:
    `threshold.job` is it."""
    if not can_edit_segmentation(by):
        raise PermissionDenied
    _check_amounts(potential_min=potential_min, support_min=support_min)
    valid_from = valid_from or timezone.localdate()
    threshold = Threshold.objects.select_for_update().filter(
        product=product, valid_from=valid_from
    ).first() or Threshold(product=product, valid_from=valid_from)
    threshold.potential_min, threshold.support_min = potential_min, support_min
    threshold.reason, threshold.author = reason, by
    threshold.full_clean(validate_unique=False)
    threshold.save()
    threshold.job = reclassification_start(by=by, product=product, threshold=threshold)
    return threshold


def reclassification_start(*, by: User | None, product: Product, threshold=None):
    """Queue a job reclassifying every customer of `product`; it starts after commit."""
    job = Reclassification.objects.create(product=product, threshold=threshold, created_by=by)
    outbox.send_on_commit(reclassify, str(job.pk))
    return job


def reclassification_run(*, job_id) -> Reclassification:
    """Run a queued job in batches of customers, one transaction each, recording progress.
    A job that is already running or finished is left alone (a retried task does nothing)."""
    claimed = Reclassification.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    job = Reclassification.objects.select_related("product").get(pk=job_id)
    if not claimed:
        return job
    try:
        bounds = batch_bounds(product=job.product, batch_size=RECLASSIFICATION_BATCH)
        Reclassification.objects.filter(pk=job.pk).update(batches=len(bounds))
        for lo, hi in bounds:
            changed = classify(product=job.product, lo=lo, hi=hi)
            Reclassification.objects.filter(pk=job.pk).update(
                batches_done=F("batches_done") + 1, changed=F("changed") + changed
            )
    except Exception as error:
        Reclassification.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(error), finished_at=timezone.now()
        )
        raise
    Reclassification.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def reclassify_all() -> int:
    """The nightly job: bring every product's class history in line with its inputs."""
    return sum(classify(product=product) for product in Product.objects.all())


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


ENDED_LOOKBACK_DAYS = 3  # a nightly run missed for a day or two still catches up


@transaction.atomic
def alignments_log_ended(*, on=None) -> int:
    """Log as scope changes the alignments that ended in the days before `on` (default today):
    the passing of a `valid_to` takes the customer out of the rep's scope without any write, so
    the nightly job tells the sync (a delete for the rep who lost the customer)."""
    on = on or timezone.localdate()
    ended = list(
        Alignment.objects.filter(
            valid_to__lt=on, valid_to__gte=on - timedelta(days=ENDED_LOOKBACK_DAYS)
        )
    )
    changelog.log_rows(Alignment, ended, ChangeOp.SCOPE)
    return len(ended)
