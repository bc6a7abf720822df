from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    # The label (and so the tables, migrations and "plans.Plan" references) predates the folder's
    # rename to planning/ (DESIGN.md's layout); keeping it avoids a data migration.
    label = "plans"
    verbose_name = _("Plans")

    def ready(self):
        from core import changelog
        from org.models import Territory

        from .models import Plan

        # A plan's status (approved: colleagues read it) and territory decide who sees it.
        changelog.register_self_scoping(Plan)
        # Colleagues of the district read approved plans: a plan's deletes reach the district.
        changelog.register_place(
            Plan,
            lambda plan: (
                plan.territory_id,
                Territory.objects.filter(pk=plan.territory_id)
                .values_list("district_id", flat=True)
                .first(),
                None,
            ),
        )
        from customers import privacy

        from .selectors import personal_plans
        from .services.privacy import scrub_plans

        # A customer's privacy: the plans naming them, in their export and their erasure.
        privacy.register_export_part("plans", personal_plans)
        privacy.register_scrubber(scrub_plans)

        # A territory handed to another rep or district moves its plans' readers.
        changelog.register_dependents(
            Territory, lambda rows: [Plan.objects.filter(territory__in=[row.pk for row in rows])]
        )
