"""A healthcare professional's erasure on request (PIPL / GDPR): the person's data anonymised,
the rows past compliance rests on kept, the erasure logged, clients told (a sync delete).

One transaction, on the customer's row locked first: an edit of the same customer running at
the same time either commits before (and is anonymised with the rest) or waits and then finds
the customer gone (`customer_update` answers that it was erased) — never a half-erased row.
"""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import changelog
from core.concurrency import Conflict
from core.models import ChangeOp
from org.models import User

from .. import privacy
from ..models import (
    PROFILE_FIELDS,
    Alignment,
    ClassHistory,
    ClassOverride,
    Customer,
    Erasure,
    Measure,
)
from .alignments import announce_alignment

ALREADY_ERASED = gettext_lazy("This customer's personal data has been erased.")
REASON_MAX = 300

# What an erasure empties: every personal field of the profile but the name (which becomes the
# erased name). Kept: kind, role group, KOL flag, institution and department — what the class,
# the targets and the counts of the past rest on, none of it naming the person.
# Emptied by an erasure: every profile fact (None where the field may be null).
ERASED_FIELDS = {
    name: None if Customer._meta.get_field(name).null else "" for name in PROFILE_FIELDS
}


def can_erase_customers(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_admin


def _clean_reason(reason, customer) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationError(
            {"reason": [_("Give the reason for the erasure (e.g. the request).")]}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(n)s characters.") % {"n": REASON_MAX}]})
    folded = reason.casefold()
    if any(
        len(name.strip()) >= privacy.MIN_NAME and name.strip().casefold() in folded
        for name in (customer.name, customer.name_en)
    ):
        raise ValidationError(
            {
                "reason": [
                    _(
                        "The reason may not name the person: the erasure record keeps no "
                        "personal data."
                    )
                ]
            }
        )
    return reason


@transaction.atomic
def customer_erase(*, by: User, customer: Customer, reason: str) -> Erasure:
    """Erase `customer`'s personal data (admins): `Conflict` when it is erased already."""
    if not can_erase_customers(by):
        raise PermissionDenied
    customer = Customer._base_manager.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise Conflict(ALREADY_ERASED)
    reason = _clean_reason(reason, customer)
    pairs = privacy.replacements(customer)
    today = timezone.localdate()

    # Clients that held the customer (and its measures and overrides) are sent a delete: it
    # leaves every scope (CustomerQuerySet.for_user), logged where it was aligned.
    for place in changelog.places_of(Customer, customer):
        changelog.record(Customer, [customer.pk], ChangeOp.DELETE, place)
        changelog.record_queryset(Measure.objects.filter(customer=customer), ChangeOp.DELETE, place)
        changelog.record_queryset(
            ClassOverride.objects.filter(customer=customer), ChangeOp.DELETE, place
        )

    # Managers' reasons for an override and the notes of the class history may name the person.
    changelog.record(
        ClassOverride,
        privacy.scrub_text(
            ClassOverride.objects.filter(customer=customer), ("reason",), pairs, synced=True
        ),
    )
    privacy.scrub_text(ClassOverride.history.filter(customer_id=customer.pk), ("reason",), pairs)
    privacy.scrub_text(ClassHistory.objects.filter(customer=customer), ("note",), pairs)

    # The higher apps scrub what they hold (calls, plans, notifications), while the names to
    # find are still the person's.
    for scrub in privacy.scrubbers():
        scrub(customer, pairs)

    name, name_en = privacy.erased_names(customer)
    anonymous = {"name": name, "name_en": name_en, **ERASED_FIELDS}
    for field, value in anonymous.items():
        setattr(customer, field, value)
    customer.erased_at = timezone.now()
    customer.save()  # a new version (and history row), its search keys those of the new name
    # Every earlier version in the history (django-simple-history) is anonymised too.
    customer.history.update(
        **anonymous,
        name_pinyin=customer.name_pinyin,
        name_initials=customer.name_initials,
    )
    # The admin site's log names the record as it was.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer.pk)
    ).update(object_repr=name)

    # No longer a target from tomorrow: open alignments end today, future ones go (nothing of
    # the past rests on them). The alignments in force before are kept for the figures.
    for alignment in Alignment.objects.filter(customer=customer).select_for_update():
        if alignment.valid_from > today:
            pk = alignment.pk
            alignment.delete()
            alignment.pk = pk
        elif alignment.valid_to is None or alignment.valid_to > today:
            alignment.valid_to = today
            alignment.save()
        else:
            continue
        announce_alignment(alignment)

    return Erasure.objects.create(customer=customer, erased_by=by, reason=reason)
