"""Reminders (提醒): rules with admin-editable parameters, their runs, the notifications they
send — once per person, rule and period — and the users' e-mail opt-outs."""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import SyncedModel
from org.models import ScopedQuerySet, User


class Rule(models.TextChoices):
    MONTH_END = "month_end", _("Month end near: targets below their frequency")
    NO_PIM = "no_pim", _("A week without a PIM")
    PLAN_DUE = "plan_due", _("Quarterly plan not submitted")
    PLAN_SUBMITTED = "plan_submitted", _("Plan submitted for approval")
    PLAN_RETURNED = "plan_returned", _("Plan returned")
    PLAN_APPROVED = "plan_approved", _("Plan approved")
    PLANS_WAITING = "plans_waiting", _("Plans waiting for approval")
    PLANNED_NOT_RECORDED = "planned_not_recorded", _("Planned calls not recorded")
    TEAM_DIGEST = "team_digest", _("Weekly team digest")
    AMENDMENT_REQUESTED = "amendment_requested", _("Amendment requested")
    AMENDMENT_APPROVED = "amendment_approved", _("Amendment approved")
    AMENDMENT_REJECTED = "amendment_rejected", _("Amendment rejected")
    COACHING_COMMENT = "coaching_comment", _("Coaching comment on a call")
    MASTER_DATA = "master_data", _("Customer verified, merged or rejected")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


# The defaults of DOMAIN.md and the issue; admins change them on the Reminders page.
DEFAULTS = {
    Rule.MONTH_END: {"days": 5, "time": datetime.time(9), "send_email": True},
    Rule.NO_PIM: {"weekday": Weekday.FRIDAY, "time": datetime.time(14), "send_email": False},
    Rule.PLAN_DUE: {"days": 10, "time": datetime.time(9), "send_email": True},
    Rule.PLAN_SUBMITTED: {"send_email": True},
    Rule.PLAN_RETURNED: {"send_email": True},
    Rule.PLAN_APPROVED: {"send_email": False},
    Rule.PLANS_WAITING: {"days": 3, "time": datetime.time(9), "send_email": True},
    Rule.PLANNED_NOT_RECORDED: {"time": datetime.time(8), "send_email": False},
    Rule.TEAM_DIGEST: {"weekday": Weekday.MONDAY, "time": datetime.time(8), "send_email": True},
    Rule.AMENDMENT_REQUESTED: {"send_email": True},
    Rule.AMENDMENT_APPROVED: {"send_email": False},
    Rule.AMENDMENT_REJECTED: {"send_email": True},
    Rule.COACHING_COMMENT: {"send_email": True},
    Rule.MASTER_DATA: {"send_email": False},
}


class RuleSetting(models.Model):
    """A rule's parameters: `days` (working days before the month end; days into the quarter;
    days a plan has waited), `weekday` and `time` (not before, company time)."""

    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, null=True, blank=True
    )
    time = models.TimeField(_("not before"), null=True, blank=True)
    send_email = models.BooleanField(_("also by e-mail"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["rule"]

    def __str__(self):
        return self.get_rule_display()


class RuleRun(models.Model):
    """One run of a rule (scheduled or started by an admin) and how many it notified."""

    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    day = models.DateField(_("day"), help_text=_("The company day it ran for."))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    started_by = models.ForeignKey(
        User,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["rule", "-started_at"]),
            models.Index(fields=["rule", "day"]),
        ]

    def __str__(self):
        return f"{self.get_rule_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.sent})"


class NotificationQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        return self.filter(user=user)

    def for_user(self, user):
        """Everybody, admins included, reads only their own notifications."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(SyncedModel):
    """What a rule told one person for one period, in their language when it was sent."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Rule.choices)
    period = models.CharField(
        _("period"), max_length=64, help_text=_("The month, week, day or event it is about.")
    )
    message = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    run = models.ForeignKey(
        RuleRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            # Once per person, rule and period: re-runs and concurrent runs are harmless.
            models.UniqueConstraint(
                fields=["user", "kind", "period"], name="notification_once_per_period"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} · {self.period}"

    @property
    def read(self):
        return self.read_at is not None


class EmailOptOut(models.Model):
    """A user who does not want a rule's e-mails (the notification in the app still comes)."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="email_opt_outs"
    )
    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)

    class Meta:
        verbose_name = _("e-mail opt-out")
        verbose_name_plural = _("e-mail opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "rule"], name="email_opt_out_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_rule_display()}"
