"""The reminder rules. Each is `due(setting, now)` (is it time?) and `find(setting, now)` (who to
tell what): set-based reads whose query count does not grow with the people notified, returning
Reminders whose `message()` is rendered later in the recipient's language.

Periods make a rule speak once per person: the month (month end near), the ISO week (no PIM,
team digest), the day (planned calls not recorded), the quarter (plan due) and the plan's
submission (plans waiting; a returned plan)."""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calls.models import Call, CallStatus
from core.periods import month_of, quarter_of
from core.text import localized
from org.models import District, Role, Territory, User
from org.selectors import working_days
from planning.models import Plan, PlanStatus
from reports import engine, figures
from reports.models import ClassSnapshot

from .models import Rule

NAMES_PER_CLASS = 10  # customers named per class in a message; the rest are counted


@dataclass
class Reminder:
    user: User
    period: str
    url: str
    message: Callable[[], str]  # called under the recipient's language


def _local(now):
    now = timezone.localtime(now)
    return now.date(), now.time()


def _week_key(day):
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _weekly_due(setting, now):
    """On its weekday from its time, or later in the same week (a job that was down catches up;
    the week's key keeps it to once)."""
    today, time = _local(now)
    weekday = setting.weekday if setting.weekday is not None else 0
    if today.weekday() != weekday:
        return today.weekday() > weekday
    return setting.time is None or time >= setting.time


def _daily_due(setting, now):
    _today, time = _local(now)
    return setting.time is None or time >= setting.time


# 1. Month end near, targets below their frequency → the rep.


def month_end_due(setting, now):
    today, _time = _local(now)
    month = month_of(today)
    left = len(working_days(today, month.end))
    return 0 < left <= (setting.days or 0) and _daily_due(setting, now)


def month_end_find(setting, now):
    today, _time = _local(now)
    month = month_of(today)
    left = len(working_days(today, month.end))
    rows = engine.targets_below_frequency(period=month, names=NAMES_PER_CLASS)
    territories = {
        t.pk: t
        for t in Territory.objects.filter(
            pk__in={row[0] for row in rows}, rep__is_active=True
        ).select_related("rep")
    }
    # rep → class → {"short": how many in all, "named": [(calls, name, required)]}
    by_rep = defaultdict(lambda: defaultdict(lambda: {"short": 0, "named": [], "seen": set()}))
    for territory_id, klass, _customer, name, calls, required, short in rows:
        territory = territories.get(territory_id)
        if territory is None:
            continue
        entry = by_rep[territory.rep][klass]
        if territory_id not in entry["seen"]:  # a rep holding two territories: both counts
            entry["seen"].add(territory_id)
            entry["short"] += short
        entry["named"].append((calls, name, required))
    url = reverse("reports:dashboard")

    def message_for(classes):
        def message():
            total = sum(entry["short"] for entry in classes.values())
            lines = [
                ngettext(
                    "%(n)d target is below its call frequency with %(days)d working days left "
                    "this month.",
                    "%(n)d targets are below their call frequency with %(days)d working days "
                    "left this month.",
                    total,
                )
                % {"n": total, "days": left}
            ]
            for klass in sorted(classes):
                entry = classes[klass]
                named = sorted(entry["named"])[:NAMES_PER_CLASS]
                shown = ", ".join(f"{name} {calls}/{required}" for calls, name, required in named)
                more = entry["short"] - len(named)
                if more > 0:
                    shown += " " + _("and %(n)d more") % {"n": more}
                lines.append(f"{klass} ({entry['short']}): {shown}")
            return "\n".join(lines)

        return message

    return [
        Reminder(user=rep, period=month.key, url=url, message=message_for(classes))
        for rep, classes in by_rep.items()
    ]


# 2. A week without a PIM → the rep.


def no_pim_due(setting, now):
    return _weekly_due(setting, now)


def no_pim_find(setting, now):
    today, _time = _local(now)
    monday = today - datetime.timedelta(days=today.weekday())
    pims = Call.objects.filter(
        territory__rep=OuterRef("pk"),
        status=CallStatus.COMPLETED,
        is_pim=True,
        date__range=(monday, today),
    )
    reps = User.objects.filter(
        Exists(Territory.objects.filter(rep=OuterRef("pk"), team__pims_per_week__gt=0)),
        ~Exists(pims),
        is_active=True,
        role=Role.REP,
    )
    url = reverse("calls:new")

    def message():
        return _(
            "No product information meeting (PIM) yet this week. Plan one with a department, "
            "or log the one you held."
        )

    return [Reminder(user=rep, period=_week_key(today), url=url, message=message) for rep in reps]


# 5. Yesterday's planned calls not recorded → the rep.


def planned_not_recorded_due(setting, now):
    return _daily_due(setting, now)


def planned_not_recorded_find(setting, now):
    today, _time = _local(now)
    yesterday = today - datetime.timedelta(days=1)
    counts = dict(
        Call.objects.filter(status=CallStatus.PLANNED, date=yesterday)
        .values_list("rep")
        .annotate(n=Count("pk"))
        .values_list("rep", "n")
    )
    reps = User.objects.filter(pk__in=counts, is_active=True)
    url = (
        reverse("calls:list")
        + f"?status={CallStatus.PLANNED}&date_from={yesterday}&date_to={yesterday}"
    )

    def message_for(n):
        def message():
            return ngettext(
                "%(n)d call planned for %(day)s is not recorded: log it or cancel it.",
                "%(n)d calls planned for %(day)s are not recorded: log them or cancel them.",
                n,
            ) % {"n": n, "day": yesterday.isoformat()}

        return message

    return [
        Reminder(
            user=rep, period=yesterday.isoformat(), url=url, message=message_for(counts[rep.pk])
        )
        for rep in reps
    ]


# 6. The weekly team digest → the DM.


def _pct(part, whole):
    return figures.percent(figures.ratio(part, whole)) or "—"


def team_digest_due(setting, now):
    return _weekly_due(setting, now)


def team_digest_find(setting, now):
    today, _time = _local(now)
    month = month_of(today)
    districts = list(
        District.objects.filter(dm__isnull=False, dm__is_active=True).select_related("dm")
    )
    figures = defaultdict(lambda: defaultdict(dict))  # district → territory line → class → row
    for row in (
        ClassSnapshot.objects.filter(period=month.key, territory__district__in=districts)
        .values(
            "territory__district",
            "territory__code",
            "territory__rep__name",
            "territory__rep__name_en",
            "territory__rep__username",
            "klass",
            "targets",
            "covered",
            "frequency_compliant",
        )
        .order_by("territory__code", "klass")
    ):
        # the rep's name is chosen when the message is rendered, in the recipient's language
        line = (
            row["territory__code"],
            row["territory__rep__name"],
            row["territory__rep__name_en"],
            row["territory__rep__username"],
        )
        figures[row["territory__district"]][line][row["klass"]] = row

    def message_for(district):
        def message():
            lines = [
                _("Coverage / frequency compliance per rep and class, %(month)s so far:")
                % {"month": month.key}
            ]
            reps = figures.get(district.pk)
            if not reps:
                lines.append(_("No figures computed for this month yet."))
            for (code, name, name_en, username), classes in (reps or {}).items():
                line = f"{code} {localized(name, name_en) or username or '—'}"
                cells = " · ".join(
                    f"{klass} {_pct(row['covered'], row['targets'])} / "
                    f"{_pct(row['frequency_compliant'], row['targets'])}"
                    for klass, row in classes.items()
                    if row["targets"]
                )
                lines.append(f"{line}: {cells or '—'}")
            return "\n".join(lines)

        return message

    url = reverse("reports:dashboard")
    return [
        Reminder(
            user=district.dm,
            period=f"{_week_key(today)}/{district.code}",
            url=f"{url}?district={district.pk}",
            message=message_for(district),
        )
        for district in districts
    ]


# 3. The quarter's plan not submitted N days into the quarter → the rep.


def plan_due_due(setting, now):
    today, _time = _local(now)
    started = quarter_of(today).start
    return (today - started).days >= (setting.days or 0) and _daily_due(setting, now)


def plan_due_find(setting, now):
    today, _time = _local(now)
    quarter = quarter_of(today)
    done = Plan.objects.filter(
        rep=OuterRef("pk"),
        quarter=quarter.key,
        status__in=(PlanStatus.SUBMITTED, PlanStatus.APPROVED),
    )
    reps = User.objects.filter(
        Exists(Territory.objects.filter(rep=OuterRef("pk"))),
        ~Exists(done),
        is_active=True,
        role=Role.REP,
    )
    days = (today - quarter.start).days
    url = reverse("planning:list")

    def message():
        return ngettext(
            "Your plan for %(quarter)s is not submitted yet: the quarter started %(days)d day ago.",
            "Your plan for %(quarter)s is not submitted yet: the quarter started %(days)d days "
            "ago.",
            days,
        ) % {"quarter": quarter.key, "days": days}

    return [Reminder(user=rep, period=quarter.key, url=url, message=message) for rep in reps]


# 4. Plans waiting for approval more than N days → the DM.


def plans_waiting_due(setting, now):
    return _daily_due(setting, now)


def plans_waiting_find(setting, now):
    waiting = Plan.objects.filter(
        status=PlanStatus.SUBMITTED,
        submitted_at__lte=now - datetime.timedelta(days=setting.days or 0),
        territory__district__dm__is_active=True,
    ).select_related("rep", "territory__district__dm")

    def message_for(plan):
        def message():
            days = (now - plan.submitted_at).days
            return ngettext(
                "The plan of %(rep)s for %(quarter)s has waited %(days)d day for your approval.",
                "The plan of %(rep)s for %(quarter)s has waited %(days)d days for your approval.",
                days,
            ) % {"rep": plan.rep, "quarter": plan.quarter, "days": days}

        return message

    return [
        Reminder(
            user=plan.territory.district.dm,
            # Once per submission: a plan submitted again after a return is a new period.
            period=f"{plan.pk}@{plan.submitted_at:%Y%m%dT%H%M%S}",
            url=reverse("planning:detail", args=[plan.pk]),
            message=message_for(plan),
        )
        for plan in waiting
    ]


@dataclass
class RuleFunctions:
    due: Callable
    find: Callable


RULES = {
    Rule.MONTH_END: RuleFunctions(month_end_due, month_end_find),
    Rule.NO_PIM: RuleFunctions(no_pim_due, no_pim_find),
    Rule.PLAN_DUE: RuleFunctions(plan_due_due, plan_due_find),
    Rule.PLANS_WAITING: RuleFunctions(plans_waiting_due, plans_waiting_find),
    Rule.PLANNED_NOT_RECORDED: RuleFunctions(planned_not_recorded_due, planned_not_recorded_find),
    Rule.TEAM_DIGEST: RuleFunctions(team_digest_due, team_digest_find),
}


def scheduled(rule):
    """Rules run by the schedule (the others are sent when their event happens)."""
    return rule in RULES
