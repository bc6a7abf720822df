from django.contrib import admin

from org.admin import ReadOnlyAdminMixin

from . import services
from .models import EmailOptOut, Notification, RuleRun, RuleSetting


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin):
    """Saved through `rule_setting_save`, as the settings page does."""

    list_display = ["rule", "is_active", "days", "weekday", "time", "send_email"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data}
        services.rule_setting_save(setting=obj, **fields)


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


def _opted_out(user):
    return set(EmailOptOut.objects.filter(user=user).values_list("rule", flat=True))


@admin.register(EmailOptOut)
class EmailOptOutAdmin(admin.ModelAdmin):
    """A person's opt-outs, written by `email_opt_outs_set` as on their settings page: added or
    removed here one at a time (a row is a person and a rule: not changed, replaced)."""

    list_display = ["user", "rule"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        rule, user = form.cleaned_data["rule"], form.cleaned_data["user"]
        services.email_opt_outs_set(user=user, rules=_opted_out(user) | {rule})
        added = EmailOptOut.objects.get(user=user, rule=rule)
        obj.pk, obj._state.adding = added.pk, False

    def delete_model(self, request, obj):
        services.email_opt_outs_set(user=obj.user, rules=_opted_out(obj.user) - {obj.rule})

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user"):
            self.delete_model(request, obj)
