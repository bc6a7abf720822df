"""Requirements (coverage and call frequency per class) and the compliance snapshots."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from core.models import BatchJob, JobStatus
from org.models import District, ScopedQuerySet, Team, Territory


class TargetClass(models.TextChoices):
    """The classes requirements and reports are kept for: A–D, and N by role group."""

    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    N1 = "N1", "N1"
    N2 = "N2", "N2"
    N3 = "N3", "N3"


class RequirementQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """The requirements are company rules: every active user reads them."""
        return self


class Requirement(models.Model):
    """Coverage and call frequency required of a class, for a team (or, with no team, the
    company default a team without its own row follows). Null: "as needed" (no judgement)."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="requirements",
        help_text=_("Empty: the company default for teams without their own."),
    )
    klass = models.CharField(_("class"), max_length=2, choices=TargetClass.choices)
    monthly_coverage = models.DecimalField(
        _("monthly coverage"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Share of the class's targets to visit each month, 0–1; empty: as needed."),
    )
    calls_per_month = models.PositiveSmallIntegerField(
        _("calls per month"),
        null=True,
        blank=True,
        help_text=_("Completed calls per target and month; empty: as needed."),
    )
    quarterly_coverage = models.DecimalField(
        _("quarterly coverage"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Share of the class's targets to visit each quarter, 0–1; empty: as needed."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = RequirementQuerySet.as_manager()

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["team", "klass"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "klass"],
                name="requirement_unique_team_class",
                violation_error_message=_("This team already has a requirement for this class."),
            ),
            models.UniqueConstraint(
                fields=["klass"],
                condition=Q(team__isnull=True),
                name="requirement_unique_default_class",
                violation_error_message=_("There is already a company default for this class."),
            ),
            models.CheckConstraint(
                condition=(Q(monthly_coverage__isnull=True) | Q(monthly_coverage__range=(0, 1)))
                & (Q(quarterly_coverage__isnull=True) | Q(quarterly_coverage__range=(0, 1))),
                name="requirement_coverage_is_a_share",
                violation_error_message=_("A coverage is a share between 0 and 1."),
            ),
        ]

    def __str__(self):
        return f"{self.team or _('Company default')} · {self.klass}"


class SnapshotQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        return self.filter(territory__in=Territory.objects.for_user(user))


class ClassSnapshot(models.Model):
    """One territory, period and class: its targets (aligned on the period's first day, with
    their class then), how many were covered and, for a month, how many met the frequency."""

    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=7)
    klass = models.CharField(_("class"), max_length=2, choices=TargetClass.choices)
    targets = models.PositiveIntegerField(_("targets"))
    covered = models.PositiveIntegerField(_("covered"))
    calls_per_month = models.PositiveSmallIntegerField(_("calls per month"), null=True)
    frequency_compliant = models.PositiveIntegerField(_("frequency-compliant"), null=True)
    # The effort the class's targets received (the opportunity analysis): attendances at
    # completed one-to-one calls, and at completed meetings (PIMs) they were invited to.
    calls = models.PositiveIntegerField(_("calls"), default=0)
    invitations = models.PositiveIntegerField(_("meeting invitations"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("class snapshot")
        verbose_name_plural = _("class snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "territory", "klass"], name="class_snapshot_unique"
            ),
        ]

    def __str__(self):
        return f"{self.territory_id} {self.period} {self.klass}: {self.covered}/{self.targets}"


class ActivitySnapshot(models.Model):
    """One territory and period: completed calls (one per attendee), field days and PIMs."""

    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=7)
    completed_calls = models.PositiveIntegerField(_("completed calls"))
    field_days = models.PositiveIntegerField(_("field days"))
    pim_count = models.PositiveIntegerField(_("PIMs"))
    # Of completed_calls, the attendances at PIMs (the rest are one-to-one calls).
    invitations = models.PositiveIntegerField(_("meeting invitations"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity snapshot")
        verbose_name_plural = _("activity snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "territory"], name="activity_snapshot_unique"
            ),
        ]

    def __str__(self):
        return f"{self.territory_id} {self.period}: {self.completed_calls}/{self.field_days}"


RecomputeJobStatus = JobStatus  # the same states as a reclassification


class RecomputeJob(BatchJob):
    """A recompute of a period (an admin's "recompute now", or the nightly one: no one started
    it): one batch per district, with its progress. Its districts (`RecomputeJobDistrict`) say
    which are done, so that a task delivered again, or sent again by the sweep after a worker
    was lost, does only what is left."""

    period = models.CharField(_("period"), max_length=7)
    batches = models.PositiveIntegerField(_("districts"), default=0)
    batches_done = models.PositiveIntegerField(_("districts done"), default=0)
    rows = models.PositiveIntegerField(_("class rows written"), default=0)
    # The last sign of life: created, a district done, or its unfinished districts sent again.
    progressed_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    # How many times in a row the sweep sent its unfinished districts again with no progress.
    resends = models.PositiveSmallIntegerField(_("resent"), default=0)

    status_counters = ("rows",)

    class Meta(BatchJob.Meta):
        verbose_name = _("recompute job")
        verbose_name_plural = _("recompute jobs")

    def __str__(self):
        return f"{self.period} {self.get_status_display()} {self.progress:.0%}"


class RecomputeJobDistrict(models.Model):
    """One district of a recompute job: done (with the class rows it wrote) once its snapshots
    are committed — in the same transaction, so a district is never counted twice nor lost."""

    job = models.ForeignKey(
        RecomputeJob,
        verbose_name=_("recompute job"),
        on_delete=models.CASCADE,
        related_name="parts",
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="+"
    )
    rows = models.PositiveIntegerField(_("class rows written"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("district of a recompute job")
        verbose_name_plural = _("districts of recompute jobs")
        constraints = [
            models.UniqueConstraint(fields=["job", "district"], name="recompute_job_district_once"),
        ]
        indexes = [models.Index(fields=["job", "done_at"], name="recompute_job_district_todo")]

    def __str__(self):
        return f"{self.job_id} {self.district_id} {'done' if self.done_at else 'to do'}"
