from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from calls.signals import amendment_decided, amendment_requested, coaching_commented
        from core import changelog
        from customers.signals import customer_reviewed
        from planning.signals import plan_event

        from .models import Notification
        from .signals import (
            amendment_decision,
            amendment_request,
            coaching_comment,
            master_data_decision,
            plan_decided,
        )

        # A notification was seen by its user only: its delete goes to nobody else.
        changelog.register_place(Notification, lambda row: changelog.place(user=row.user_id))

        from customers import privacy

        from .services import scrub_customer

        # A customer's erasure scrubs the messages that name them.
        privacy.register_scrubber(scrub_customer)

        plan_event.connect(plan_decided, dispatch_uid="notifications.plan_decided")
        amendment_requested.connect(
            amendment_request, dispatch_uid="notifications.amendment_requested"
        )
        amendment_decided.connect(amendment_decision, dispatch_uid="notifications.amendment")
        coaching_commented.connect(coaching_comment, dispatch_uid="notifications.coaching")
        customer_reviewed.connect(master_data_decision, dispatch_uid="notifications.master_data")
