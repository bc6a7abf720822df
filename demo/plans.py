"""Demo plans (called by `seed_demo` after the calls): for every rep last quarter's plan,
approved, and this quarter's plan in a state that shows the workflow — approved, submitted,
returned with the DM's comment, or approved and under revision (with a diff) — plus one
joint-call proposal per district. Written through plans.services, so the audit rows exist."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.periods import month_of, quarter_of
from customers.models import Alignment, Customer
from customers.selectors import with_territory_klass
from org.models import Territory, in_force_on
from planning import services
from planning.models import Plan, PlanStatus

GOALS = [
    "巩固A类客户处方，本季度目标市场份额提升2个百分点；Grow share at A customers by 2 points.",
    "把B类客户转化为使用者：每月科室会一次；Convert B customers through monthly PIMs.",
    "扩大覆盖：C类客户季度覆盖率达到80%；Reach 80 % quarterly coverage of C customers.",
]
KRA = "1. 学术推广（科室会、病例讨论）\n2. 关键客户关系（KOL讲者邀请）\n3. 覆盖率与拜访频率"
OBJECTIVES = [
    "传递PFS数据，争取试用3例",
    "邀请担任科室会讲者",
    "跟进不良反应处理经验",
    "了解竞品使用情况，处理顾虑",
]
ACTIVITIES = ["科室会讲者邀请", "病例讨论会", "区域学术会议邀请", ""]
RETURN_COMMENTS = [
    "请增加B类客户的拜访计划，并写明每位客户的目标。",
    "Add the Renji PIM and name who should attend.",
]


def _targets(territory, day, rng, n=8):
    aligned = Alignment.objects.filter(
        in_force_on(day), territory=territory, customer=OuterRef("pk")
    )
    chosen = list(
        with_territory_klass(Customer.objects.filter(Exists(aligned)), territory, day)
        .exclude(klass__isnull=True)
        .order_by("klass", "name", "name_en")[:n]
    )
    return [
        {
            "customer": c,
            "objective": rng.choice(OBJECTIVES),
            "activities": rng.choice(ACTIVITIES),
        }
        for c in chosen
    ]


def seed_plans(rng, today=None):
    today = today or timezone.localdate()
    this, last = quarter_of(today), quarter_of(today).previous()
    territories = list(
        Territory.objects.exclude(rep=None)
        .exclude(district__dm=None)
        .select_related("rep", "district__dm", "team")
        .order_by("code")
    )
    for index, territory in enumerate(territories):
        rep, dm = territory.rep, territory.district.dm
        chosen = _targets(territory, last.start, rng) or _targets(territory, today, rng)
        if not chosen:  # no classified customers: nothing to plan for
            continue
        old = services.plan_create(
            by=rep,
            quarter=last.key,
            goals=rng.choice(GOALS),
            key_result_areas=KRA,
            targets=chosen,
        )
        services.plan_submit(by=rep, plan=old)
        services.plan_approve(by=dm, plan=old)

        plan = services.plan_create(
            by=rep,
            quarter=this.key,
            review="上季度A类覆盖达标，B类拜访频率不足；科室会按计划完成。",
            goals=rng.choice(GOALS),
            key_result_areas=KRA,
        )  # pre-filled from last quarter's plan
        if not plan.targets.exists():  # last quarter's customers are no longer aligned
            services.plan_update(by=rep, plan=plan, targets=_targets(territory, today, rng))
        targets = plan.targets.select_related("customer")
        focus = [t.customer for t in targets[:4]]
        services.plan_update(
            by=rep,
            plan=plan,
            months=[
                {
                    "month": month_of(today).key,
                    "focus": focus,
                    "meetings": "科室会：" + "、".join(c.name for c in focus[:3]),
                }
            ],
        )
        state = index % 4
        if state == 3:  # a returned plan, waiting for the rep
            services.plan_submit(by=rep, plan=plan)
            services.plan_return(by=dm, plan=plan, comment=rng.choice(RETURN_COMMENTS))
            continue
        services.plan_submit(by=rep, plan=plan)
        if state == 1:  # submitted, in the DM's inbox
            continue
        services.plan_approve(by=dm, plan=plan)
        if state == 2:  # the monthly update: a revision with changes, submitted again
            services.plan_revise(by=rep, plan=plan)
            rows = [
                {
                    "customer": t.customer,
                    "calls_per_month": t.calls_per_month + (1 if i == 0 else 0),
                    "objective": t.objective,
                    "activities": t.activities,
                }
                for i, t in enumerate(plan.targets.select_related("customer"))
            ][:-1]
            services.plan_update(
                by=rep, plan=plan, targets=rows, goals=plan.goals + " 新增讲者计划。"
            )
            services.plan_submit(by=rep, plan=plan)

    # One joint-call proposal per district, on a colleague's planned visit.
    from calls.models import Call, CallStatus

    proposals = 0
    by_district = {}
    for territory in territories:
        by_district.setdefault(territory.district_id, []).append(territory)
    for group in by_district.values():
        if len(group) < 2:
            continue
        call = (
            Call.objects.filter(territory=group[1], status=CallStatus.PLANNED, date__gte=today)
            .order_by("date", "start_time")
            .first()
        )
        if call is not None:
            services.joint_call_propose(
                by=group[0].rep, call=call, note="一起拜访，带上最新研究数据"
            )
            proposals += 1
    return {
        "plans": Plan.objects.count(),
        "plans awaiting approval": Plan.objects.filter(status=PlanStatus.SUBMITTED).count(),
        "joint call proposals": proposals,
    }
