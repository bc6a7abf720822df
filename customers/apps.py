from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from django.utils import timezone

        from core import changelog
        from org.models import Territory, not_ended_by

        from .models import Alignment, ClassOverride, Customer, Department, Institution, Measure

        def customers_of(ids):
            """What a customer's alignments decide the scope of."""
            return [
                Customer.objects.filter(pk__in=ids),
                Measure.objects.filter(customer__in=ids),
                ClassOverride.objects.filter(customer__in=ids),
                Institution.objects.filter(customers__in=ids),
                Department.objects.filter(customers__in=ids),
            ]

        def aligned_to(customers):
            """The territories `customers` are aligned to (now or from a future date): where
            a customer, and what hangs on it, was seen (its deletes go only there)."""
            territories = (
                Alignment.objects.filter(customer__in=customers)
                .filter(not_ended_by(timezone.localdate()))
                .values_list("territory_id", flat=True)
                .distinct()
            )
            return [changelog.place(territory=pk) for pk in territories]

        def customers_at(institution_id):
            return Customer.objects.filter(institution=institution_id).values("pk")

        changelog.register_place(Customer, lambda row: aligned_to([row.pk]))
        changelog.register_place(Measure, lambda row: aligned_to([row.customer_id]))
        changelog.register_place(ClassOverride, lambda row: aligned_to([row.customer_id]))
        changelog.register_place(Institution, lambda row: aligned_to(customers_at(row.pk)))
        changelog.register_place(
            Department, lambda row: aligned_to(customers_at(row.institution_id))
        )
        changelog.register_self_scoping(Alignment)
        # A re-alignment moves the customer (and what hangs on it) between territories.
        changelog.register_dependents(
            Alignment, lambda rows: customers_of({row.customer_id for row in rows})
        )

        # A territory handed to another rep (or moved to another district) moves its customers.
        def territory_dependents(rows):
            territories = [row.pk for row in rows]
            customers = Customer.objects.filter(alignments__territory__in=territories)
            return [
                Alignment.objects.filter(territory__in=territories),
                *customers_of(customers.values("pk")),
            ]

        changelog.register_dependents(Territory, territory_dependents)

        # Measures shown to reps or hidden from them (no 统方): every measure changes scope, so
        # the reps' clients receive them (upserts) or drop them (deletes) at their next sync.
        from org.signals import measures_visibility_changed

        def measures_scope_changed(sender, shown, **kwargs):
            changelog.record_queryset(Measure.objects.all(), changelog.ChangeOp.SCOPE)

        measures_visibility_changed.connect(
            measures_scope_changed, weak=False, dispatch_uid="customers.measures_scope_changed"
        )
