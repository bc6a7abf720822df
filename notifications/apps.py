from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from plans.signals import plan_event

        from .signals import plan_decided

        plan_event.connect(plan_decided, dispatch_uid="notifications.plan_decided")
