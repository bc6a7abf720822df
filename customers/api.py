"""REST API v1 of institutions, departments, customers and alignments."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from org.api import SYNCED, ScopedPrimaryKeyRelatedField, ScopedViewSet
from org.models import Role, Territory

from . import services
from .models import Alignment, Customer, CustomerKind, Department, Institution
from .services import CUSTOMER_FIELDS


class InstitutionSerializer(serializers.ModelSerializer):
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
        )


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = (*SYNCED, "institution", "name", "name_en", "specialty", "daily_patients")


class CustomerSerializer(serializers.ModelSerializer):
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
        fields = (*SYNCED, *CUSTOMER_FIELDS, "territory")

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
        return services.customer_update(
            by=self.context["request"].user, customer=instance, **validated_data
        )


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
        return services.alignment_save(alignment=instance, **validated_data)


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    institution = django_filters.UUIDFilter()
    department = django_filters.UUIDFilter()
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices)
    is_kol = django_filters.BooleanFilter()

    class Meta:
        model = Customer
        fields = ["q", "institution", "department", "kind", "is_kol"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class InstitutionViewSet(ScopedViewSet):
    model = Institution
    serializer_class = InstitutionSerializer
    filterset_fields = ["kind", "city", "province"]


class DepartmentViewSet(ScopedViewSet):
    model = Department
    serializer_class = DepartmentSerializer
    filterset_fields = {"institution": ["exact"]}


class CustomerViewSet(ScopedViewSet):
    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    write_roles = frozenset({Role.REP, Role.DM})


class AlignmentViewSet(ScopedViewSet):
    model = Alignment
    serializer_class = AlignmentSerializer
    filterset_fields = {"customer": ["exact"], "territory": ["exact"]}
    write_roles = frozenset({Role.DM})
