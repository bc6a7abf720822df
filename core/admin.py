from django.contrib import admin

from .models import ChangeLog, OutboxTask


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    """The tasks kept while the broker was down: shown to the operator, written by core.outbox
    only (the sweep sends them every minute)."""

    list_display = ("task", "created_at", "sent_at", "attempts")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    search_fields = ("task",)
    readonly_fields = ("task", "args", "kwargs", "created_at", "sent_at", "attempts", "last_error")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChangeLog)
class ChangeLogAdmin(admin.ModelAdmin):
    """The sync's change log (core.changelog): written by every synced save, read by the sync."""

    list_display = ("id", "txid", "model", "object_id", "op", "created_at")
    search_fields = ("model",)
    list_filter = ("model", "op")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
