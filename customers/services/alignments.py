"""Alignments of customers to territories: periods that never overlap, announced on commit
(`alignment_changed`), and the nightly log of the ones that ended."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import changelog, events
from core.concurrency import check_version
from core.constraints import violated
from core.models import ChangeOp

from ..models import ALIGNMENT_NO_OVERLAP, ALIGNMENT_OVERLAP, Alignment, Customer
from ..signals import alignment_changed


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
    announce_alignment(alignment, territory_before)
    return alignment


def announce_alignment(alignment, territory_before=None):
    """Send `alignment_changed` once the write is committed."""
    territories = (alignment.territory_id, territory_before)
    events.send_on_commit(
        alignment_changed,
        sender=Alignment,
        alignment_id=alignment.pk,
        customer_id=alignment.customer_id,
        territory_ids=tuple(dict.fromkeys(t for t in territories if t is not None)),
    )


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
