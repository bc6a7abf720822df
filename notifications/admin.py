from django.contrib import admin

from org.admin import ReadOnlyAdminMixin

from .models import EmailOptOut, Notification, RuleRun, RuleSetting


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin):
    list_display = ["rule", "is_active", "days", "weekday", "time", "send_email"]


@admin.register(RuleRun)
class RuleRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["rule", "started_at", "finished_at", "sent", "started_by"]
    list_filter = ["rule"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "kind", "period", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "period"]
    raw_id_fields = ["user", "run"]


@admin.register(EmailOptOut)
class EmailOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "rule"]
    raw_id_fields = ["user"]
