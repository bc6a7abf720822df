"""Segmentation: measures and thresholds (admins), each write reclassifying what it touches;
reclassification jobs."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from core.models import JobStatus
from org.models import Product, Role, User

from ..classification import batch_bounds, classify
from ..models import Customer, Measure, Reclassification, Threshold
from ..selectors import threshold_moved_count
from ..tasks import reclassify

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
    """New thresholds of a product from `valid_from` (default today). Always a new version: an
    earlier threshold of the same day is superseded (the latest of a day is in force), never
    rewritten, so its job's page keeps showing what it applied. Reclassifying every customer of
    the product runs as a new job after commit: `threshold.job` is it."""
    if not can_edit_segmentation(by):
        raise PermissionDenied
    _check_amounts(potential_min=potential_min, support_min=support_min)
    valid_from = valid_from or timezone.localdate()
    threshold = Threshold(
        product=product,
        valid_from=valid_from,
        potential_min=potential_min,
        support_min=support_min,
        reason=reason,
        author=by,
    )
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
    moved = None
    if job.threshold_id:
        threshold = Threshold.objects.filter(pk=job.threshold_id).first()
        moved = threshold_moved_count(threshold) if threshold else None
    Reclassification.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, finished_at=timezone.now(), moved=moved
    )
    job.refresh_from_db()
    return job


def reclassify_all() -> int:
    """The nightly job: bring every product's class history in line with its inputs."""
    return sum(classify(product=product) for product in Product.objects.all())
