"""The demo has a plan per rep in every state of the workflow."""

import io

import pytest
from django.core.management import call_command

from org.models import Territory
from planning.models import JointCallProposal, Plan, PlanStatus, PlanVersion
from planning.selectors import current_plan

pytestmark = pytest.mark.django_db


def test_the_demo_has_plans_in_every_state():
    call_command("seed_demo", stdout=io.StringIO())

    reps = [t.rep for t in Territory.objects.exclude(rep=None).select_related("rep")]
    assert all(current_plan(rep) is not None for rep in reps)
    statuses = set(Plan.objects.values_list("status", flat=True))
    assert statuses == {PlanStatus.APPROVED, PlanStatus.SUBMITTED, PlanStatus.RETURNED}
    assert all(p.targets.exists() for p in Plan.objects.all())
    assert PlanVersion.objects.filter(number=1).count() >= len(reps)
    assert JointCallProposal.objects.exists()
