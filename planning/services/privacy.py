"""A customer's erasure (customers.services.customer_erase) in the plans: the plans naming the
person (as a focus customer of the quarter or of a month) stay — the targets and their counts
are the plan's record — and every mention of the person's name in their text (goals, reviews,
objectives, activities, meetings, comments, the approved versions' content) is replaced by the
erased name."""

from django.db.models import Q

from core import changelog
from customers.privacy import scrub_json, scrub_text

from ..models import Plan, PlanEvent, PlanMonth, PlanTarget, PlanVersion

PLAN_TEXT = ("review", "goals", "key_result_areas", "comment")


def scrub_plans(customer, pairs) -> None:
    plans = Plan.objects.filter(Q(targets__customer=customer) | Q(months__focus=customer)).values(
        "pk"
    )
    plans = Plan.objects.filter(pk__in=plans).values("pk")
    changelog.record(
        Plan, scrub_text(Plan.objects.filter(pk__in=plans), PLAN_TEXT, pairs, synced=True)
    )
    scrub_text(PlanTarget.objects.filter(plan__in=plans), ("objective", "activities"), pairs)
    scrub_text(PlanMonth.objects.filter(plan__in=plans), ("meetings",), pairs)
    scrub_text(PlanEvent.objects.filter(plan__in=plans), ("comment",), pairs)
    # The approved versions keep the plan's content as JSON (a few per plan).
    for version in PlanVersion.objects.filter(plan__in=plans):
        snapshot = scrub_json(version.snapshot, pairs)
        if snapshot != version.snapshot:
            PlanVersion.objects.filter(pk=version.pk).update(snapshot=snapshot)
