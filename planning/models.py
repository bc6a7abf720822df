"""Planning (计划): a rep's quarterly plan with its focus customers (优选客户), the monthly
update, the approvals with every approved version kept, the audit trail of transitions, and
joint-call proposals on a colleague's planned visit.

The weekly itinerary is not a model of its own: it is the rep's planned calls (`calls.Call` with
status planned), written through `calls.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from calls.models import Call
from core.history import HistoricalRecords
from core.models import SyncedModel
from customers.models import Customer
from org.models import Role, ScopedQuerySet, Territory

QUARTER_RE = r"^\d{4}-Q[1-4]$"


class PlanningSettings(models.Model):
    """The admin-set rules of planning (one row; `PlanningSettings.load()`), with their history:
    `capacity_floor` is the utilisation (percent of the plan's capacity) below which the plan's
    approval warns that the rep plans too few calls."""

    capacity_floor = models.PositiveSmallIntegerField(
        _("capacity floor (%)"),
        default=60,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Approving a plan warns when its planned calls are below this share of its capacity."
        ),
    )
    # +1 on every save: a form names the version it was read at (core.concurrency).
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("planning settings")
        verbose_name_plural = _("planning settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_floor__gte=0) & Q(capacity_floor__lte=100),
                name="planning_settings_floor_0_100",
                violation_error_message=_("The capacity floor is a percentage from 0 to 100."),
            ),
        ]

    def __str__(self):
        return str(_("Planning settings"))

    def save(self, *args, **kwargs):
        self.pk = 1  # a singleton
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class PlanQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """A rep: their own plans, and the approved plans of colleagues of the same team in the
        same district (获得与分享, read-only: nothing of other districts or teams shows); a DM:
        the plans of their district; a regional manager: region."""
        if user.role == Role.REP:
            colleague = Territory.objects.filter(
                rep=user, team=OuterRef("territory__team"), district=OuterRef("territory__district")
            )
            return self.filter(Q(rep=user) | Q(Exists(colleague), status=PlanStatus.APPROVED))
        return self.filter(territory__in=Territory.objects.for_user(user))

    def awaiting(self):
        return self.filter(status=PlanStatus.SUBMITTED)


class Plan(SyncedModel):
    """One rep's plan of one quarter (POA): review, goals, key result areas, focus customers."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.PROTECT,
        related_name="plans",
    )
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.PROTECT, related_name="plans"
    )
    quarter = models.CharField(_("quarter"), max_length=7)
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    review = models.TextField(_("review of last quarter"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    key_result_areas = models.TextField(_("key result areas"), blank=True)
    comment = models.TextField(
        _("manager's comment"), blank=True, help_text=_("The comment of the last return.")
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    history = HistoricalRecords()

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-quarter", "rep__username"]
        indexes = [
            models.Index(fields=["territory", "status"]),
            models.Index(fields=["status", "quarter"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rep", "quarter"],
                name="plan_one_per_rep_and_quarter",
                violation_error_message=_("This rep already has a plan for this quarter."),
            ),
            models.CheckConstraint(
                condition=Q(quarter__regex=QUARTER_RE),
                name="plan_quarter_format",
                violation_error_message=_("Give a quarter like 2026-Q4."),
            ),
        ]

    def __str__(self):
        return f"{self.rep} · {self.quarter}"

    @property
    def is_editable(self):
        return self.status in (PlanStatus.DRAFT, PlanStatus.RETURNED)


class PlanTarget(models.Model):
    """A focus customer (优选客户) of a plan: calls planned per month, the objective and the
    activities planned for them (meetings, speaker invitations)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="plan_targets"
    )
    calls_per_month = models.PositiveSmallIntegerField(
        _("planned calls per month"), validators=[MaxValueValidator(31)]
    )
    objective = models.CharField(_("objective"), max_length=300, blank=True)
    activities = models.TextField(
        _("activities"), blank=True, help_text=_("Meetings, speaker invitations …")
    )

    class Meta:
        verbose_name = _("focus customer")
        verbose_name_plural = _("focus customers")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "customer"],
                name="plan_target_unique_customer",
                violation_error_message=_("This customer is a focus customer already."),
            ),
        ]
        indexes = [models.Index(fields=["customer", "plan"])]

    def __str__(self):
        return f"{self.plan} · {self.customer}"


class PlanMonth(models.Model):
    """The monthly update of a plan: the focus customers of the month, the meetings planned
    and who should attend."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="months"
    )
    month = models.CharField(_("month"), max_length=7)
    focus = models.ManyToManyField(
        Customer, verbose_name=_("focus customers of the month"), blank=True, related_name="+"
    )
    meetings = models.TextField(_("meetings and who should attend"), blank=True)

    class Meta:
        verbose_name = _("monthly plan")
        verbose_name_plural = _("monthly plans")
        ordering = ["plan", "month"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "month"], name="plan_month_unique"),
        ]

    def __str__(self):
        return f"{self.plan} · {self.month}"


class PlanVersion(models.Model):
    """An approved version of a plan, kept for good: its content as JSON at the approval."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("content"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"))

    class Meta:
        verbose_name = _("approved version")
        verbose_name_plural = _("approved versions")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique"),
        ]

    def __str__(self):
        return f"{self.plan} v{self.number}"


class PlanAction(models.TextChoices):
    CREATED = "created", _("Created")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")
    REVISED = "revised", _("Revision started")


class PlanEvent(models.Model):
    """The audit row of a plan's transition (who, what, when, the comment). Notifications
    (issue 9) hook on these rows, or on `planning.signals.plan_event` sent after commit."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16, choices=PlanAction.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan event")
        verbose_name_plural = _("plan events")
        ordering = ["plan", "-created_at", "-pk"]
        indexes = [models.Index(fields=["plan", "created_at"])]

    def __str__(self):
        return f"{self.plan} {self.action}"


class JointCallStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class JointCallProposal(models.Model):
    """A rep proposes to join a colleague's planned visit (同一地区); the colleague accepts or
    declines. An accepted proposal is shown on both itineraries."""

    call = models.ForeignKey(
        Call, verbose_name=_("planned call"), on_delete=models.CASCADE, related_name="+"
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.CASCADE,
        related_name="joint_call_proposals",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=JointCallStatus.choices,
        default=JointCallStatus.PENDING,
    )
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("joint call proposal")
        verbose_name_plural = _("joint call proposals")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "proposer"],
                condition=Q(status="pending"),
                name="joint_call_one_pending_per_proposer",
                violation_error_message=_("You have proposed to join this call already."),
            ),
        ]
        indexes = [models.Index(fields=["call", "status"])]

    def __str__(self):
        return f"{self.proposer} → {self.call_id}"
