from planning.models import Plan, PlanStatus, PlanTarget
from tests.planning.conftest import QUARTER


def make_plan(rep, territory, *, quarter=QUARTER, status=PlanStatus.DRAFT, targets=(), **fields):
    """A plan written directly (test data), with (customer, calls_per_month) targets."""
    plan = Plan.objects.create(
        rep=rep, territory=territory, quarter=quarter, status=status, **fields
    )
    for customer, n in targets:
        PlanTarget.objects.create(plan=plan, customer=customer, calls_per_month=n)
    return plan
