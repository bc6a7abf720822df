"""Read paths for customers: scoped, with what each page shows fetched up front."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from org.models import Territory, in_force_on

from .models import Alignment, Customer, Department, Institution


def customer_list(user):
    return Customer.objects.for_user(user).select_related("institution", "department")


def customer_get(user, pk):
    """The customer, or 404 for one that is missing or out of the user's scope."""
    alignments = Alignment.objects.for_user(user).select_related(
        "territory__team", "territory__rep"
    )
    return get_object_or_404(
        Customer.objects.for_user(user)
        .select_related("institution", "department")
        .prefetch_related(
            Prefetch("alignments", queryset=alignments, to_attr="visible_alignments")
        ),
        pk=pk,
    )


def institution_list(user):
    return Institution.objects.for_user(user).annotate(
        customer_count=Count("customers", filter=Q(customers__in=Customer.objects.for_user(user)))
    )


def institution_get(user, pk):
    return get_object_or_404(Institution.objects.for_user(user), pk=pk)


def department_list(user, institution):
    return (
        Department.objects.for_user(user)
        .filter(institution=institution)
        .annotate(
            customer_count=Count(
                "customers", filter=Q(customers__in=Customer.objects.for_user(user))
            )
        )
    )


def department_get(user, pk):
    return get_object_or_404(Department.objects.for_user(user).select_related("institution"), pk=pk)


def territory_customer_counts(user):
    """Per visible territory: customers aligned today and how many of them are KOLs."""
    today = timezone.localdate()
    aligned = in_force_on(today, "alignments__")
    return (
        Territory.objects.for_user(user)
        .select_related("team", "district", "rep")
        .annotate(
            customer_count=Count("alignments", filter=aligned),
            kol_count=Count("alignments", filter=aligned & Q(alignments__customer__is_kol=True)),
        )
        .order_by("code")
    )
