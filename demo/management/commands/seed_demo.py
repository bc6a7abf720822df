"""Load a deterministic, realistic, bilingual demo: one region, two districts, ONC and CV teams,
reps, DMs, a regional manager and an admin, ~40 institutions and ~600 customers (× --scale)."""

import random
from datetime import date

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from customers.models import (
    AdoptionStage,
    Alignment,
    Attitude,
    Customer,
    CustomerKind,
    Department,
    HospitalLevel,
    Institution,
    InstitutionKind,
)
from org.models import (
    Absence,
    AbsenceReason,
    CalendarDay,
    District,
    Product,
    Region,
    RegistrationStatus,
    Role,
    Team,
    Territory,
    User,
)
from org.services import territory_assign_rep

PASSWORD = "demo1234"
BULK_ABOVE = 10  # a --scale above this on PostgreSQL copies the company set-based (demo.bulk)
START = date(2026, 1, 1)

SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("高", "Gao"),
    ("罗", "Luo"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
]
GIVEN = [
    ("建国", "Jianguo"),
    ("伟", "Wei"),
    ("芳", "Fang"),
    ("敏", "Min"),
    ("静", "Jing"),
    ("丽", "Li"),
    ("强", "Qiang"),
    ("磊", "Lei"),
    ("军", "Jun"),
    ("洋", "Yang"),
    ("勇", "Yong"),
    ("艳", "Yan"),
    ("杰", "Jie"),
    ("娟", "Juan"),
    ("涛", "Tao"),
    ("明", "Ming"),
    ("超", "Chao"),
    ("秀英", "Xiuying"),
    ("华", "Hua"),
    ("慧", "Hui"),
    ("志强", "Zhiqiang"),
    ("海燕", "Haiyan"),
    ("晓东", "Xiaodong"),
    ("文博", "Wenbo"),
    ("雪梅", "Xuemei"),
    ("国平", "Guoping"),
]
CITIES = [  # (city, province, English city, district); 4 and 11 names: unique pairs
    ("上海", "上海", "Shanghai", "SH"),
    ("杭州", "浙江", "Hangzhou", "ZJ"),
    ("上海", "上海", "Shanghai", "SH"),
    ("宁波", "浙江", "Ningbo", "ZJ"),
]
HOSPITAL_NAMES = [
    ("市第一人民医院", "First People's Hospital"),
    ("市第二人民医院", "Second People's Hospital"),
    ("市中医医院", "Hospital of Traditional Chinese Medicine"),
    ("大学附属医院", "University Affiliated Hospital"),
    ("市肿瘤医院", "Cancer Hospital"),
    ("市胸科医院", "Chest Hospital"),
    ("市中心医院", "Central Hospital"),
    ("市第六人民医院", "Sixth People's Hospital"),
    ("市妇幼保健院", "Maternal and Child Hospital"),
    ("市第三人民医院", "Third People's Hospital"),
    ("市心血管病医院", "Cardiovascular Hospital"),
]
LEVELS = ["3A", "3A", "3B", "2A"]  # HospitalLevel codes
# (name, English, specialty, team: ONC / CV / None for both)
CLINICAL_DEPARTMENTS = [
    ("肿瘤科", "Oncology", "肿瘤内科", "ONC"),
    ("血液科", "Hematology", "血液内科", "ONC"),
    ("胸外科", "Thoracic Surgery", "胸外科", "ONC"),
    ("呼吸科", "Respiratory", "呼吸内科", "ONC"),
    ("心内科", "Cardiology", "心血管内科", "CV"),
    ("内分泌科", "Endocrinology", "内分泌", "CV"),
    ("神经内科", "Neurology", "神经内科", "CV"),
]
# (department, English, title, role group)
NON_PRESCRIBER_ROLES = [
    ("院办", "Hospital Office", "院长", "N1"),
    ("药剂科", "Pharmacy", "药剂科主任", "N1"),
    ("医务科", "Medical Affairs", "医务科科长", "N2"),
    ("医教科", "Medical Education", "医教科科长", "N2"),
    ("药剂科", "Pharmacy", "门诊药房组长", "N3"),
    ("药剂科", "Pharmacy", "库管", "N3"),
    ("采购部", "Purchasing", "采购员", "N3"),
    ("检验科", "Laboratory", "检验科主任", "N3"),
    ("护理部", "Nursing", "护士长", "N3"),
]
TITLES = ["主任医师", "副主任医师", "主治医师", "主治医师", "住院医师"]
PRODUCTS = {  # (code, name, English name)
    "ONC": [("ONC-1", "安可维", "Oncovia"), ("ONC-2", "肿瑞克", "Tumorex")],
    "CV": [
        ("CV-1", "心博力", "Cardiplex"),
        ("CV-2", "维舒林", "Vasolin"),
        ("CV-3", "力脂达", "Lipidra"),
    ],
}
TEAMS = [("ONC", "肿瘤", "Oncology", 10), ("CV", "心血管", "Cardiovascular", 12)]
# (code, name, English name, DM's username, name, English name, language)
DISTRICTS = [
    ("SH", "上海地区", "Shanghai District", "dm.sh", "孙立新", "Sun Lixin", "zh-hans"),
    ("ZJ", "浙江地区", "Zhejiang District", "dm.zj", "周晓梅", "Emma Zhou", "en"),
]
DISTRICT_PINYIN = {"SH": ("上海", "Shanghai"), "ZJ": ("浙江", "Zhejiang")}
HOLIDAYS_2026 = [
    (date(2026, 1, 1), "元旦"),
    (date(2026, 2, 16), "春节"),
    (date(2026, 2, 17), "春节"),
    (date(2026, 2, 18), "春节"),
    (date(2026, 2, 19), "春节"),
    (date(2026, 2, 20), "春节"),
    (date(2026, 4, 6), "清明节"),
    (date(2026, 5, 1), "劳动节"),
    (date(2026, 5, 4), "劳动节"),
    (date(2026, 5, 5), "劳动节"),
    (date(2026, 6, 19), "端午节"),
    (date(2026, 9, 25), "中秋节"),
    *[(date(2026, 10, d), "国庆节") for d in (1, 2, 5, 6, 7)],
]
MAKE_UP_DAYS_2026 = [
    (date(2026, 2, 14), "春节调休"),
    (date(2026, 2, 28), "春节调休"),
    (date(2026, 9, 27), "国庆调休"),
    (date(2026, 10, 10), "国庆调休"),
]
OUTPATIENT_DAYS = ["周一上午、周四下午", "周二全天", "周三上午", "周五上午、周二下午", "周四上午"]
RESEARCH = ["肺癌靶向治疗", "淋巴瘤免疫治疗", "高血压联合用药", "冠心病二级预防", "血脂管理"]


class Command(BaseCommand):
    help = "Load the demo data (deterministic; does nothing when the demo is already loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", type=int, default=1)

    def handle(self, *args, seed, scale, **options):
        if User.objects.filter(username="admin").exists():
            self.stdout.write("Demo data already loaded.")
            return
        # Large scales on PostgreSQL: the company once through the ORM, then copied set-based
        # (demo.bulk: 1,000 copies, 650,000 customers, in minutes instead of hours).
        copies = scale if connection.vendor == "postgresql" and scale > BULK_ABOVE else 1
        with transaction.atomic():
            logins, counts = Demo(random.Random(seed), max(1, scale // copies)).load()
        if copies > 1:
            from calls.models import Call
            from demo.bulk import multiply

            multiply(copies)
            logins.append(("rep.sh1.1 …", f"the same people in copies 1 to {copies - 1}"))
            counts = {
                "copies": copies,
                "customers": Customer.objects.count(),
                "alignments": Alignment.objects.count(),
                "calls": Call.objects.count(),
            }
        if connection.vendor == "postgresql":
            # Fresh statistics for the planner after a bulk load (autovacuum may be behind or
            # off): without them it estimates one row per table and nests loops.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        counts["notifications"] = self.reminders()
        self.stdout.write(f"Demo logins (password {PASSWORD}):")
        for username, description in logins:
            self.stdout.write(f"  {username:<10} {description}")
        self.stdout.write(", ".join(f"{count} {name}" for name, count in counts.items()))

    def reminders(self):
        """This month's figures and a first round of the scheduled reminders, so the dashboards
        and the bell have something to show."""
        from django.utils import timezone

        from core.periods import month_of
        from notifications.rules import RULES
        from notifications.services import rule_run
        from reports import engine

        engine.recompute(period=month_of(timezone.localdate()))
        return sum(rule_run(rule, force=True).sent for rule in RULES)


class Demo:
    def __init__(self, rng, scale):
        self.rng = rng
        self.scale = scale
        self.password = make_password(PASSWORD)
        self.logins = []
        self.prescribers = []  # (customer, team code)

    def person(self):
        (surname, surname_en), (given, given_en) = self.rng.choice(SURNAMES), self.rng.choice(GIVEN)
        return surname + given, f"{surname_en} {given_en}"

    def user(self, username, role, name, name_en="", language="zh-hans", **extra):
        if role == Role.REP:  # every demo rep is registered (备案) with the national platform
            extra.setdefault("registration_number", f"BA31{len(self.logins):06d}")
            extra.setdefault("registration_status", RegistrationStatus.REGISTERED)
            extra.setdefault("registration_valid_from", date(2021, 1, 1))
        user = User.objects.create(
            username=username,
            role=role,
            name=name,
            name_en=name_en,
            language=language,
            password=self.password,
            email=f"{username}@demo.baifang.local",
            **extra,
        )
        return user

    def load(self):
        admin = self.user(
            "admin", Role.ADMIN, "系统管理员", "Alex Admin", "en", is_staff=True, is_superuser=True
        )
        self.logins.append((admin.username, "admin"))
        teams = self.organisation()
        territories = self.territories(teams)
        self.calendar()
        institutions = self.institutions()
        customers, alignments = self.customers(institutions, territories)
        measures = self.segmentation(admin, teams)
        counts = {
            "territories": len(territories),
            "institutions": len(institutions),
            "customers": len(customers),
            "alignments": len(alignments),
            "measures": len(measures),
        }
        from demo.calls import seed_calls

        counts.update(seed_calls(self.rng))
        from demo.plans import seed_plans

        counts.update(seed_plans(self.rng))
        from core.periods import current_periods
        from reports.engine import recompute  # the figures the nightly job would compute

        for period in current_periods():
            for month in period.months if not period.is_month else [period]:
                recompute(period=month)
            recompute(period=period)
        return self.logins, counts

    def organisation(self):
        rm = self.user("rm.east", Role.REGIONAL, "钱志远", "Qian Zhiyuan")
        self.region = Region.objects.create(
            code="EAST", name="华东大区", name_en="East China Region", manager=rm
        )
        self.logins.append((rm.username, "regional manager, 华东大区"))
        self.districts = {}
        for code, name, name_en, username, person, person_en, language in DISTRICTS:
            dm = self.user(username, Role.DM, person, person_en, language)
            self.districts[code] = District.objects.create(
                region=self.region, code=code, name=name, name_en=name_en, dm=dm
            )
            self.logins.append((username, f"DM, {name}"))
        teams = {}
        for code, name, name_en, target in TEAMS:
            team = Team.objects.create(
                code=code, name=name, name_en=name_en, call_rate_target=target, pims_per_week=1
            )
            team.products.set(
                Product.objects.create(code=c, name=n, name_en=e) for c, n, e in PRODUCTS[code]
            )
            teams[code] = team
        return teams

    def territories(self, teams):
        territories = []
        for district_code, district in self.districts.items():
            number = 0
            for team_code, team in teams.items():
                for i in range(3 * self.scale):
                    number += 1
                    username = f"rep.{district_code.lower()}{number}"
                    rep = self.user(username, Role.REP, *self.person())
                    place, place_en = DISTRICT_PINYIN[district_code]
                    territory = Territory.objects.create(
                        code=f"{district_code}-{team_code}-{i + 1:02d}",
                        name=f"{place}{team_code}{i + 1}区",
                        name_en=f"{place_en} {team_code} {i + 1}",
                        team=team,
                        district=district,
                    )
                    territory_assign_rep(territory=territory, rep=rep, on=date(2025, 7, 1))
                    territories.append(territory)
                    self.logins.append((username, f"rep, {territory.name} ({territory.code})"))
                    if number % 4 == 1:
                        Absence.objects.create(
                            rep=rep,
                            date_from=date(2026, 11, 9),
                            date_to=date(2026, 11, 10),
                            reason=AbsenceReason.TRAINING,
                            note="产品培训",
                        )
        Territory.objects.create(
            code="SH-ONC-VAC",
            name="上海ONC空缺区",
            name_en="Shanghai ONC (vacant)",
            team=teams["ONC"],
            district=self.districts["SH"],
        )
        return territories

    def calendar(self):
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, name=n) for d, n in HOLIDAYS_2026]
            + [CalendarDay(date=d, name=n, is_working_day=True) for d, n in MAKE_UP_DAYS_2026]
        )

    def institutions(self):
        institutions = []
        for i in range(40 * self.scale):
            city, province, city_en, district = CITIES[i % len(CITIES)]
            name, name_en = HOSPITAL_NAMES[i % len(HOSPITAL_NAMES)]
            series = i // (len(CITIES) * len(HOSPITAL_NAMES))
            suffix, suffix_en = (
                (f"（{series + 1}院区）", f" (Campus {series + 1})") if series else ("", "")
            )
            kind = InstitutionKind.HOSPITAL if i % 13 else InstitutionKind.CLINIC
            beds = self.rng.randrange(300, 2500, 50) if kind == InstitutionKind.HOSPITAL else 20
            institution = Institution(
                name=f"{city}{name}{suffix}",
                name_en=f"{city_en} {name_en}{suffix_en}",
                kind=kind,
                level=self.rng.choice(LEVELS)
                if kind == InstitutionKind.HOSPITAL
                else HospitalLevel.UNRATED,
                city=city,
                province=province,
                beds=beds,
                daily_outpatients=beds * self.rng.randint(3, 6),
            )
            institution.district_code = district
            institutions.append(institution)
        Institution.objects.bulk_create(institutions)
        return institutions

    def customers(self, institutions, territories):
        by_team_district = {}
        for territory in territories:
            key = (territory.team.code, territory.district.code)
            by_team_district.setdefault(key, []).append(territory)
        customers, alignments, departments = [], [], []
        for index, institution in enumerate(institutions):
            onc = self.pick(by_team_district[("ONC", institution.district_code)], index)
            cv = self.pick(by_team_district[("CV", institution.district_code)], index)
            team_territory = {"ONC": onc, "CV": cv}
            own = {}
            for name, name_en, specialty, team in CLINICAL_DEPARTMENTS:
                own[name] = Department(
                    institution=institution,
                    name=name,
                    name_en=name_en,
                    specialty=specialty,
                    daily_patients=self.rng.randint(40, 300),
                )
                for _ in range(2 if institution.kind == InstitutionKind.HOSPITAL else 1):
                    customer = self.prescriber(institution, own[name], specialty)
                    customers.append(customer)
                    self.prescribers.append((customer, team))
                    alignments.append(self.align(customer, team_territory[team]))
                    if self.rng.random() < 0.05:  # two teams see the same doctor
                        other = cv if team == "ONC" else onc
                        alignments.append(self.align(customer, other))
            for name, name_en, title, group in self.rng.sample(NON_PRESCRIBER_ROLES, 3):
                if name not in own:
                    own[name] = Department(institution=institution, name=name, name_en=name_en)
                customer = self.non_prescriber(institution, own[name], title, group)
                customers.append(customer)
                alignments.append(self.align(customer, onc))
                alignments.append(self.align(customer, cv))
            departments.extend(own.values())
        Department.objects.bulk_create(departments)
        Customer.objects.bulk_create(customers)
        history = [
            Alignment(
                customer=a.customer,
                territory=territories[0],
                valid_from=date(2025, 7, 1),
                valid_to=date(2025, 12, 31),
            )
            for a in alignments[::40]
            if a.territory != territories[0]
        ]
        Alignment.objects.bulk_create(alignments + history)
        return customers, alignments + history

    def segmentation(self, admin, teams):
        """Thresholds per product from 1 January (one raised on 1 October), potential and
        support of every prescriber for each product of their team (some re-measured on 1 July),
        two overrides by a DM, then the class history of every product."""
        from customers.classification import classify
        from customers.models import ClassOverride, Measure, Threshold

        products = {code: list(team.products.order_by("code")) for code, team in teams.items()}
        thresholds, measures = [], []
        for team_products in products.values():
            for product in team_products:
                thresholds.append(
                    Threshold(
                        product=product,
                        potential_min=40,
                        support_min=10,
                        valid_from=START,
                        reason="年度分级标准 Annual segmentation",
                        author=admin,
                    )
                )
        thresholds.append(
            Threshold(
                product=products["ONC"][0],
                potential_min=50,
                support_min=12,
                valid_from=date(2026, 10, 1),
                reason="Q4 市场扩大 Market grew in Q4",
                author=admin,
            )
        )
        for customer, team in self.prescribers:
            for product in products[team]:
                potential = round(self.rng.lognormvariate(3.4, 0.6), 1)
                support = round(potential * self.rng.betavariate(2, 5), 1)
                measures.append(self.measure(customer, product, potential, support, START, admin))
                if self.rng.random() < 0.3:
                    potential = round(potential * self.rng.uniform(0.8, 1.4), 1)
                    support = round(min(potential, support * self.rng.uniform(0.7, 1.8)), 1)
                    measures.append(
                        self.measure(customer, product, potential, support, date(2026, 7, 1), admin)
                    )
        Threshold.objects.bulk_create(thresholds)
        Measure.objects.bulk_create(measures)
        dm = self.districts["SH"].dm
        for (customer, team), klass, reason in zip(
            self.prescribers[:2],
            ["A", "B"],
            ["新任科主任，学术影响大 New head of department", "牵头多中心研究 Leads a trial"],
            strict=True,
        ):
            ClassOverride.objects.create(
                customer=customer,
                product=products[team][0],
                klass=klass,
                reason=reason,
                valid_from=date(2026, 9, 1),
                author=dm,
            )
        for team_products in products.values():
            for product in team_products:
                classify(product=product)
        return measures

    def measure(self, customer, product, potential, support, valid_from, author):
        from customers.models import Measure

        return Measure(
            customer=customer,
            product=product,
            potential=potential,
            support=support,
            valid_from=valid_from,
            author=author,
        )

    def pick(self, territories, index):
        return territories[index % len(territories)]

    def align(self, customer, territory):
        return Alignment(customer=customer, territory=territory, valid_from=START)

    def prescriber(self, institution, department, specialty):
        name, name_en = self.person()
        customer = Customer(
            name=name,
            name_en=name_en,
            kind=CustomerKind.PRESCRIBER,
            institution=institution,
            department=department,
            title=self.rng.choice(TITLES),
            specialty=specialty,
            is_kol=self.rng.random() < 0.08,
        )
        if self.rng.random() < 0.6:
            customer.position = self.rng.choice(["科主任", "副主任", "组长", "医生"])
            customer.outpatient_days = self.rng.choice(OUTPATIENT_DAYS)
            customer.patients_per_day = self.rng.randint(15, 80)
            customer.attitude = self.rng.choice(Attitude.values)
            customer.adoption_stage = self.rng.choice(AdoptionStage.values)
            customer.best_time_to_visit = self.rng.choice(["门诊结束后", "上午查房后", "周三下午"])
            customer.best_place_to_visit = self.rng.choice(["医生办公室", "门诊", "科室会议室"])
            customer.research_topics = self.rng.choice(RESEARCH)
        return customer

    def non_prescriber(self, institution, department, title, group):
        name, name_en = self.person()
        return Customer(
            name=name,
            name_en=name_en,
            kind=CustomerKind.NON_PRESCRIBER,
            role_group=group,
            institution=institution,
            department=department,
            title=title,
            is_kol=group == "N1" and self.rng.random() < 0.15,
        )
