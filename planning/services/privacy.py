"""A customer's erasure (customers.services.customer_erase) in the plans: the plans naming the
person (as a focus customer of the quarter or of a month) stay — the targets and their counts
are the plan's record — and every mention of the person's name in their text (goals, reviews,
objectives, activities, meetings, comments, the approved versions' content) is replaced by the
erased name."""

from django.db.models import F, Q
from django.utils import timezone

from core import changelog
from customers.privacy import scrub_json, scrub_text

from ..models import Plan, PlanEvent, PlanMonth, PlanTarget, PlanVersion

PLAN_TEXT = ("review", "goals", "key_result_areas", "comment")


def scrub_plans(customer, pairs) -> None:
    plans = Plan.objects.filter(Q(targets__customer=customer) | Q(months__focus=customer)).values(
        "pk"
    )
    plans = Plan.objects.filter(pk__in=plans).values("pk")
    changed = set(scrub_text(Plan.objects.filter(pk__in=plans), PLAN_TEXT, pairs))
    for model, fields in (
        (PlanTarget, ("objective", "activities")),
        (PlanMonth, ("meetings",)),
        (PlanEvent, ("comment",)),
    ):
        rows = scrub_text(model.objects.filter(plan__in=plans), fields, pairs)
        changed.update(model.objects.filter(pk__in=rows).values_list("plan_id", flat=True))
    # The approved versions keep the plan's content as JSON (a few per plan).
    for version in PlanVersion.objects.filter(plan__in=plans):
        snapshot = scrub_json(version.snapshot, pairs)
        if snapshot != version.snapshot:
            PlanVersion.objects.filter(pk=version.pk).update(snapshot=snapshot)
            changed.add(version.plan_id)
    # A plan whose text changed is a new version: clients read it again.
    Plan.objects.filter(pk__in=changed).update(version=F("version") + 1, updated_at=timezone.now())
    changelog.record(Plan, changed)
