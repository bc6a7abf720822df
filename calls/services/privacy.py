"""A customer's erasure (customers.services.customer_erase) in the calls: the calls the person
attended stay (the figures of the past rest on them: attendances, dates, channels, products);
every mention of the person's name in their text — the call, its products' feedback, coaching
comments, amendments, and the history of each — is replaced by the erased name. Mentions in
other calls are left alone (another person of the same name may be meant)."""

from django.db.models import F
from django.utils import timezone

from core import changelog
from customers.privacy import scrub_json, scrub_text

from ..models import Amendment, Call, CallProduct, CoachingComment

CALL_TEXT = (
    "objective",
    "commitment_measurable",
    "commitment_next_appointment",
    "next_objective",
    "notes",
)


def scrub_calls(customer, pairs) -> None:
    calls = Call.objects.filter(attendances__customer=customer).values("pk")
    changed = set(scrub_text(Call.objects.filter(pk__in=calls), CALL_TEXT, pairs))
    scrub_text(Call.history.filter(id__in=calls), CALL_TEXT, pairs)
    products = scrub_text(CallProduct.objects.filter(call__in=calls), ("feedback",), pairs)
    changed.update(CallProduct.objects.filter(pk__in=products).values_list("call_id", flat=True))
    scrub_text(CallProduct.history.filter(call_id__in=calls), ("feedback",), pairs)
    changelog.record(
        CoachingComment,
        scrub_text(CoachingComment.objects.filter(call__in=calls), ("text",), pairs, synced=True),
    )
    scrub_text(CoachingComment.history.filter(call_id__in=calls), ("text",), pairs)
    # Amendments keep the proposed and former values as JSON (few per call).
    for amendment in Amendment.objects.filter(call__in=calls):
        changes = scrub_json(amendment.changes, pairs)
        original = scrub_json(amendment.original, pairs)
        reason = scrub_json(amendment.reason, pairs)
        if (changes, original, reason) != (amendment.changes, amendment.original, amendment.reason):
            amendment.changes, amendment.original, amendment.reason = changes, original, reason
            amendment.save(update_fields=["changes", "original", "reason", "version", "updated_at"])
    for version in Amendment.history.filter(call_id__in=calls):
        changes = scrub_json(version.changes, pairs)
        original = scrub_json(version.original, pairs)
        reason = scrub_json(version.reason, pairs)
        if (changes, original, reason) != (version.changes, version.original, version.reason):
            Amendment.history.filter(history_id=version.history_id).update(
                changes=changes, original=original, reason=reason
            )
    # A call whose text or products' feedback changed is a new version: clients read it again.
    Call.objects.filter(pk__in=changed).update(version=F("version") + 1, updated_at=timezone.now())
    changelog.record(Call, changed)
