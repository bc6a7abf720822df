"""The organisation: regions, districts, teams, territories, products, people and the work calendar.

Validity intervals (`valid_from` / `valid_to`) are inclusive on both ends; `valid_to` null means
open-ended. A record is in force on day D when valid_from <= D and (valid_to is null or
D <= valid_to).
"""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.constraints import PostgresExclusionConstraint, RangeOperators, inclusive_period
from core.history import HistoricalRecords
from core.models import BilingualName, SyncedModel


def in_force_on(day, prefix=""):
    """Q() for rows whose inclusive [valid_from, valid_to] interval contains `day`."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})
    )


def overlaps(start, end, prefix=""):
    """Q() for rows whose inclusive [valid_from, valid_to] interval shares a day with the
    inclusive [start, end] (`end` None: open)."""
    q = not_ended_by(start, prefix)
    if end is not None:
        q &= Q(**{f"{prefix}valid_from__lte": end})
    return q


def not_ended_by(day, prefix=""):
    """Q() for rows in force on `day` or starting later (not yet ended)."""
    return Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})


class ScopedQuerySet(models.QuerySet):
    """`for_user(user)`: the one scoping function of a model. Inactive users see nothing,
    admins everything, everybody else what the model's `scoped_to(user)` says."""

    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self
        return self.scoped_to(user)

    def scoped_to(self, user):
        raise NotImplementedError


class Role(models.TextChoices):
    REP = "rep", _("Rep")
    DM = "dm", _("District manager")
    REGIONAL = "regional", _("Regional manager")
    ADMIN = "admin", _("Admin")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class RegistrationStatus(models.TextChoices):
    """A rep's 医药代表备案 on the national platform."""

    NOT_REGISTERED = "not_registered", _("Not registered")
    PENDING = "pending", _("Registration pending")
    REGISTERED = "registered", _("Registered")
    REVOKED = "revoked", _("Registration revoked")


class UserQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Oneself; a manager also sees the reps and DMs of their district or region."""
        territories = Territory.objects.for_user(user)
        if user.role == Role.REP:
            return self.filter(pk=user.pk)
        return self.filter(
            Q(pk=user.pk)
            | Q(territories__in=territories)
            | Q(managed_districts__in=District.objects.for_user(user))
        ).distinct()


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who logs in: a rep, a district manager, a regional manager or an admin."""

    name = models.CharField(_("name"), max_length=150, blank=True)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    registration_number = models.CharField(
        _("rep registration number"),
        max_length=64,
        blank=True,
        help_text=_("医药代表备案 number, where the rep has one."),
    )
    registration_status = models.CharField(
        _("registration status"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.NOT_REGISTERED,
    )
    registration_valid_from = models.DateField(_("registration valid from"), null=True, blank=True)
    registration_valid_to = models.DateField(
        _("registration valid to"),
        null=True,
        blank=True,
        help_text=_("Empty: no end date."),
    )
    # +1 on every change (API If-Match / ETag), not on a login stamp (last_login).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Who changed the person's name, role, language, registration or activity (never the
    # password; a login alone writes no version: see save()).
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    @property
    def display_name(self):
        """The name of the active language, falling back to the other one, then the username."""
        from core.text import localized

        return localized(self.name, self.name_en) or self.get_full_name() or self.username

    def __str__(self):
        return self.display_name

    def save(self, **kwargs):
        """A new password (browser, admin, API, command line) or a deactivation signs every device
        out: the user's API tokens are revoked."""
        password_changed = self._password is not None  # set by set_password() until saved
        fields = kwargs.get("update_fields")
        login_only = fields is not None and not set(fields) - {"last_login"}
        if not self._state.adding and not login_only:
            self.version = (self.version or 0) + 1
            if fields is not None:
                kwargs["update_fields"] = {*fields, "version"}
        if login_only:
            self.skip_history_when_saving = True
        try:
            super().save(**kwargs)
        finally:
            if login_only:
                del self.skip_history_when_saving
        if password_changed or not self.is_active:
            self.api_tokens.all().delete()

    def is_registered_on(self, day) -> bool:
        """Whether the rep's registration (备案) is in force on `day`: registered, with a number,
        and `day` inside its validity (inclusive; empty ends are open)."""
        return (
            self.registration_status == RegistrationStatus.REGISTERED
            and bool(self.registration_number.strip())
            and (self.registration_valid_from is None or self.registration_valid_from <= day)
            and (self.registration_valid_to is None or day <= self.registration_valid_to)
        )

    def clean(self):
        super().clean()
        if (
            self.registration_valid_from
            and self.registration_valid_to
            and self.registration_valid_to < self.registration_valid_from
        ):
            raise ValidationError(
                {"registration_valid_to": _("“Valid to” cannot be before “valid from”.")}
            )
        if (
            self.registration_status == RegistrationStatus.REGISTERED
            and not (self.registration_number or "").strip()
        ):
            raise ValidationError(
                {"registration_number": _("A registered rep needs a registration number.")}
            )

    @property
    def is_admin(self):
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_rep(self):
        return self.role == Role.REP and not self.is_superuser

    @property
    def is_manager(self):
        return self.role in (Role.DM, Role.REGIONAL) or self.is_admin


class RegionQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """The region one manages or works in."""
        return self.filter(
            Q(manager=user) | Q(districts__in=District.objects.for_user(user))
        ).distinct()


class Region(BilingualName, SyncedModel):
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    manager = models.ForeignKey(
        User,
        verbose_name=_("regional manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_regions",
    )
    history = HistoricalRecords()

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]


class DistrictQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """A regional manager's districts, a DM's own, a rep's (through their territories)."""
        if user.role == Role.REGIONAL:
            return self.filter(region__manager=user)
        if user.role == Role.DM:
            return self.filter(dm=user)
        return self.filter(territories__rep=user).distinct()


class District(BilingualName, SyncedModel):
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="districts"
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    dm = models.ForeignKey(
        User,
        verbose_name=_("district manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_districts",
    )
    history = HistoricalRecords()

    objects = DistrictQuerySet.as_manager()

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]


class CatalogueQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Products and teams are the company's catalogue: every active user reads them."""
        return self


class Product(BilingualName, SyncedModel):
    name = models.CharField(_("name"), max_length=100, blank=True)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]


class Team(BilingualName, SyncedModel):
    """A product group (e.g. oncology ONC); its territories promote its products."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    products = models.ManyToManyField(
        Product, verbose_name=_("products"), related_name="teams", blank=True
    )
    call_rate_target = models.DecimalField(
        _("call rate target"),
        max_digits=5,
        decimal_places=2,
        default=12,
        help_text=_("Completed calls per field day."),
    )
    pims_per_week = models.PositiveSmallIntegerField(_("PIMs per week"), default=1)
    history = HistoricalRecords(m2m_fields=[products])

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(call_rate_target__gte=0),
                name="team_call_rate_target_not_negative",
                violation_error_message=_("The call rate target cannot be negative."),
            ),
        ]


class TerritoryQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """A rep: the territories they hold; a DM: their district; a regional manager: region."""
        if user.role == Role.REGIONAL:
            return self.filter(district__region__manager=user)
        if user.role == Role.DM:
            return self.filter(district__dm=user)
        return self.filter(rep=user)


class Territory(BilingualName, SyncedModel):
    """Held by one rep at a time (or vacant); `assignments` keep who held it when."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="territories"
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="territories"
    )
    rep = models.ForeignKey(
        User,
        verbose_name=_("rep"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="territories",
    )
    history = HistoricalRecords()

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["code"]

    def __str__(self):
        return f"{self.display_name} ({self.code})"


class TerritoryAssignmentQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        return self.filter(territory__in=Territory.objects.for_user(user))

    def overlapping(self, assignment):
        """Other holdings of the same territory sharing a day with `assignment`'s period."""
        return self.filter(
            overlaps(assignment.valid_from, assignment.valid_to),
            territory_id=assignment.territory_id,
        ).exclude(pk=assignment.pk)


ASSIGNMENT_NO_OVERLAP = "assignment_no_overlap"
ASSIGNMENT_ONE_OPEN = "assignment_one_open_per_territory"
ASSIGNMENT_OVERLAP = _("Another rep holds the territory in this period.")


class TerritoryAssignment(models.Model):
    """Who held a territory when (inclusive dates; `valid_to` null = still holding)."""

    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    rep = models.ForeignKey(
        User, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="assignments"
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = TerritoryAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory assignment")
        verbose_name_plural = _("territory assignments")
        ordering = ["territory", "-valid_from"]
        indexes = [models.Index(fields=["rep", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_valid_to_after_valid_from",
                violation_error_message=_("“Valid to” cannot be before “valid from”."),
            ),
            # One holder at a time, on every database: at most one open holding …
            models.UniqueConstraint(
                fields=["territory"],
                condition=Q(valid_to__isnull=True),
                name=ASSIGNMENT_ONE_OPEN,
                violation_error_message=ASSIGNMENT_OVERLAP,
            ),
            # … and, on PostgreSQL, no two holdings sharing a day.
            PostgresExclusionConstraint(
                name=ASSIGNMENT_NO_OVERLAP,
                expressions=[
                    ("territory", RangeOperators.EQUAL),
                    (inclusive_period(), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.territory} — {self.rep}"

    def clean(self):
        if (
            self.territory_id
            and self.valid_from
            and (self.valid_to is None or self.valid_to >= self.valid_from)
            and TerritoryAssignment.objects.overlapping(self).exists()
        ):
            raise ValidationError({"valid_from": ASSIGNMENT_OVERLAP})


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a holiday or a make-up working day (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("work calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class AbsenceReason(models.TextChoices):
    LEAVE = "leave", _("Leave")
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")


class AbsenceQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """A rep's own absences; a manager's reps' absences."""
        if user.role == Role.REP:
            return self.filter(rep=user)
        return self.filter(rep__territories__in=Territory.objects.for_user(user)).distinct()


class Absence(SyncedModel):
    """Days a rep is out of the field (inclusive dates); they reduce the rep's field days."""

    rep = models.ForeignKey(
        User, verbose_name=_("rep"), on_delete=models.CASCADE, related_name="absences"
    )
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=16, choices=AbsenceReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = AbsenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-date_from"]
        indexes = [models.Index(fields=["rep", "date_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=models.F("date_from")),
                name="absence_date_to_after_from",
                violation_error_message=_("The last day cannot be before the first day."),
            ),
        ]

    def __str__(self):
        return f"{self.rep} {self.date_from}–{self.date_to} {self.get_reason_display()}"


class ApiTokenQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """One's own tokens (admins: everybody's)."""
        return self.filter(user=user)


class ApiToken(models.Model):
    """A revocable API token of one user on one device (`Authorization: Token <key>`)."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    device = models.CharField(_("device"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} · {self.device or self.key[:6]}"


class InstitutionRule(models.TextChoices):
    """What happens to a call at an institution on a day it does not admit reps."""

    REFUSE = "refuse", _("Refuse the call")
    FLAG = "flag", _("Record it, flagged")


def _show_measures_default():
    """Off in a Chinese-language install (LANGUAGE_CODE zh-*, the product's default): reps must
    not see per-doctor figures (统方); on elsewhere, as before the setting existed."""
    from django.conf import settings

    return not settings.LANGUAGE_CODE.lower().startswith("zh")


class ComplianceSettings(models.Model):
    """China's rules for reps (医药代表备案管理办法) and consent, as the admin turns them on (one
    row; `ComplianceSettings.load()`). The checks live in calls.services.guardrails and the
    scope of measures (customers.models.MeasureQuerySet)."""

    require_registration = models.BooleanField(
        _("require rep registration"),
        default=True,
        help_text=_(
            "An unregistered rep, or one whose registration has expired, cannot record a "
            "completed call (planned calls are still allowed)."
        ),
    )
    show_measures_to_reps = models.BooleanField(
        _("show measures to reps"),
        default=_show_measures_default,
        help_text=_(
            "Off: reps see a customer's class and strategy, not the potential and support "
            "figures behind it (no 统方)."
        ),
    )
    institution_rule = models.CharField(
        _("calls on a day the institution does not admit reps"),
        max_length=8,
        choices=InstitutionRule.choices,
        default=InstitutionRule.REFUSE,
    )
    enforce_consent = models.BooleanField(
        _("enforce customer consent"),
        default=False,
        help_text=_(
            "On: a call is refused unless each attendee agreed to visits and to the call's channel."
        ),
    )
    # +1 on every save: a form names the version it was read at (core.concurrency).
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("compliance settings")
        verbose_name_plural = _("compliance settings")

    def __str__(self):
        return str(_("Compliance settings"))

    def save(self, *args, **kwargs):
        self.pk = 1  # a singleton
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        """The settings in force (one query): the row, or the defaults until an admin saves
        them (reading never writes)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


def can_see_measures(user) -> bool:
    """Whether `user` may read potential and support (raw per-doctor figures): everybody but
    reps, and reps only where the admin shows measures to reps."""
    if not user.is_authenticated:
        return False
    if not user.is_rep:
        return True
    return ComplianceSettings.load().show_measures_to_reps
