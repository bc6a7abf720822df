"""Calls (拜访): planned → completed / cancelled, their attendees, products and key messages,
commitments, materials and samples, co-visits, group meetings (PIM), coaching and amendments.

A call with several attendees is one record that counts as a call for every attendee
(`CallAttendee`). Promotion is academic: there is deliberately no field for gifts, cash or
payments; free text (notes) is the only place for remarks.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.expressions import one_of
from core.history import HistoricalRecords
from core.models import BilingualName, SyncedModel
from customers.models import AdoptionStage, Customer, Department, Institution
from org.models import CatalogueQuerySet, Product, Role, ScopedQuerySet, Team, Territory


class CallSettings(models.Model):
    """The admin-editable rules of call logging (one row; `CallSettings.load()`)."""

    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=7,
        help_text=_("A completed call can be edited for this many days after it was logged."),
    )
    backdating_days = models.PositiveSmallIntegerField(
        _("backdating limit (days)"),
        default=7,
        help_text=_("A completed call may be dated at most this many days in the past."),
    )
    sample_limit_per_quarter = models.PositiveIntegerField(
        _("samples per customer and quarter"),
        null=True,
        blank=True,
        default=10,
        help_text=_(
            "Most sample units a customer may receive in a calendar quarter; empty: no limit. "
            "Samples handed over at a group call count for every attendee."
        ),
    )
    # +1 on every save: a form names the version it was read at (core.concurrency).
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("call settings")
        verbose_name_plural = _("call settings")

    def __str__(self):
        return str(_("Call settings"))

    def save(self, *args, **kwargs):
        self.pk = 1  # a singleton
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class KeyMessage(BilingualName, SyncedModel):
    """A key message of a product (admin catalogue); reps tick the ones they delivered."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="key_messages"
    )
    text = models.CharField(_("key message"), max_length=200, blank=True)
    text_en = models.CharField(_("English key message"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    objects = CatalogueQuerySet.as_manager()
    bilingual_fields = ("text", "text_en")

    class Meta:
        verbose_name = _("key message")
        verbose_name_plural = _("key messages")
        ordering = ["product", "order", "text"]
        indexes = [models.Index(fields=["product", "is_active"])]


class MaterialKind(models.TextChoices):
    MATERIAL = "material", _("Promotional material")
    SAMPLE = "sample", _("Sample")


class Material(BilingualName, SyncedModel):
    """Promotional material or a sample (admin catalogue); handed over with a quantity."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MaterialKind.choices, default=MaterialKind.MATERIAL
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="materials",
    )
    teams = models.ManyToManyField(
        Team,
        verbose_name=_("teams"),
        related_name="materials",
        blank=True,
        help_text=_("The teams whose reps may hand it over; none: every team."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(m2m_fields=[teams])

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("material or sample")
        verbose_name_plural = _("materials and samples")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["is_active", "kind"])]

    @property
    def is_sample(self):
        return self.kind == MaterialKind.SAMPLE


class Channel(models.TextChoices):
    """How a call reaches the customer: the permitted forms of promotion (医药代表备案管理办法)
    as `PERMITTED_FORMS` maps them. The values are the API's (API.md): never renamed."""

    FACE_TO_FACE = "face_to_face", _("Face to face")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    MEETING = "meeting", _("Meeting")


class PromotionForm(models.TextChoices):
    """The forms of academic promotion a rep may use in China."""

    IN_INSTITUTION = "in_institution", _("Face-to-face academic promotion in the institution")
    ACADEMIC_MEETING = "academic_meeting", _("Academic meetings and lectures")
    ACADEMIC_MATERIALS = "academic_materials", _("Academic materials")
    INTERNET_PHONE = "internet_phone", _("Internet and phone")


# Each channel is one permitted form; academic materials are handed over at a call (its
# materials, with quantities), not a channel of their own.
PERMITTED_FORMS = {
    Channel.FACE_TO_FACE: PromotionForm.IN_INSTITUTION,
    Channel.MEETING: PromotionForm.ACADEMIC_MEETING,
    Channel.PHONE: PromotionForm.INTERNET_PHONE,
    Channel.VIDEO: PromotionForm.INTERNET_PHONE,
}


class CallStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class CallQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        """Calls of the territories the user may see (a rep's own, a DM's district, …). A
        regional manager's territories are an array read first (core.expressions.one_of): a
        region is a share of the company, and walking the calls by date while checking each
        one's region by a semi-join took 0.4–0.5 s at 6 million calls (array: 0.17 s). For
        everybody else a semi-join: with an array of unknown length PostgreSQL walked the
        company's calls by date for a rep's one territory (0.7 s against 64 ms). An admin sees
        every territory (no condition)."""
        territories = Territory.objects.for_user(user)
        if user.role == Role.REGIONAL:
            return self.filter(one_of("territory", territories))
        return self.filter(territory__in=territories)

    def completed(self):
        """Completed calls: the only ones that count (planned and cancelled never do)."""
        return self.filter(status=CallStatus.COMPLETED)

    def planned(self):
        return self.filter(status=CallStatus.PLANNED)

    def in_period(self, start, end):
        """Calls dated in [start, end] (inclusive, local dates)."""
        return self.filter(date__range=(start, end))

    def with_customer(self, customer):
        """Calls the customer attended (a group call counts for every attendee)."""
        return self.filter(
            Exists(CallAttendee.objects.filter(call=OuterRef("pk"), customer=customer))
        )


def desk_order():
    """The managers' calls table's order until sorted: completed calls first, then the most
    recent (an index, `call_desk_order`, serves it: the table's first page reads 50 rows)."""
    return [
        Case(When(status="completed", then=Value(0)), default=Value(1)),
        F("date").desc(),
        F("start_time").desc(),
        F("created_at").desc(),
    ]


class Call(SyncedModel):
    """One call (拜访) of a rep for a territory, with one or several attendees."""

    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.PROTECT, related_name="calls"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.PROTECT,
        related_name="calls",
    )
    customers = models.ManyToManyField(
        Customer,
        verbose_name=_("attendees"),
        through="CallAttendee",
        related_name="calls",
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, _("The duration must be more than 0 minutes."))],
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.FACE_TO_FACE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.COMPLETED
    )
    is_pim = models.BooleanField(
        _("PIM (院内会 / 科室会)"),
        default=False,
        help_text=_("A product information meeting at the hospital or department."),
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="calls"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
    )
    objective = models.TextField(_("objective"), blank=True)
    commitment_measurable = models.TextField(
        _("measurable commitment"),
        blank=True,
        help_text=_("e.g. try the product on 3 suitable patients"),
    )
    commitment_next_appointment = models.CharField(
        _("next appointment"),
        max_length=200,
        blank=True,
        help_text=_("e.g. Thursday after the outpatient clinic"),
    )
    next_appointment_date = models.DateField(
        _("next appointment date"),
        null=True,
        blank=True,
        help_text=_("Logging the call plans the next one with the same customers on this day."),
    )
    next_objective = models.TextField(_("next call objective"), blank=True)
    co_visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("co-visit by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="co_visits",
    )
    notes = models.TextField(_("notes"), blank=True)
    completed_at = models.DateTimeField(_("logged at"), null=True, blank=True, editable=False)
    # Recorded on a day its institution does not admit reps (ComplianceSettings.institution_rule
    # "flag"; calls.services.guardrails).
    outside_visiting_days = models.BooleanField(
        _("outside the institution's visiting days"), default=False, editable=False
    )
    history = HistoricalRecords()

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-date", "-start_time", "-created_at"]
        indexes = [
            # The API lists them in creation order (core.pagination): a page reads this index.
            models.Index(fields=["created_at", "id"], name="call_created"),
            models.Index(fields=["territory", "status", "date"]),
            models.Index(fields=["territory", "date"]),
            models.Index(fields=["rep", "date"]),
            models.Index(fields=["status", "date"]),
            models.Index(fields=["institution", "date"]),
            models.Index(fields=["date", "start_time"]),
            models.Index(*desk_order(), name="call_desk_order"),
            # The desk table's PIM filter: a PIM is one call in fifty, so its first page walked
            # the desk order over the other calls and its count read every call of the month
            # (2M at 650,000 customers). A partial index of the PIMs in desk order serves both.
            models.Index(*desk_order(), name="call_desk_order_pim", condition=Q(is_pim=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__gt=0),
                name="call_duration_positive",
                violation_error_message=_("The duration must be more than 0 minutes."),
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.institution} ({self.get_status_display()})"

    @property
    def is_completed(self):
        return self.status == CallStatus.COMPLETED

    def locks_at(self, call_settings=None):
        """When a completed call stops being editable (None: not completed, never locks)."""
        if self.status != CallStatus.COMPLETED or self.completed_at is None:
            return None
        call_settings = call_settings or CallSettings.load()
        return self.completed_at + timedelta(days=call_settings.grace_days)

    def is_locked(self, call_settings=None, now=None):
        locks_at = self.locks_at(call_settings)
        return locks_at is not None and (now or timezone.now()) >= locks_at


class CallAttendeeQuerySet(models.QuerySet):
    def at_completed_calls(self, start, end):
        """Attendances at completed calls dated in [start, end] (inclusive, local dates): the
        visits the compliance figures count (a group call counts for each attendee)."""
        return self.filter(call__status=CallStatus.COMPLETED, call__date__range=(start, end))


class CallAttendee(models.Model):
    """A customer at a call: one row per attendee, so a group call counts for each of them."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="attendances"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,  # erasure of a customer's personal data on request
        related_name="call_attendances",
    )
    history = HistoricalRecords()

    objects = CallAttendeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [
            models.UniqueConstraint(fields=["call", "customer"], name="call_attendee_unique"),
        ]
        indexes = [models.Index(fields=["customer", "call"])]

    def __str__(self):
        return str(self.customer)


class CallProduct(models.Model):
    """A product discussed at a call: key messages delivered, feedback, adoption stage."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="call_products"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="call_products"
    )
    key_messages = models.ManyToManyField(
        KeyMessage, verbose_name=_("key messages"), blank=True, related_name="call_products"
    )
    feedback = models.TextField(_("customer feedback"), blank=True)
    adoption_stage = models.CharField(
        _("adoption stage after the call"),
        max_length=16,
        choices=AdoptionStage.choices,
        blank=True,
    )
    history = HistoricalRecords(m2m_fields=[key_messages])

    class Meta:
        verbose_name = _("product discussed")
        verbose_name_plural = _("products discussed")
        ordering = ["product__code"]
        constraints = [
            models.UniqueConstraint(fields=["call", "product"], name="call_product_unique"),
        ]
        indexes = [models.Index(fields=["product", "call"])]

    def __str__(self):
        return str(self.product)


class CallMaterial(models.Model):
    """Material or samples handed over at a call, counted."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="call_materials"
    )
    material = models.ForeignKey(
        Material,
        verbose_name=_("material or sample"),
        on_delete=models.PROTECT,
        related_name="call_materials",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("material handed over")
        verbose_name_plural = _("materials handed over")
        ordering = ["material__name"]
        constraints = [
            models.UniqueConstraint(fields=["call", "material"], name="call_material_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="call_material_quantity_positive",
                violation_error_message=_("The quantity must be at least 1."),
            ),
        ]
        indexes = [models.Index(fields=["material", "call"])]

    def __str__(self):
        return f"{self.material} × {self.quantity}"


class CoachingCommentQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        return self.filter(call__in=Call.objects.for_user(user))


class CoachingComment(SyncedModel):
    """A manager's coaching on a rep's call (after a co-visit or from the record)."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="coaching_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="coaching_comments",
    )
    text = models.TextField(_("comment"))
    history = HistoricalRecords()

    objects = CoachingCommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("coaching comment")
        verbose_name_plural = _("coaching comments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["call", "created_at"])]

    def __str__(self):
        return self.text[:60]


class AmendmentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AmendmentQuerySet(ScopedQuerySet):
    def scoped_to(self, user):
        return self.filter(call__in=Call.objects.for_user(user))

    def pending(self):
        return self.filter(status=AmendmentStatus.PENDING)


class Amendment(SyncedModel):
    """A correction of a locked call, requested by the rep and approved or rejected by the DM.

    `changes` holds the proposed values (ids for references); `original` the call's values of
    the same fields when it was requested (same shape), so the review's before → after never
    changes afterwards. On approval the changes are applied to the call and the history keeps
    the original and every change.
    """

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="amendments"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="amendments_requested",
    )
    reason = models.TextField(_("reason"))
    changes = models.JSONField(_("proposed changes"), default=dict)
    original = models.JSONField(_("values before"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AmendmentStatus.choices, default=AmendmentStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments_decided",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    history = HistoricalRecords()

    objects = AmendmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("amendment request")
        verbose_name_plural = _("amendment requests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["call"],
                condition=Q(status="pending"),
                name="amendment_one_pending_per_call",
                violation_error_message=_("This call already has an amendment waiting."),
            ),
        ]

    def __str__(self):
        return f"{self.call} · {self.get_status_display()}"
