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
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import sync
from org.api import SYNCED, IsAdmin, ScopedPrimaryKeyRelatedField, ScopedViewSet
from org.models import Product, Role, Territory

from . import selectors, services
from .models import (
    Alignment,
    ClassOverride,
    ClassSource,
    Customer,
    CustomerKind,
    Department,
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
        fields = (*SYNCED, "institution", "name", "name_en", "specialty", "daily_patients")


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
            "On create: the territory the customer is aligned to from today "
            "(default: the rep's only territory)."
        ),
    )

    class Meta:
        model = Customer
        fields = (*SYNCED, *CUSTOMER_FIELDS, *CONSENT_FIELDS, "territory", "klass")

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
        user = self.context["request"].user
        territory = validated_data.pop("territory", None)
        if territory is None:
            territories = list(Territory.objects.for_user(user)[:2])
            if len(territories) != 1:
                raise serializers.ValidationError({"territory": [_("This field is required.")]})
            territory = territories[0]
        return services.customer_create(by=user, territory=territory, **validated_data)

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
    )

    class Meta:
        model = Customer
        fields = ["q", "institution", "department", "kind", "is_kol", "klass"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class InstitutionViewSet(ScopedViewSet):
    model = Institution
    serializer_class = InstitutionSerializer
    filterset_fields = ["kind", "level", "city", "province"]


class DepartmentViewSet(ScopedViewSet):
    model = Department
    serializer_class = DepartmentSerializer
    filterset_fields = {"institution": ["exact"]}


class CustomerViewSet(ScopedViewSet):
    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    write_roles = frozenset({Role.REP, Role.DM})
    version_checked_by_service = True  # services.customer_update, under its row lock

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


class AlignmentViewSet(ScopedViewSet):
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


class ThresholdViewSet(ScopedViewSet):
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


sync.register("institutions", InstitutionViewSet)
sync.register("departments", DepartmentViewSet)
sync.register("customers", CustomerViewSet)
sync.register("alignments", AlignmentViewSet)
sync.register("measures", MeasureViewSet)
sync.register("thresholds", ThresholdViewSet)
sync.register("overrides", OverrideViewSet)
