"""REST API v1 of institutions, departments, customers and alignments, and of the segmentation:
measures, thresholds (with their reclassification jobs), overrides and a customer's classes."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from core import sync
from core.api import IF_MATCH, HistoryMixin, VersionedMixin
from core.exports import json_download
from core.ids import uuid_or_404
from org.api import SYNCED, IsAdmin, ScopedPrimaryKeyRelatedField, ScopedViewSet
from org.models import Product, Role, Territory

from . import selectors, services
from .models import (
    Alignment,
    ChangeRequest,
    ChangeRequestStatus,
    ClassOverride,
    ClassSource,
    Customer,
    CustomerKind,
    CustomerStatus,
    Department,
    Erasure,
    Import,
    ImportKind,
    Institution,
    Klass,
    Measure,
    Reclassification,
    RepVisits,
    Threshold,
)
from .services import CONSENT_FIELDS, CUSTOMER_FIELDS


class WeekdaysField(serializers.ListField):
    """An institution's rep visiting days: ISO weekdays (1 Monday … 7 Sunday), stored "25"."""

    child = serializers.IntegerField(min_value=1, max_value=7)

    def to_representation(self, value):
        return [int(day) for day in value or ""]

    def to_internal_value(self, data):
        days = super().to_internal_value(data)
        if len(set(days)) != len(days):
            raise serializers.ValidationError(_("A weekday is listed twice."))
        return "".join(str(day) for day in sorted(days))


class InstitutionSerializer(serializers.ModelSerializer):
    rep_visit_days = WeekdaysField(
        required=False,
        help_text=_(
            "With rep_visits `set_days`: the ISO weekdays (1 Monday … 7 Sunday) reps are "
            "admitted on."
        ),
    )

    class Meta:
        model = Institution
        fields = (
            *SYNCED,
            "name",
            "name_en",
            "kind",
            "level",
            "city",
            "province",
            "beds",
            "daily_outpatients",
            "external_id",
            "rep_visits",
            "rep_visit_days",
        )

    def validate(self, attrs):
        """The rules of the visiting days (Institution.clean) as a 400 naming the field."""
        probe = Institution(
            rep_visits=attrs.get(
                "rep_visits", getattr(self.instance, "rep_visits", RepVisits.ALLOWED)
            ),
            rep_visit_days=attrs.get(
                "rep_visit_days", getattr(self.instance, "rep_visit_days", "")
            ),
        )
        try:
            probe.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        attrs["rep_visit_days"] = probe.rep_visit_days
        return attrs


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = (
            *SYNCED,
            "institution",
            "name",
            "name_en",
            "specialty",
            "daily_patients",
            "external_id",
        )


class CustomerSerializer(serializers.ModelSerializer):
    klass = serializers.SerializerMethodField(
        help_text=_("The customer's class in the caller's visible territories today.")
    )
    institution = ScopedPrimaryKeyRelatedField(Institution)
    department = ScopedPrimaryKeyRelatedField(Department, allow_null=True, required=False)
    territory = ScopedPrimaryKeyRelatedField(
        Territory,
        write_only=True,
        required=False,
        help_text=_(
            "On create: the territory the customer is aligned to from today. A rep or DM with "
            "one territory may leave it out (that one); an admin or an integration may leave "
            "it out to create the customer without an alignment (add alignments/ from any date)."
        ),
    )

    status = serializers.ChoiceField(
        CustomerStatus.choices,
        read_only=True,
        help_text=_(
            "pending: created by a rep, waiting for a data steward (admin) to verify, merge or "
            "reject it; verified otherwise."
        ),
    )

    class Meta:
        model = Customer
        fields = (*SYNCED, *CUSTOMER_FIELDS, *CONSENT_FIELDS, "territory", "klass", "status")

    @extend_schema_field(serializers.ChoiceField(Klass.choices, allow_null=True))
    def get_klass(self, customer):
        """The `klass` annotation of the list (selectors.with_klass); one query otherwise."""
        if not hasattr(customer, "klass"):
            user = self.context["request"].user
            customer.klass = (
                selectors.with_klass(Customer.objects.filter(pk=customer.pk), user)
                .values_list("klass", flat=True)
                .first()
            )
        return customer.klass

    def create(self, validated_data):
        return services.customer_create(by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("territory", None)
        customer = services.customer_update(
            by=self.context["request"].user,
            customer=instance,
            expected_version=self.context.get("expected_version"),
            **validated_data,
        )
        customer.__dict__.pop("klass", None)  # a change of kind changes the class
        return customer


class AlignmentSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(Customer)
    territory = ScopedPrimaryKeyRelatedField(Territory)

    class Meta:
        model = Alignment
        fields = (*SYNCED, "customer", "territory", "valid_from", "valid_to")
        extra_kwargs = {"valid_from": {"required": False}}

    def create(self, validated_data):
        return services.alignment_save(alignment=Alignment(), **validated_data)

    def update(self, instance, validated_data):
        return services.alignment_save(
            alignment=instance,
            expected_version=self.context.get("expected_version"),
            **validated_data,
        )


# Segmentation.

STRATEGY_CODES = {
    Klass.A: ("defend", pgettext_lazy("strategy", "defend")),
    Klass.B: ("attack", pgettext_lazy("strategy", "attack")),
    Klass.C: ("maintain", pgettext_lazy("strategy", "maintain")),
    Klass.D: ("observe", pgettext_lazy("strategy", "observe")),
    Klass.N: ("non_prescriber", pgettext_lazy("strategy", "non-prescriber")),
}


class AmountField(serializers.DecimalField):
    """A measure or threshold as a JSON number (the services refuse negative ones)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


class MeasureSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(Customer)
    product = ScopedPrimaryKeyRelatedField(Product)
    potential = AmountField(help_text=Measure._meta.get_field("potential").help_text)
    support = AmountField(help_text=Measure._meta.get_field("support").help_text)

    class Meta:
        model = Measure
        fields = (*SYNCED, "customer", "product", "potential", "support", "valid_from", "author")
        read_only_fields = ("author",)
        extra_kwargs = {"valid_from": {"required": False}}
        validators = []  # a second measure of the same customer, product and day replaces the first

    def create(self, validated_data):
        return services.measure_save(by=self.context["request"].user, **validated_data)


class ReclassificationSerializer(serializers.ModelSerializer):
    """A reclassification job; also the `job` of a threshold (one component, one status enum)."""

    progress = serializers.FloatField(read_only=True, help_text=_("From 0 to 1."))

    class Meta:
        model = Reclassification
        fields = (
            "id",
            "product",
            "threshold",
            "status",
            "progress",
            "batches",
            "batches_done",
            "changed",
            "error",
            "created_by",
            "created_at",
            "finished_at",
        )
        read_only_fields = fields


class ThresholdSerializer(serializers.ModelSerializer):
    product = ScopedPrimaryKeyRelatedField(Product)
    potential_min = AmountField()
    support_min = AmountField()
    job = serializers.SerializerMethodField(
        help_text=_("The reclassification this threshold started (poll reclassifications/{id}/).")
    )

    class Meta:
        model = Threshold
        fields = (
            *SYNCED,
            "product",
            "potential_min",
            "support_min",
            "valid_from",
            "reason",
            "author",
            "job",
        )
        read_only_fields = ("author",)
        extra_kwargs = {"valid_from": {"required": False}, "reason": {"required": False}}
        validators = []  # new thresholds of the same product and day replace the earlier ones

    @extend_schema_field(ReclassificationSerializer(allow_null=True))
    def get_job(self, threshold):
        job = getattr(threshold, "job", None)  # set by services.threshold_save
        if job is None:
            jobs = getattr(threshold, "latest_jobs", None)
            if jobs is None:
                jobs = list(threshold.jobs.order_by("-created_at")[:1])
            job = jobs[0] if jobs else None
        return ReclassificationSerializer(job).data if job else None

    def create(self, validated_data):
        return services.threshold_save(by=self.context["request"].user, **validated_data)


class OverrideSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(Customer)
    product = ScopedPrimaryKeyRelatedField(Product)
    klass = serializers.ChoiceField(
        Klass.choices, help_text=_("A to D: a non-prescriber is always N.")
    )
    reason = serializers.CharField(max_length=300, allow_blank=True)

    class Meta:
        model = ClassOverride
        fields = (
            *SYNCED,
            "customer",
            "product",
            "klass",
            "reason",
            "valid_from",
            "cleared_on",
            "author",
            "cleared_by",
        )
        read_only_fields = ("cleared_on", "author", "cleared_by")
        extra_kwargs = {"valid_from": {"required": False}}

    def create(self, validated_data):
        return services.override_create(by=self.context["request"].user, **validated_data)


class OverrideClearSerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text=_("First day of the computed class again; default today.")
    )


class OnDateSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)


class ProductClassSerializer(serializers.Serializer):
    product = serializers.UUIDField()
    klass = serializers.ChoiceField(Klass.choices, allow_null=True)
    source = serializers.ChoiceField(ClassSource.choices, allow_null=True)
    valid_from = serializers.DateField(
        allow_null=True, help_text=_("Since when the class in force applies.")
    )
    strategy = serializers.ChoiceField(
        [code for code, _label in STRATEGY_CODES.values()], allow_null=True
    )
    strategy_label = serializers.CharField(allow_null=True)
    strategy_text = serializers.CharField(allow_null=True)
    potential = AmountField(allow_null=True)
    support = AmountField(allow_null=True)
    override = serializers.UUIDField(
        allow_null=True, help_text=_("The override in force on that day, if any.")
    )


class TerritoryClassSerializer(serializers.Serializer):
    territory = serializers.UUIDField()
    klass = serializers.ChoiceField(Klass.choices, allow_null=True)


class CustomerClassesSerializer(serializers.Serializer):
    customer = serializers.UUIDField()
    on = serializers.DateField()
    products = ProductClassSerializer(many=True)
    territories = TerritoryClassSerializer(many=True)


def classes_payload(customer, classes):
    """selectors.customer_classes as the API answers it."""
    products = []
    for row in sorted(classes["products"], key=lambda row: row["product"].code):
        klass, measure, override = row["klass"], row["measure"], row["override"]
        code, label = STRATEGY_CODES[klass] if klass else (None, None)
        products.append(
            {
                "product": row["product"].pk,
                "klass": klass,
                "source": row["source"],
                "valid_from": row["since"],
                "strategy": code,
                "strategy_label": label,
                "strategy_text": row["strategy"],
                "potential": measure.potential if measure else None,
                "support": measure.support if measure else None,
                "override": override.pk if override else None,
            }
        )
    return {
        "customer": customer.pk,
        "on": classes["on"],
        "products": products,
        "territories": [
            {"territory": row["territory"].pk, "klass": row["klass"]}
            for row in classes["territories"]
        ],
    }


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    institution = django_filters.UUIDFilter()
    department = django_filters.UUIDFilter()
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices)
    is_kol = django_filters.BooleanFilter()
    klass = django_filters.ChoiceFilter(
        choices=Klass.choices,
        label=_("Class"),
        help_text=_("The class in the caller's visible territories today."),
        method="filter_klass",
    )

    status = django_filters.ChoiceFilter(choices=CustomerStatus.choices)

    class Meta:
        model = Customer
        fields = ["q", "institution", "department", "kind", "is_kol", "klass", "status"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_klass(self, queryset, name, value):
        return selectors.having_klass(queryset, self.request.user, value)


class InstitutionViewSet(ScopedViewSet):
    model = Institution
    serializer_class = InstitutionSerializer
    filterset_fields = ["kind", "level", "city", "province"]


class DepartmentViewSet(ScopedViewSet):
    model = Department
    serializer_class = DepartmentSerializer
    filterset_fields = {"institution": ["exact"]}


class ErasureRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        help_text=_(
            "Why the person's data is erased (e.g. the request and its date); it may not name "
            "the person."
        ),
    )


class ErasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Erasure
        fields = ("customer", "erased_by", "erased_at", "reason")


class StewardReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, help_text=_("Why the customer is rejected (the rep reads it).")
    )


class StewardMergeSerializer(serializers.Serializer):
    into = serializers.UUIDField(help_text=_("The customer kept: this one is merged into it."))


STEWARD_ONLY = [permissions.IsAuthenticated, IsAdmin]


class CustomerViewSet(HistoryMixin, ScopedViewSet):
    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    write_roles = frozenset({Role.REP, Role.DM})
    version_checked_by_service = True  # services.customer_update, under its row lock

    @extend_schema(
        description=_(
            "Create a customer. A rep's or DM's is aligned to `territory` from today (a rep or "
            "DM with one territory may leave it out). An admin's or an integration's (a "
            "master-data system signs in as an admin user) is aligned only when `territory` is "
            "given: without it the customer is created without any alignment, and alignments/ "
            "aligns it from any date."
        )
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.with_klass(super().get_queryset(), self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "on",
                OpenApiTypes.DATE,
                description=_("The day (YYYY-MM-DD) the classes are in force; default today."),
            )
        ],
        responses=CustomerClassesSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def classes(self, request, pk=None):
        """The customer's class per product and per visible territory on a day (history-exact)."""
        customer = self.get_object()
        form = OnDateSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        day = form.validated_data.get("on") or timezone.localdate()
        classes = selectors.customer_classes(request.user, customer, day)
        return Response(CustomerClassesSerializer(classes_payload(customer, classes)).data)

    @extend_schema(
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        filters=False,
        description=_(
            "Admins: everything held about the person (PIPL / GDPR) as a JSON file — profile, "
            "classes, measures, overrides, alignments, history, calls attended, plans."
        ),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def export(self, request, pk=None):
        customer = self.get_object()  # out of scope: 404
        if not services.can_erase_customers(request.user):
            raise exceptions.PermissionDenied(_("Only admins may do this."))
        return json_download(
            selectors.personal_data(customer),
            f"customer-{customer.pk}-{timezone.localdate().isoformat()}.json",
        )

    # The data steward's actions (admins): 409 when another steward decided first.

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], permission_classes=STEWARD_ONLY)
    def verify(self, request, pk=None):
        """A pending customer becomes verified."""
        customer = services.customer_verify(
            by=request.user, customer=self.get_object(), expected_version=self.expected_version()
        )
        return Response(self.get_serializer(self._fresh(customer)).data)

    @extend_schema(request=StewardMergeSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], permission_classes=STEWARD_ONLY)
    def merge(self, request, pk=None):
        """Merge this customer into `into`: its calls, alignments, measures, overrides and plan
        targets move over; this customer is deleted (a sync delete). Answers the kept one."""
        customer = self.get_object()
        form = StewardMergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        into = Customer.objects.for_user(request.user).filter(pk=form.validated_data["into"])
        into = into.first()
        if into is None:
            raise serializers.ValidationError({"into": [_("No such customer.")]})
        kept = services.customer_merge(
            by=request.user, customer=customer, into=into, expected_version=self.expected_version()
        )
        return Response(self.get_serializer(self._fresh(kept)).data)

    @extend_schema(request=StewardReasonSerializer, responses={204: None})
    @action(detail=True, methods=["post"], permission_classes=STEWARD_ONLY)
    def reject(self, request, pk=None):
        """Reject a pending customer (with a reason): it is deleted (a sync delete); the calls
        it attended stay, without it."""
        customer = self.get_object()
        form = StewardReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.customer_reject(
            by=request.user,
            customer=customer,
            reason=form.validated_data["reason"],
            expected_version=self.expected_version(),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _fresh(self, customer):
        return self.get_queryset().get(pk=customer.pk)

    @extend_schema(request=ErasureRequestSerializer, responses=ErasureSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def erase(self, request, pk=None):
        """Admins: erase the person's personal data on request (PIPL / GDPR); the calls,
        classes and counts stay. 409 when erased already. Clients receive a sync delete."""
        if not services.can_erase_customers(request.user):
            self.get_object()  # out of scope: 404
            raise exceptions.PermissionDenied(_("Only admins may do this."))
        customer = get_object_or_404(Customer._base_manager.all(), pk=pk)
        form = ErasureRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        erasure = services.customer_erase(
            by=request.user, customer=customer, reason=form.validated_data["reason"]
        )
        return Response(ErasureSerializer(erasure).data)


# Change requests of a verified customer's identity fields (services.stewardship).


class ChangeLineSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("name, institution, department, kind or role_group"))
    label = serializers.CharField(help_text=_("The field's name in the user's language."))
    before = serializers.CharField(
        allow_null=True, help_text=_("The value when the rep asked (references by id).")
    )
    after = serializers.CharField(allow_null=True, help_text=_("The value the rep asks for."))
    before_display = serializers.CharField(help_text=_("The value before, as a person reads it."))
    after_display = serializers.CharField(help_text=_("The value after, as a person reads it."))


class ChangeRequestSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    changes = serializers.SerializerMethodField(help_text=_("Before → after, per field."))

    class Meta:
        model = ChangeRequest
        fields = (
            "id",
            "version",
            "customer",
            "customer_name",
            "status",
            "requested_by",
            "requested_at",
            "changes",
            "decided_by",
            "decided_at",
            "reason",
        )
        read_only_fields = fields

    @extend_schema_field(ChangeLineSerializer(many=True))
    def get_changes(self, change):
        if not hasattr(change, "lines"):
            selectors.change_request_lines([change])
        return [
            {
                "field": line["name"],
                "label": str(line["field"]),
                "before": change.before.get(line["name"]),
                "after": change.changes.get(line["name"]),
                "before_display": str(line["before"]),
                "after_display": str(line["after"]),
            }
            for line in change.lines
        ]


class ChangeRequestReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, help_text=_("Why the change is refused (the rep reads it).")
    )


class ChangeRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=ChangeRequestStatus.choices,
        help_text=_("Without it: an admin's list shows the open requests, a rep's all theirs."),
    )
    customer = django_filters.UUIDFilter()

    class Meta:
        model = ChangeRequest
        fields = ["status", "customer"]


class ChangeRequestViewSet(VersionedMixin, viewsets.ReadOnlyModelViewSet):
    """Changes reps and DMs asked for to a verified customer's identity fields (name,
    institution, department, kind), waiting for the data steward. Admins see every request
    (the list: the open ones unless `status` says otherwise) and accept or reject them; a rep or
    DM sees the ones they asked, of customers in their scope. `If-Match` on a decision: the
    request's `version`, which grows each time the rep adds to it (412 when stale)."""

    model = ChangeRequest
    serializer_class = ChangeRequestSerializer
    filterset_class = ChangeRequestFilter
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return ChangeRequest.objects.none()
        found = ChangeRequest.objects.for_user(self.request.user).select_related("customer")
        if (
            self.action == "list"
            and self.request.user.is_admin
            and "status" not in self.request.query_params
        ):
            found = found.open()
        return found

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return selectors.change_request_lines(page) if page is not None else page

    def _to_decide(self):
        """The request (out of scope: 404); 403 for anyone but a steward."""
        change = self.get_object()
        if not services.can_steward(self.request.user):
            raise exceptions.PermissionDenied(_("Only admins may do this."))
        return change

    def _answer(self, change):
        return Response(self.get_serializer(self.get_queryset().get(pk=change.pk)).data)

    @extend_schema(
        request=None,
        responses=ChangeRequestSerializer,
        parameters=[IF_MATCH],
        description=_(
            "Admins: apply the change to the customer. 409 when the request was decided or "
            "the customer merged or rejected meanwhile; 400 when the change is no longer valid."
        ),
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        change = self._to_decide()
        services.change_request_accept(
            by=request.user, request=change, expected_version=self.expected_version()
        )
        return self._answer(change)

    @extend_schema(
        request=ChangeRequestReasonSerializer,
        responses=ChangeRequestSerializer,
        parameters=[IF_MATCH],
        description=_(
            "Admins: refuse the change, with a reason the rep reads. 409 when the request was "
            "decided or the customer merged or rejected meanwhile."
        ),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        change = self._to_decide()
        form = ChangeRequestReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.change_request_reject(
            by=request.user,
            request=change,
            reason=form.validated_data["reason"],
            expected_version=self.expected_version(),
        )
        return self._answer(change)


class AlignmentViewSet(HistoryMixin, ScopedViewSet):
    model = Alignment
    serializer_class = AlignmentSerializer
    filterset_fields = {"customer": ["exact"], "territory": ["exact"]}
    write_roles = frozenset({Role.DM})
    version_checked_by_service = True  # services.alignment_save, under its row lock


class MeasureViewSet(ScopedViewSet):
    """Measures are versions by `valid_from`: they are added, never changed or deleted.
    Admins write them; writing one reclassifies that customer for that product."""

    model = Measure
    serializer_class = MeasureSerializer
    filterset_fields = {"customer": ["exact"], "product": ["exact"]}
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(responses={200: MeasureSerializer, 201: MeasureSerializer})
    def create(self, request, *args, **kwargs):
        """201 with a new measure; 200 when it replaced the customer's measure of that product
        and day (so sending the same measure again changes nothing)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            replaced = Measure.objects.filter(
                customer=data["customer"],
                product=data["product"],
                valid_from=data.get("valid_from") or timezone.localdate(),
            ).exists()
            serializer.save()
        return Response(
            serializer.data, status=status.HTTP_200_OK if replaced else status.HTTP_201_CREATED
        )


class ThresholdViewSet(HistoryMixin, ScopedViewSet):
    """Every user reads the thresholds; admins add them. Each one is a new version (of one
    product and day the latest is in force; earlier ones are kept unchanged). A new threshold
    starts a reclassification job: `job`."""

    model = Threshold
    serializer_class = ThresholdSerializer
    filterset_fields = {"product": ["exact"]}
    http_method_names = ["get", "post", "head", "options"]
    prefetch_related = (
        Prefetch(
            "jobs",
            queryset=Reclassification.objects.order_by("-created_at"),
            to_attr="latest_jobs",
        ),
    )


class ReclassificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Reclassification jobs, for admins to poll `status`, `progress` and `changed`."""

    serializer_class = ReclassificationSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdmin]
    filterset_fields = {"product": ["exact"], "threshold": ["exact"]}
    queryset = Reclassification.objects.all()


class OverrideViewSet(ScopedViewSet):
    """Class overrides: DMs (their district's customers) and admins add and clear them."""

    model = ClassOverride
    serializer_class = OverrideSerializer
    filterset_fields = {"customer": ["exact"], "product": ["exact"]}
    write_roles = frozenset({Role.DM})
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=OverrideClearSerializer, responses=OverrideSerializer)
    @action(detail=True, methods=["post"])
    def clear(self, request, pk=None):
        """End the override: from `on` (default today) the computed class applies again."""
        override = self.get_object()
        form = OverrideClearSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            override = services.override_clear(
                by=request.user, override=override, on=form.validated_data.get("on")
            )
        except DjangoValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {}
            if "cleared_on" in errors:  # the field the client sends is `on`
                raise serializers.ValidationError({"on": errors["cleared_on"]}) from error
            raise
        return Response(self.get_serializer(override).data)


# Import of measures from CSV or XLSX (customers/services/imports.py).


class MeasureImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "CSV (UTF-8 or GB18030) or XLSX with a header row: customer, product, potential, "
            "support and optionally valid_from (or 客户, 产品, 潜力, 支持度, 生效日期)."
        )
    )
    dry_run = serializers.BooleanField(
        default=True, help_text=_("Check and report the class changes; write nothing.")
    )


class MeasureImportChangeSerializer(serializers.Serializer):
    old = serializers.CharField(allow_null=True, help_text=_("The class before; null: none."))
    new = serializers.CharField(allow_null=True, help_text=_("The class after; null: none."))
    count = serializers.IntegerField()
    label = serializers.CharField(help_text=_("e.g. “B → A: 12”"))


class MeasureImportMoverSerializer(serializers.Serializer):
    customer = serializers.UUIDField()
    name = serializers.CharField()
    product = serializers.CharField(help_text=_("The product code."))
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class MeasureImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField(help_text=_("Rows read."))
    created = serializers.IntegerField(help_text=_("New measures."))
    replaced = serializers.IntegerField(help_text=_("Measures of the same day replaced."))
    unchanged = serializers.IntegerField(help_text=_("Rows equal to the measure in place."))
    on = serializers.DateField(help_text=_("The day the classes are compared on."))
    moved = serializers.IntegerField(help_text=_("Customers (per product) changing class."))
    changes = MeasureImportChangeSerializer(many=True)
    customers = MeasureImportMoverSerializer(many=True, help_text=_("The first 100 who move."))


class MeasureImportView(viewsets.ViewSet):
    """Admins import measures from a file. Every row is checked first: one bad row and nothing
    is written (400, row-numbered messages in `errors.file`). A dry run reports what the import
    would do, class changes included, and writes nothing."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]

    @extend_schema(
        request={"multipart/form-data": MeasureImportSerializer},
        responses={200: MeasureImportReportSerializer},
    )
    def create(self, request):
        from .services.imports import measures_import

        form = MeasureImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = measures_import(
            by=request.user,
            file=form.validated_data["file"],
            dry_run=form.validated_data["dry_run"],
        )
        return Response(report.as_dict())


# Imports of master data (customers/services/bulk_import.py).


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "CSV (UTF-8 or GB18030) or XLSX; the header row names the resource's fields (or "
            "their Chinese labels); a workbook has one sheet per kind, named after it."
        )
    )
    kind = serializers.ChoiceField(ImportKind.choices)
    dry_run = serializers.BooleanField(
        default=True, help_text=_("Check and report per row; write nothing.")
    )


class ImportErrorSerializer(serializers.Serializer):
    sheet = serializers.CharField(help_text=_("The sheet of a workbook; empty for a CSV."))
    row = serializers.IntegerField(
        allow_null=True, help_text=_("As the file shows it (header = row 1).")
    )
    column = serializers.CharField(help_text=_("The column's header as in the file."))
    message = serializers.CharField()


class ImportOutcomeSerializer(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField()
    outcome = serializers.ChoiceField(["created", "changed", "unchanged"])
    key = serializers.CharField(help_text=_("The record's name or external id."))
    fields = serializers.ListField(
        child=serializers.CharField(), help_text=_("The columns that change.")
    )


class ImportJobSerializer(serializers.ModelSerializer):
    job = serializers.UUIDField(source="pk", read_only=True)
    progress = serializers.FloatField(read_only=True, help_text=_("0 to 1."))
    errors = ImportErrorSerializer(many=True, read_only=True)
    outcomes = ImportOutcomeSerializer(
        many=True, read_only=True, help_text=_("The first 1,000 rows' outcomes.")
    )

    class Meta:
        model = Import
        fields = (
            "job",
            "kind",
            "dry_run",
            "file_name",
            "status",
            "progress",
            "rows",
            "created",
            "changed",
            "unchanged",
            "error_count",
            "errors",
            "outcomes",
            "created_at",
            "finished_at",
        )
        read_only_fields = fields


class ImportView(APIView):
    """Admins import master data; DMs their district's alignments. 202 with the job to poll at
    `imports/{id}/` (a small file is done before the answer). An empty file or one over the
    size limit is a 400 at once; every other problem is an error of the job, naming its row and
    column, and nothing is written."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={202: ImportJobSerializer},
    )
    def post(self, request):
        from .services import bulk_import

        form = ImportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if not bulk_import.can_import(request.user, data["kind"]):
            raise PermissionDenied(_("You may not import this kind of data."))
        job = bulk_import.import_start(
            by=request.user, file=data["file"], kind=data["kind"], dry_run=data["dry_run"]
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobView(APIView):
    """An import's status, progress (0–1), counts and errors (the caller's own; admins: all)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The job.")
        ],
        responses={200: ImportJobSerializer},
    )
    def get(self, request, **kwargs):
        job = get_object_or_404(
            Import.objects.for_user(request.user).defer("data"), pk=uuid_or_404(kwargs["id"])
        )
        return Response(ImportJobSerializer(job).data)


sync.register("institutions", InstitutionViewSet)
sync.register("departments", DepartmentViewSet)
sync.register("customers", CustomerViewSet)
sync.register("alignments", AlignmentViewSet)
sync.register("measures", MeasureViewSet)
sync.register("thresholds", ThresholdViewSet)
sync.register("overrides", OverrideViewSet)
