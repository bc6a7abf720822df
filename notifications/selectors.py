"""Reads of the reminders."""

from django.utils import timezone

from .models import Notification
from .rules import RULES


def rule_reach(rule, *, setting, now=None):
    """How many people running `rule` now would notify: its finder's reminders, less those
    already sent for their period (nothing is written, nothing sent)."""
    reminders = RULES[rule].find(setting, now or timezone.now())
    sent = set(
        Notification.objects.filter(
            kind=rule, period__in={r.period for r in reminders}
        ).values_list("user", "period")
    )
    return len({r.user.pk for r in reminders if (r.user.pk, r.period) not in sent})
