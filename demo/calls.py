"""Demo calls: the catalogues (key messages, materials, samples) and about a quarter of calls for
every held territory — ordinary visits, weekly group PIMs, co-visits and coaching by the DM —
plus planned calls for today and the rest of this week. Deterministic for a given `rng` and
day; written with bulk_create (the demo loads in seconds)."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from calls.models import (
    Call,
    CallAttendee,
    CallMaterial,
    CallProduct,
    CallSettings,
    CallStatus,
    Channel,
    CoachingComment,
    KeyMessage,
    Material,
    MaterialKind,
)
from customers.models import AdoptionStage, Alignment
from org.models import Product, Territory, in_force_on
from org.selectors import working_days

KEY_MESSAGES = {  # (text, English text)
    "ONC": [
        ("无进展生存期显著延长", "Longer progression-free survival"),
        ("每日一次口服", "Once-daily oral dose"),
        ("不良反应可控", "Manageable side effects"),
        ("纳入国家医保目录", "Covered by national reimbursement"),
    ],
    "CV": [
        ("24小时平稳控压", "Smooth 24-hour control"),
        ("降低心血管事件风险", "Fewer cardiovascular events"),
        ("联合用药依从性好", "Simple combination therapy"),
        ("纳入国家医保目录", "Covered by national reimbursement"),
    ],
}
GENERAL_MATERIALS = [  # (code, name, English name)
    ("LIT-GUIDE", "指南解读手册", "Guideline digest"),
    ("LIT-REPRINT", "临床研究文献", "Study reprint"),
    ("PAT-EDU", "患者教育手册", "Patient booklet"),
]
OBJECTIVES = [
    "传递最新临床数据 Share the latest clinical data",
    "了解用药顾虑 Probe concerns about the product",
    "邀请参加科室会 Invite to the department meeting",
    "跟进试用病例 Follow up the trial patients",
    "确认处方习惯 Understand prescribing habits",
]
FEEDBACK = [
    "认可疗效数据 Accepts the efficacy data",
    "关注安全性 Worried about safety",
    "希望看到更多中国人群数据 Wants Chinese population data",
    "价格顾虑 Concerned about cost for patients",
    "愿意尝试 Willing to try",
    "",
]
COMMITMENTS = [
    "下周在3位合适患者中试用 Try on 3 suitable patients next week",
    "在科室会上分享经验 Share experience at the department meeting",
    "",
]
NEXT_APPOINTMENTS = ["周四门诊后 Thursday after the clinic", "下周一上午 Next Monday morning", ""]
COACHING = [
    "开场很好，探询需求可以更深入。Good opening; probe needs deeper.",
    "记得获取可衡量的承诺。Remember to gain a measurable commitment.",
    "关键信息传递清晰，下次带上文献。Clear key messages; bring the reprint next time.",
]
STAGES = [
    AdoptionStage.AWARE,
    AdoptionStage.INTERESTED,
    AdoptionStage.TRIAL,
    AdoptionStage.ADOPTION,
]


def _uuid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def seed_catalogues(rng):
    """Key messages for every product (by team) and the materials and samples catalogue."""
    CallSettings.load()
    messages, materials = [], []
    for product in Product.objects.prefetch_related("teams").order_by("code"):
        team = next(iter(product.teams.all()), None)
        texts = KEY_MESSAGES.get(team.code if team else "", KEY_MESSAGES["ONC"])
        messages += [
            KeyMessage(id=_uuid(rng), product=product, text=text, text_en=text_en, order=i)
            for i, (text, text_en) in enumerate(texts)
        ]
        name, name_en = product.name, product.name_en
        materials += [
            Material(
                id=_uuid(rng),
                code=f"{product.code}-LEAF",
                name=f"{name}产品单页",
                name_en=f"{name_en} leaflet",
                product=product,
            ),
            Material(
                id=_uuid(rng),
                code=f"{product.code}-SMP",
                name=f"{name}样品",
                name_en=f"{name_en} sample pack",
                kind=MaterialKind.SAMPLE,
                product=product,
            ),
        ]
    materials += [
        Material(id=_uuid(rng), code=code, name=name, name_en=name_en)
        for code, name, name_en in GENERAL_MATERIALS
    ]
    KeyMessage.objects.bulk_create(messages)
    Material.objects.bulk_create(materials)
    return messages, materials


def seed_calls(rng, today=None, days_back=91, calls_per_day=(6, 11)):
    """Catalogues and calls for every held territory; returns counts for the command's summary."""
    today = today or timezone.localdate()
    tz = ZoneInfo(settings.TIME_ZONE)
    messages, materials = seed_catalogues(rng)
    messages_of = {}
    for message in messages:
        messages_of.setdefault(message.product_id, []).append(message)
    leaflets = [m for m in materials if m.kind == MaterialKind.MATERIAL]
    samples = [m for m in materials if m.kind == MaterialKind.SAMPLE]

    territories = list(
        Territory.objects.exclude(rep=None)
        .select_related("district__region", "team")
        .prefetch_related("team__products")
        .order_by("code")
    )
    # Deterministic orders (ids are random UUIDs): by names, never by id.
    aligned, institution_names = {}, {}
    for territory_id, customer_id, institution_id, department_id, institution_name in (
        Alignment.objects.filter(in_force_on(today))
        .order_by(
            "territory__code",
            "customer__institution__name",
            "customer__department__name",
            "customer__name",
            "customer__name_en",
            "customer__title",
        )
        .values_list(
            "territory_id",
            "customer_id",
            "customer__institution_id",
            "customer__department_id",
            "customer__institution__name",
        )
    ):
        institution_names[institution_id] = institution_name
        by_institution = aligned.setdefault(territory_id, {})
        by_institution.setdefault(institution_id, []).append((customer_id, department_id))

    calls, attendees, products, product_messages, handed, comments = [], [], [], [], [], []

    def add_call(territory, day, start, customers, institution_id, **fields):
        status = fields.pop("status", CallStatus.COMPLETED)
        moment = dt.datetime.combine(day, start, tzinfo=tz)
        call = Call(
            id=_uuid(rng),
            territory=territory,
            rep_id=territory.rep_id,
            date=day,
            start_time=start,
            duration_minutes=fields.pop("duration_minutes", rng.choice([10, 15, 15, 20, 30])),
            status=status,
            institution_id=institution_id,
            department_id=customers[0][1] if len({c[1] for c in customers}) == 1 else None,
            objective=rng.choice(OBJECTIVES),
            completed_at=moment + dt.timedelta(hours=1) if status == CallStatus.COMPLETED else None,
            **fields,
        )
        calls.append(call)
        attendees.extend(CallAttendee(call=call, customer_id=c) for c, _d in customers)
        if status != CallStatus.COMPLETED:
            return call
        team_products = list(territory.team.products.all())
        for product in rng.sample(team_products, k=min(len(team_products), rng.choice([1, 1, 2]))):
            row = CallProduct(
                call=call,
                product=product,
                feedback=rng.choice(FEEDBACK),
                adoption_stage=rng.choice(STAGES) if rng.random() < 0.7 else "",
            )
            products.append(row)
            options = messages_of.get(product.pk, [])
            for message in rng.sample(options, k=min(len(options), rng.randint(1, 2))):
                product_messages.append((row, message))
        if rng.random() < 0.3:
            handed.append(
                CallMaterial(call=call, material=rng.choice(leaflets), quantity=rng.randint(1, 3))
            )
        if rng.random() < 0.08 and len(customers) == 1:
            handed.append(CallMaterial(call=call, material=rng.choice(samples), quantity=1))
        return call

    days = working_days(today - dt.timedelta(days=days_back), today - dt.timedelta(days=1))
    monday = today - dt.timedelta(days=today.weekday())
    for territory in territories:
        hospitals = aligned.get(territory.pk, {})
        if not hospitals:
            continue
        institution_ids = sorted(hospitals, key=lambda pk: (institution_names[pk], str(pk)))
        dm_id = territory.district.dm_id
        for day in days:
            if rng.random() < 0.08:  # a day of leave, training or meetings
                continue
            visited = rng.sample(institution_ids, k=min(2, len(institution_ids)))
            for n in range(rng.randint(*calls_per_day)):
                institution_id = visited[n % len(visited)]
                customer = rng.choice(hospitals[institution_id])
                start = dt.time(8 + n % 9, rng.choice([0, 15, 30, 45]))
                status = CallStatus.CANCELLED if rng.random() < 0.02 else CallStatus.COMPLETED
                co_visit = dm_id if dm_id and rng.random() < 0.03 else None
                call = add_call(
                    territory,
                    day,
                    start,
                    [customer],
                    institution_id,
                    status=status,
                    channel=Channel.FACE_TO_FACE if rng.random() < 0.9 else Channel.PHONE,
                    co_visitor_id=co_visit,
                    commitment_measurable=rng.choice(COMMITMENTS),
                    commitment_next_appointment=rng.choice(NEXT_APPOINTMENTS),
                    next_objective=rng.choice(OBJECTIVES),
                    # Some recent calls promised a dated next appointment (Today's commitments
                    # due); chosen without the random stream so the rest of the demo stays put.
                    next_appointment_date=day + dt.timedelta(days=7 + len(calls) % 3)
                    if (today - day).days <= 10 and len(calls) % 9 == 0
                    else None,
                )
                if dm_id and status == CallStatus.COMPLETED and (co_visit or rng.random() < 0.01):
                    comments.append(
                        CoachingComment(
                            id=_uuid(rng), call=call, author_id=dm_id, text=rng.choice(COACHING)
                        )
                    )
            if day.weekday() == 2 and rng.random() < 0.85:  # the weekly PIM (院内会 / 科室会)
                institution_id = rng.choice(institution_ids)
                group = hospitals[institution_id]
                people = rng.sample(group, k=min(len(group), rng.randint(4, 8)))
                add_call(
                    territory,
                    day,
                    dt.time(12, 0),
                    people,
                    institution_id,
                    channel=Channel.MEETING,
                    is_pim=True,
                    duration_minutes=45,
                )
        # Planned: today's itinerary and the rest of this week.
        for day in working_days(max(today, monday), monday + dt.timedelta(days=4)):
            visited = rng.sample(institution_ids, k=min(2, len(institution_ids)))
            for n in range(rng.randint(5, 7)):
                institution_id = visited[n % len(visited)]
                add_call(
                    territory,
                    day,
                    dt.time(9 + n, rng.choice([0, 30])),
                    [rng.choice(hospitals[institution_id])],
                    institution_id,
                    status=CallStatus.PLANNED,
                    duration_minutes=15,
                )

    bulk_create_with_history(calls, Call, batch_size=2000)
    CallAttendee.objects.bulk_create(attendees, batch_size=5000)
    CallProduct.objects.bulk_create(products, batch_size=5000)
    through = CallProduct.key_messages.through
    through.objects.bulk_create(
        [
            through(callproduct_id=row.pk, keymessage_id=message.pk)
            for row, message in product_messages
        ],
        batch_size=5000,
    )
    CallMaterial.objects.bulk_create(handed, batch_size=5000)
    CoachingComment.objects.bulk_create(comments, batch_size=2000)
    return {
        "calls": len(calls),
        "PIMs": sum(1 for c in calls if c.is_pim),
        "planned calls": sum(1 for c in calls if c.status == CallStatus.PLANNED),
    }
