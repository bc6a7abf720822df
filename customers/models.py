"""Institutions, departments, customers and their alignment to territories."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.constraints import PostgresExclusionConstraint, RangeOperators, inclusive_period
from core.expressions import one_of
from core.history import HistoricalRecords
from core.models import BatchJob, BilingualName, SyncedModel
from core.search import text_contains
from org.models import (
    ScopedQuerySet,
    Territory,
    can_see_measures,
    in_force_on,
    not_ended_by,
    overlaps,
)

from .pinyin import MAX_KEY, query_key, search_keys


def _current_alignments(user, today=None):
    """Alignments not yet ended to the territories the user may see (an array on PostgreSQL,
    as in AlignmentQuerySet.scoped_to)."""
    today = today or timezone.localdate()
    return Alignment.objects.filter(
        not_ended_by(today), one_of("territory", Territory.objects.for_user(user))
    )


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    CLINIC = "clinic", _("Clinic")
    PHARMACY = "pharmacy", _("Pharmacy")


class InstitutionQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Institutions where the user's territories have at least one aligned customer."""
        return self.filter(
            Exists(_current_alignments(user).filter(customer__institution=OuterRef("pk")))
        )


class HospitalLevel(models.TextChoices):
    """The grade of the national hospital classification (医院分级管理办法): three levels, each
    graded 甲/乙/丙. 三级特等 exists on paper but no hospital was ever rated so: not offered."""

    GRADE_3A = "3A", _("Grade 3A")
    GRADE_3B = "3B", _("Grade 3B")
    GRADE_3C = "3C", _("Grade 3C")
    GRADE_2A = "2A", _("Grade 2A")
    GRADE_2B = "2B", _("Grade 2B")
    GRADE_2C = "2C", _("Grade 2C")
    GRADE_1A = "1A", _("Grade 1A")
    GRADE_1B = "1B", _("Grade 1B")
    GRADE_1C = "1C", _("Grade 1C")
    UNRATED = "unrated", _("Unrated")


_LEVEL_DIGITS = {"三": "3", "二": "2", "一": "1", "III": "3", "II": "2", "I": "1"}
_LEVEL_GRADES = {"甲": "A", "乙": "B", "丙": "C"}


def hospital_level_code(text) -> str:
    """The code of a hospital level written freely (三级甲等, 三甲, 3A, 3甲, III A, Grade 3A,
    未定级 …); "" when it is none of them."""
    import re

    value = re.sub(r"[\s\-_.·级等]|grade|level", "", str(text or ""), flags=re.IGNORECASE)
    value = value.upper()
    if not value:
        return ""
    if value in {"未定", "未评", "无", "UNRATED", "UNGRADED", "NONE", "N/A"}:
        return HospitalLevel.UNRATED
    match = re.fullmatch(r"(III|II|I|[123一二三])([ABC甲乙丙])", value)
    if not match:
        return ""
    digit, grade = match.groups()
    code = _LEVEL_DIGITS.get(digit, digit) + _LEVEL_GRADES.get(grade, grade)
    return code if code in HospitalLevel.values else ""


def external_id_field():
    """The company's or its master-data system's id of a record (e.g. a Veeva OpenData or IQVIA
    OneKey id): blank, or unique (`unique_external_id`). Imports and integrations match by it."""
    return models.CharField(
        _("external id"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("The company's or master-data system's id; unique when set."),
    )


def unique_external_id(model_name):
    return models.UniqueConstraint(
        fields=["external_id"],
        condition=~Q(external_id=""),
        name=f"{model_name}_unique_external_id",
        violation_error_message=_("Another record has this external id."),
    )


class RepVisits(models.TextChoices):
    """Whether an institution admits rep visits (医药代表 access is the institution's decision)."""

    ALLOWED = "allowed", _("Admits rep visits")
    SET_DAYS = "set_days", _("Only on set weekdays")
    REFUSED = "refused", _("Does not admit rep visits")


# ISO weekdays (1 Monday … 7 Sunday), as an institution's `rep_visit_days` spells them.
WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]


class Institution(BilingualName, SyncedModel):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=InstitutionKind.choices, default=InstitutionKind.HOSPITAL
    )
    level = models.CharField(_("level"), max_length=32, blank=True, choices=HospitalLevel.choices)
    city = models.CharField(_("city"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=100, blank=True)
    beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    daily_outpatients = models.PositiveIntegerField(_("daily outpatients"), null=True, blank=True)
    external_id = external_id_field()

    rep_visits = models.CharField(
        _("rep visits"), max_length=16, choices=RepVisits.choices, default=RepVisits.ALLOWED
    )
    rep_visit_days = models.CharField(
        _("rep visiting days"),
        max_length=7,
        blank=True,
        help_text=_("ISO weekdays reps are admitted on, e.g. 25 for Tuesday and Friday."),
    )
    history = HistoricalRecords()

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]
        indexes = [
            # The API lists them in creation order (core.pagination): a page reads this index.
            models.Index(fields=["created_at", "id"], name="institution_created"),
            models.Index(fields=["city"]),
            models.Index(fields=["name"], name="institution_name"),
        ]
        constraints = [unique_external_id("institution")]

    def clean(self):
        days = self.rep_visit_days or ""
        if any(d not in "1234567" for d in days) or len(set(days)) != len(days):
            raise ValidationError({"rep_visit_days": _("Weekdays are digits 1 (Monday) to 7.")})
        self.rep_visit_days = "".join(sorted(days))
        if self.rep_visits == RepVisits.SET_DAYS and not days:
            raise ValidationError(
                {"rep_visit_days": _("Choose the weekdays the institution admits reps on.")}
            )
        if self.rep_visits != RepVisits.SET_DAYS:
            self.rep_visit_days = ""

    def admits_reps_on(self, day) -> bool:
        """Whether reps may visit the institution on `day`."""
        if self.rep_visits == RepVisits.REFUSED:
            return False
        if self.rep_visits == RepVisits.SET_DAYS:
            return str(day.isoweekday()) in self.rep_visit_days
        return True

    @property
    def rep_visit_day_names(self):
        names = dict(WEEKDAYS)
        return [names[d] for d in self.rep_visit_days if d in names]


class DepartmentQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Departments of the institutions the user may see."""
        return self.filter(institution__in=Institution.objects.for_user(user))


class Department(BilingualName, SyncedModel):
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    daily_patients = models.PositiveIntegerField(_("daily patients"), null=True, blank=True)
    external_id = external_id_field()
    history = HistoricalRecords()

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["institution__name", "name"]
        indexes = [
            # The API lists them in creation order (core.pagination): a page reads this index.
            models.Index(fields=["created_at", "id"], name="department_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="department_unique_name"),
            unique_external_id("department"),
        ]


class CustomerKind(models.TextChoices):
    PRESCRIBER = "prescriber", _("Prescriber")
    NON_PRESCRIBER = "non_prescriber", _("Non-prescriber")


class RoleGroup(models.TextChoices):
    N1 = "N1", _("N1: hospital leadership, pharmacy director, non-prescribing KOL")
    N2 = "N2", _("N2: medical affairs, medical education office")
    N3 = "N3", _("N3: warehouse, purchasing, pharmacy group leaders, laboratory, head nurse")


class AdoptionStage(models.TextChoices):
    UNAWARE = "unaware", _("Unaware")
    AWARE = "aware", _("Aware")
    INTERESTED = "interested", _("Interested")
    TRIAL = "trial", _("Trial")
    ADOPTION = "adoption", _("Regular use")
    ADVOCACY = "advocacy", _("Advocate")


class Attitude(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class CustomerQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """An erased customer (privacy: erasure on request) is in nobody's scope, admins'
        included: its rows stay for the figures, the person is gone from every page and API."""
        return super().for_user(user).filter(erased_at__isnull=True)

    def scoped_to(self, user):
        """Customers aligned (now or from a future date) to a territory the user may see."""
        return self.filter(Exists(_current_alignments(user).filter(customer=OuterRef("pk"))))

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for customer in objs:
            customer.set_search_keys()
        return super().bulk_create(objs, *args, **kwargs)

    def with_target_class(self, territories, day, name="target_class"):
        """Annotate `name` (default `target_class`): each customer's class as a target of
        `territories` (a queryset) on `day` — see `target_class`, the one spelling of it."""
        return self.annotate(**{name: target_class(territories, day)})

    def search(self, q):
        """Customers as reps type them: every word of `q` is in the name (Chinese or English),
        the institution or the department, or starts the name's full pinyin (`lijian`) or its
        initials (`ljg`); the whole of `q` without spaces may also start either (`li jian`).
        Case-insensitive; NUL characters are dropped, `q` is cut at SEARCH_MAX_LENGTH characters
        and SEARCH_MAX_WORDS words."""
        q = (q or "").replace("\x00", "")[:SEARCH_MAX_LENGTH]
        words = search_words(q)
        if not words:
            return self
        every_word = Q()
        for word in words:
            every_word &= _word_matches(word)
        compact = query_key(q)
        if len(words) > 1 and compact:
            every_word |= Q(name_pinyin__startswith=compact) | Q(name_initials__startswith=compact)
        return self.filter(every_word)


SEARCH_MAX_LENGTH = 100
SEARCH_MAX_WORDS = 5


def search_words(q):
    """The words a search box searches for: NUL dropped, cut at SEARCH_MAX_LENGTH characters
    and SEARCH_MAX_WORDS words (the customers' and the calls' search)."""
    return (q or "").replace("\x00", "")[:SEARCH_MAX_LENGTH].split()[:SEARCH_MAX_WORDS]


def _word_matches(word):
    # The institution and department match as sets of ids, not joins: the condition stays on
    # the customers' own row. On PostgreSQL each name is found from its index (core.search:
    # characters for one hanzi such as 王, which matches a tenth of the company; trigrams for
    # longer words) and the sets are arrays (`= ANY(ARRAY(…))`), so that the customers' rows
    # come from one BitmapOr of indexes, not a scan of the company.
    names = text_contains("name", word) | text_contains("name_en", word)
    matches = (
        names
        | one_of("institution", Institution.objects.filter(names))
        | one_of("department", Department.objects.filter(names))
    )
    key = query_key(word)
    if key:  # the keys are lower case: `startswith` can use their index
        matches |= Q(name_pinyin__startswith=key) | Q(name_initials__startswith=key)
    return matches


class CustomerStatus(models.TextChoices):
    """Master data: a customer a rep creates is pending until a data steward (an admin)
    verifies it, merges it into another customer or rejects it."""

    VERIFIED = "verified", _("Verified")
    PENDING = "pending", _("Pending verification")


# A rep's change of these fields of a verified customer is a change request for the steward.
IDENTITY_FIELDS = ("name", "institution", "department", "kind")


class ConsentSource(models.TextChoices):
    WRITTEN = "written", _("Written form")
    VERBAL = "verbal", _("Verbal, noted by the rep")
    ELECTRONIC = "electronic", _("Electronic form")
    OTHER = "other", _("Other")


# The channels a customer consents to, as calls spell them (calls.models.Channel; the API's).
CONSENT_CHANNELS = ("face_to_face", "phone", "video", "meeting")


# A customer's profile facts (the rep's knowledge of the person, not their identity): a rep's
# edit applies at once, a merge keeps the kept customer's, an erasure empties them.
PROFILE_FIELDS = (
    "title",
    "specialty",
    "position",
    "outpatient_days",
    "patients_per_day",
    "products_used",
    "competitor_products",
    "prescribing_habits",
    "attitude",
    "product_awareness",
    "adoption_stage",
    "education",
    "research_topics",
    "associations",
    "best_time_to_visit",
    "best_place_to_visit",
)


class Customer(SyncedModel):
    """A person at an institution: a prescriber or a non-prescriber (always class N)."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # Search keys of the name, set on every save (set_search_keys): 李建国 → lijianguo, ljg.
    name_pinyin = models.CharField(
        _("pinyin"), max_length=MAX_KEY, blank=True, editable=False, db_index=True
    )
    name_initials = models.CharField(
        _("pinyin initials"), max_length=100, blank=True, editable=False, db_index=True
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.PRESCRIBER
    )
    role_group = models.CharField(
        _("role group"),
        max_length=2,
        choices=RoleGroup.choices,
        blank=True,
        help_text=_("Non-prescribers only."),
    )
    is_kol = models.BooleanField(_("KOL"), default=False)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    title = models.CharField(_("title"), max_length=100, blank=True)
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    # Prescribing facts.
    position = models.CharField(_("department standing"), max_length=100, blank=True)
    outpatient_days = models.CharField(
        _("outpatient days"), max_length=100, blank=True, help_text=_("e.g. Mon AM, Thu PM")
    )
    patients_per_day = models.PositiveIntegerField(_("patients per day"), null=True, blank=True)
    products_used = models.TextField(_("products used"), blank=True)
    competitor_products = models.TextField(_("competitor products used"), blank=True)
    prescribing_habits = models.TextField(_("prescribing habits"), blank=True)
    # Relationship facts.
    attitude = models.CharField(
        _("attitude to us"), max_length=16, choices=Attitude.choices, blank=True
    )
    product_awareness = models.TextField(_("awareness of the product"), blank=True)
    adoption_stage = models.CharField(
        _("adoption stage"), max_length=16, choices=AdoptionStage.choices, blank=True
    )
    # Background facts.
    education = models.CharField(_("education"), max_length=200, blank=True)
    research_topics = models.TextField(_("research topics"), blank=True)
    associations = models.TextField(_("professional associations"), blank=True)
    best_time_to_visit = models.CharField(_("best time to visit"), max_length=100, blank=True)
    best_place_to_visit = models.CharField(_("best place to visit"), max_length=100, blank=True)
    # Set when the person's data was erased on request (customers.services.customer_erase).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=CustomerStatus.choices,
        default=CustomerStatus.VERIFIED,
        editable=False,
    )
    created_by = models.ForeignKey(
        "org.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_id = external_id_field()

    # Consent (PIPL): to visits, then per channel; None: not asked.
    consent_visits = models.BooleanField(_("agrees to rep visits"), null=True, blank=True)
    consent_face_to_face = models.BooleanField(
        _("agrees to face-to-face calls"), null=True, blank=True
    )
    consent_phone = models.BooleanField(_("agrees to phone calls"), null=True, blank=True)
    consent_video = models.BooleanField(_("agrees to video calls"), null=True, blank=True)
    consent_meeting = models.BooleanField(_("agrees to meetings"), null=True, blank=True)
    consent_date = models.DateField(_("consent given on"), null=True, blank=True)
    consent_source = models.CharField(
        _("consent source"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    history = HistoricalRecords()

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        indexes = [
            # The API lists them in creation order (core.pagination): a page reads this index.
            models.Index(fields=["created_at", "id"], name="customer_created"),
            # The desk table sorts by kind then name, and by institution name then name (the
            # institution's name index): both walk an index and stop after a page.
            models.Index(fields=["kind", "name"], name="customer_kind_name"),
            models.Index(fields=["is_kol"]),
            models.Index(fields=["name"]),
            models.Index(
                fields=["created_at"], name="customer_pending", condition=Q(status="pending")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=CustomerKind.PRESCRIBER) & Q(role_group=""))
                | (Q(kind=CustomerKind.NON_PRESCRIBER) & Q(role_group__in=RoleGroup.values)),
                name="customer_role_group_iff_non_prescriber",
                violation_error_message=_(
                    "A non-prescriber needs a role group (N1, N2 or N3); a prescriber has none."
                ),
            ),
            unique_external_id("customer"),
        ]

    def __str__(self):
        return self.name

    def set_search_keys(self):
        self.name_pinyin, self.name_initials = search_keys(self.name)

    def save(self, *args, **kwargs):
        self.set_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.kind == CustomerKind.NON_PRESCRIBER and not self.role_group:
            errors["role_group"] = _("A non-prescriber needs a role group (N1, N2 or N3).")
        if self.kind == CustomerKind.PRESCRIBER and self.role_group:
            errors["role_group"] = _("Only non-prescribers have a role group.")
        if (
            self.department_id
            and self.institution_id
            and self.department.institution_id != self.institution_id
        ):
            errors["department"] = _("This department belongs to another institution.")
        consents = [getattr(self, f"consent_{name}") for name in ("visits", *CONSENT_CHANNELS)]
        if any(value is not None for value in consents):
            if self.consent_date is None:
                errors["consent_date"] = _("Give the day the consent was given.")
            if not self.consent_source:
                errors["consent_source"] = _("Say how the consent was given.")
        if self.consent_date and self.consent_date > timezone.localdate():
            errors["consent_date"] = _("The consent cannot be dated in the future.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_prescriber(self):
        return self.kind == CustomerKind.PRESCRIBER

    @property
    def is_pending(self):
        return self.status == CustomerStatus.PENDING

    def consents_to(self, channel) -> bool:
        """Whether the customer agreed to rep visits and to calls on `channel`."""
        return bool(self.consent_visits) and bool(getattr(self, f"consent_{channel}", False))


class ChangeRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ChangeRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ChangeRequestStatus.OPEN)

    def for_user(self, user):
        """An admin (the data steward) sees every request; anyone else the ones they asked, of
        customers in their scope."""
        if user.is_admin:
            return self
        return self.filter(
            requested_by=user, customer__in=Customer.objects.for_user(user).values("pk")
        )


class ChangeRequest(models.Model):
    """A rep's change of a verified customer's identity fields (IDENTITY_FIELDS), waiting for the
    data steward: `before` and `changes` ({field: value}, references by id as text); applied
    when accepted. At most one open request per customer: a later edit adds to it."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    requested_by = models.ForeignKey(
        "org.User",
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    before = models.JSONField(_("before"), default=dict)
    changes = models.JSONField(_("changes"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.OPEN,
    )
    decided_by = models.ForeignKey(
        "org.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Grows each time the rep adds to the open request (API: ETag / If-Match of the request).
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="open"),
                name="change_request_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.customer} · {self.get_status_display()}"


class Erasure(models.Model):
    """The audit record of a customer's erasure (PIPL / GDPR): who, when and why. It holds no
    personal data: the customer is named by its id only, and the reason may not name the person
    (customers.services.customer_erase refuses one that does)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="erasure"
    )
    erased_by = models.ForeignKey(
        "org.User",
        verbose_name=_("erased by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    erased_at = models.DateTimeField(_("erased"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-erased_at"]

    def __str__(self):
        return f"{self.customer_id} {self.erased_at:%Y-%m-%d}"


class AlignmentQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Alignments to the territories the user may see (on PostgreSQL as an array read
        first: as a semi-join PostgreSQL joined the company's alignments to their customers
        before narrowing them to a district's handful of territories)."""
        return self.filter(one_of("territory", Territory.objects.for_user(user)))

    def in_force_on(self, day):
        return self.filter(in_force_on(day))

    def overlapping(self, alignment):
        """Other alignments of the same customer and territory whose inclusive period shares a
        day with `alignment`'s (the rule `alignment_no_overlap` keeps on PostgreSQL)."""
        return self.filter(
            overlaps(alignment.valid_from, alignment.valid_to),
            customer_id=alignment.customer_id,
            territory_id=alignment.territory_id,
        ).exclude(pk=alignment.pk)


ALIGNMENT_NO_OVERLAP = "alignment_no_overlap"
ALIGNMENT_OVERLAP = _("The customer is already aligned to this territory in this period.")


class Alignment(SyncedModel):
    """A customer aligned to a territory from `valid_from` to `valid_to` (inclusive; null: open)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="alignments"
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="alignments",
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    history = HistoricalRecords()

    objects = AlignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("alignment")
        verbose_name_plural = _("alignments")
        ordering = ["territory", "customer", "-valid_from"]
        indexes = [
            # The API lists them in creation order (core.pagination): a page reads this index.
            models.Index(fields=["created_at", "id"], name="alignment_created"),
            models.Index(fields=["territory", "valid_from"]),
            models.Index(fields=["customer", "valid_from"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="alignment_valid_to_after_valid_from",
                violation_error_message=_("“Valid to” cannot be before “valid from”."),
            ),
            # Two writers racing past the check of clean() cannot both align the customer.
            PostgresExclusionConstraint(
                name=ALIGNMENT_NO_OVERLAP,
                expressions=[
                    ("customer", RangeOperators.EQUAL),
                    ("territory", RangeOperators.EQUAL),
                    (inclusive_period(), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.customer} → {self.territory}"

    def clean(self):
        if (
            self.customer_id
            and self.territory_id
            and self.valid_from
            and (self.valid_to is None or self.valid_to >= self.valid_from)
            and Alignment.objects.overlapping(self).exists()
        ):
            raise ValidationError({"valid_from": ALIGNMENT_OVERLAP})


# Segmentation (客户分级): product measures, thresholds, overrides and the class history they make.


class Klass(models.TextChoices):
    A = "A", _("A · defend")
    B = "B", _("B · attack")
    C = "C", _("C · maintain")
    D = "D", _("D · observe")
    N = "N", _("N · non-prescriber")


STRATEGIES = {
    Klass.A: _("Defend: guard against competitors, reinforce evidence, invite as speaker."),
    Klass.B: _("Attack: probe concerns, deliver key messages, convert."),
    Klass.C: _("Maintain: remind, keep supplying evidence."),
    Klass.D: _("Observe: visit when convenient, cover through hospital meetings."),
    Klass.N: _("Non-prescriber: visit by role group."),
}
PRESCRIBER_CLASSES = ("A", "B", "C", "D")


class ClassSource(models.TextChoices):
    COMPUTED = "computed", _("computed")
    OVERRIDE = "override", _("override")


class ClassCause(models.TextChoices):
    """What started an interval of the class history."""

    MEASURES = "measures", _("new measures")
    THRESHOLD = "threshold", _("threshold change")
    OVERRIDE = "override", _("override")
    OVERRIDE_CLEARED = "override_cleared", _("override cleared")


class CustomerScopedQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Rows of the customers the user may see."""
        return self.filter(customer__in=Customer.objects.for_user(user))


class MeasureQuerySet(CustomerScopedQuerySet):
    def scoped_to(self, user):
        """The measures of the customers the user may see; none for a rep unless the admin shows
        measures to reps (no 统方: org.models.can_see_measures)."""
        if not can_see_measures(user):
            return self.none()
        return super().scoped_to(user)


class Measure(SyncedModel):
    """Potential (the whole market) and support (our product) of a customer for a product,
    in force from `valid_from` until the next measure of the same customer and product."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="measures"
    )
    product = models.ForeignKey(
        "org.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    potential = models.DecimalField(
        _("potential"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Prescriptions of the whole market, e.g. per month."),
    )
    support = models.DecimalField(
        _("support"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Prescriptions of our product, e.g. per month."),
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    author = models.ForeignKey(
        "org.User",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["customer", "product", "-valid_from"]
        indexes = [
            models.Index(fields=["product", "customer", "valid_from"]),
            # The API lists them in creation order (core.pagination): a page reads this index.
            models.Index(fields=["created_at", "id"], name="measure_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product", "valid_from"],
                name="measure_unique_day",
                violation_error_message=_(
                    "This customer already has measures for this product from this day."
                ),
            ),
            models.CheckConstraint(
                condition=Q(potential__gte=0) & Q(support__gte=0),
                name="measure_not_negative",
                violation_error_message=_("Potential and support cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.customer} · {self.product}: {self.potential} / {self.support}"


class ThresholdQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Thresholds are company rules: every active user reads them."""
        return self


class Threshold(SyncedModel):
    """High potential ⇔ potential ≥ potential_min; high support ⇔ support ≥ support_min;
    for a product from `valid_from` until its next threshold."""

    product = models.ForeignKey(
        "org.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="thresholds",
    )
    potential_min = models.DecimalField(_("potential threshold"), max_digits=12, decimal_places=2)
    support_min = models.DecimalField(_("support threshold"), max_digits=12, decimal_places=2)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    author = models.ForeignKey(
        "org.User",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = ThresholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        # Thresholds are versions, never rewritten: a second one of the same product and day
        # is a new row that supersedes the earlier (the latest `created_at` of a day wins).
        ordering = ["product", "-valid_from", "-created_at"]
        indexes = [models.Index(fields=["product", "valid_from"], name="threshold_product_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(potential_min__gte=0) & Q(support_min__gte=0),
                name="threshold_not_negative",
                violation_error_message=_("Thresholds cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.product} ≥ {self.potential_min} / ≥ {self.support_min} ({self.valid_from})"


class ClassOverride(SyncedModel):
    """A manager's class for a customer and product from `valid_from` until cleared
    (`cleared_on` is the first day the computed class applies again)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="overrides"
    )
    product = models.ForeignKey(
        "org.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    klass = models.CharField(
        _("class"), max_length=1, choices=[(k, Klass(k).label) for k in PRESCRIBER_CLASSES]
    )
    reason = models.CharField(_("reason"), max_length=300)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)
    author = models.ForeignKey(
        "org.User",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cleared_by = models.ForeignKey(
        "org.User",
        verbose_name=_("cleared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("class override")
        verbose_name_plural = _("class overrides")
        ordering = ["customer", "product", "-valid_from"]
        indexes = [models.Index(fields=["product", "customer", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(cleared_on__isnull=True) | Q(cleared_on__gte=models.F("valid_from")),
                name="override_cleared_after_start",
                violation_error_message=_("An override cannot be cleared before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(klass__in=PRESCRIBER_CLASSES),
                name="override_klass_a_to_d",
                violation_error_message=_("A prescriber's class is A, B, C or D."),
            ),
        ]

    def __str__(self):
        return f"{self.customer} · {self.product} → {self.klass}"

    def in_force_on(self, day):
        return self.valid_from <= day and (self.cleared_on is None or day < self.cleared_on)


class ClassHistoryQuerySet(CustomerScopedQuerySet):
    def on(self, day):
        """The rows in force on `day`."""
        return self.filter(in_force_on(day))


class ClassHistory(models.Model):
    """The class of a prescriber for a product over time (inclusive dates, `valid_to` null: still
    in force), with what started it. Kept by `customers.classification`, never edited by hand."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="classes"
    )
    product = models.ForeignKey(
        "org.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    klass = models.CharField(_("class"), max_length=1, choices=Klass.choices)
    source = models.CharField(_("source"), max_length=8, choices=ClassSource.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    cause = models.CharField(_("reason"), max_length=16, choices=ClassCause.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    author = models.ForeignKey(
        "org.User",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ClassHistoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("class history")
        verbose_name_plural = _("class history")
        ordering = ["customer", "product", "-valid_from"]
        indexes = [
            models.Index(fields=["customer", "product", "valid_from"]),
            models.Index(fields=["product", "customer", "valid_from"]),
        ]

    def __str__(self):
        return f"{self.customer} · {self.product}: {self.klass} from {self.valid_from}"

    @property
    def strategy(self):
        return STRATEGIES[self.klass]


def _promoted_history(territories, day):
    """The class history rows in force on `day` of products promoted by the teams of those of
    `territories` (a queryset) their customer is aligned to on that day: the rows a prescriber's
    class on `day` is the highest of (`promoted_class`, `has_promoted_class`)."""
    promoted = Alignment.objects.in_force_on(day).filter(
        customer=OuterRef("customer"),
        territory__in=territories,
        territory__team__products=OuterRef("product"),
    )
    return ClassHistory.objects.on(day).filter(Exists(promoted))


def promoted_class(territories, day, customer_ref="pk"):
    """Expression: a prescriber's highest class (A > B > C > D) on `day` among the products
    promoted by the teams of those of `territories` (a queryset) the customer is aligned to on
    that day; None when unclassified. `customer_ref` names the customer in the outer query."""
    return Subquery(
        _promoted_history(territories, day)
        .filter(customer=OuterRef(customer_ref))
        .order_by("klass")
        .values("klass")[:1],
        output_field=CharField(),
    )


def has_promoted_class(territories, day, klass, customer_ref="pk"):
    """Condition: `promoted_class(territories, day, customer_ref)` is `klass` (None:
    unclassified), spelled as "a row of `klass` and none higher" (A < B < C < D, as
    `promoted_class` orders them). A filter by class then reads the rows of that class as a set
    (one semi-join) instead of working out every customer's class one by one."""
    rows = _promoted_history(territories, day).filter(customer=OuterRef(customer_ref))
    if klass is None:
        return ~Exists(rows)
    higher = [c for c in PRESCRIBER_CLASSES if c < klass]
    if not higher:  # A: nothing is higher (PostgreSQL read every row to find that out)
        return Exists(rows.filter(klass=klass))
    return Exists(rows.filter(klass=klass)) & ~Exists(rows.filter(klass__in=higher))


def target_class(territories, day, customer_ref="pk"):
    """Expression: a customer's class as a target of `territories` on `day` — the class the
    compliance figures and the requirement table (A–D, N1–N3) know it by: a non-prescriber's
    role group (N1–N3; None when not recorded), else the prescriber's `promoted_class`. The
    reports' engine spells the same rule in SQL. `customer_ref` names the customer in the
    outer query ("pk" on customers, e.g. "customer_id" on an alignment or plan target)."""
    prefix = "" if customer_ref == "pk" else customer_ref.removesuffix("_id") + "__"
    return Case(
        When(
            **{f"{prefix}kind": CustomerKind.NON_PRESCRIBER},
            then=NullIf(F(f"{prefix}role_group"), Value("")),
        ),
        default=promoted_class(territories, day, customer_ref),
        output_field=CharField(),
    )


def target_class_is(territories, day, klass, customer_ref="pk"):
    """Condition: `target_class(territories, day, customer_ref)` is `klass` (A–D or N1–N3), as a
    filter (see has_promoted_class)."""
    prefix = "" if customer_ref == "pk" else customer_ref.removesuffix("_id") + "__"
    non_prescriber = Q(**{f"{prefix}kind": CustomerKind.NON_PRESCRIBER})
    if klass not in PRESCRIBER_CLASSES:
        return non_prescriber & Q(**{f"{prefix}role_group": klass})
    return ~non_prescriber & has_promoted_class(territories, day, klass, customer_ref)


class Reclassification(BatchJob):
    """A job that reclassifies every customer of a product (after a threshold change, an import
    or at night), with its progress."""

    product = models.ForeignKey(
        "org.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    threshold = models.ForeignKey(
        Threshold,
        verbose_name=_("threshold"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    changed = models.PositiveIntegerField(_("class history rows changed"), default=0)
    # How many prescribers changed class on the threshold's day, recorded when the job finished:
    # the job's page shows it for good (a later threshold of the same day does not change it).
    moved = models.PositiveIntegerField(_("prescribers who changed class"), null=True, blank=True)

    status_counters = ("changed",)

    class Meta(BatchJob.Meta):
        verbose_name = _("reclassification")
        verbose_name_plural = _("reclassifications")

    def __str__(self):
        return f"{self.product} {self.get_status_display()} {self.progress:.0%}"


class ImportKind(models.TextChoices):
    INSTITUTIONS = "institutions", _("institutions")
    DEPARTMENTS = "departments", _("departments")
    CUSTOMERS = "customers", _("customers")
    ALIGNMENTS = "alignments", _("alignments")
    MEASURES = "measures", _("measures")
    WORKBOOK = "workbook", _("workbook (a sheet per kind)")


class ImportQuerySet(models.QuerySet):
    def for_user(self, user):
        """An admin sees every import; anyone else the ones they started."""
        if user.is_admin:
            return self
        return self.filter(created_by=user)


class Import(BatchJob):
    """An import of master data (or measures) from a file, checked (dry run) or applied, run by
    Celery with its progress; the file is kept for the download of its rejected rows and for
    applying a checked file (customers/services/bulk_import.py)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    dry_run = models.BooleanField(_("check only"), default=True)
    file_name = models.CharField(_("file"), max_length=200)
    data = models.BinaryField(_("file content"), editable=False)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("records created"), default=0)
    changed = models.PositiveIntegerField(_("records changed"), default=0)
    unchanged = models.PositiveIntegerField(_("records unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # [{"sheet", "row", "column", "message"}, ...]: the first MAX_ERRORS errors.
    errors = models.JSONField(_("error list"), default=list, blank=True)
    # [{"sheet", "row", "outcome", "key", "fields"}, ...]: the first PREVIEW_ROWS rows.
    outcomes = models.JSONField(_("outcome per row"), default=list, blank=True)
    checked = models.ForeignKey(
        "self",
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
        help_text=_("The dry run this import applies."),
    )

    status_counters = ("rows", "created", "changed", "unchanged", "error_count")

    objects = ImportQuerySet.as_manager()

    class Meta(BatchJob.Meta):
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.file_name} ({self.get_kind_display()}) {self.get_status_display()}"
