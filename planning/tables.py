"""The managers' plans table (django-tables2): sortable on rep, territory, quarter, status and
submission; exported as shown (core.exports)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import DeskTable, person, status_badge

from .models import PlanStatus

NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


class PlanTable(DeskTable):
    rep = tables.Column(verbose_name=_("rep"), order_by=("rep__name", "quarter"))
    territory = tables.Column(verbose_name=_("territory"), order_by=("territory__code", "quarter"))
    quarter = tables.Column(verbose_name=_("quarter"), order_by=("quarter", "territory__code"))
    status = tables.Column(verbose_name=_("status"), order_by=("status", "submitted_at"))
    submitted_at = tables.Column(
        verbose_name=_("submitted"), order_by=("submitted_at",), attrs={"td": {"class": "nowrap"}}
    )
    days_waiting = tables.Column(
        verbose_name=_("days waiting"), accessor="pk", order_by=("-submitted_at",), attrs=NUM
    )
    targets_count = tables.Column(verbose_name=_("focus customers"), attrs=NUM)
    planned_calls = tables.Column(verbose_name=_("planned calls"), attrs=NUM)
    adherence = tables.Column(
        verbose_name=_("adherence"), accessor="pk", orderable=False, attrs=NUM
    )

    class Meta(DeskTable.Meta):
        empty_text = _("No plans match these filters.")

    def __init__(self, *args, totals=None, **kwargs):
        """`totals`: planning.selectors.team_adherence of the rows (one quarter), else None."""
        super().__init__(*args, **kwargs)
        self.totals = totals or {}

    def value_adherence(self, record):
        adherence = self.totals.get(record.pk, {}).get("adherence")
        return None if adherence is None else round(adherence * 100)

    def render_adherence(self, record):
        value = self.value_adherence(record)
        return "—" if value is None else f"{value} %"

    def render_rep(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("planning:detail", args=[record.pk]), person(record.rep)
        )

    def value_rep(self, record):
        return person(record.rep)

    def render_territory(self, record):
        return record.territory.display_name

    def render_status(self, record):
        return status_badge(record.status, record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()

    def render_submitted_at(self, value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

    def value_submitted_at(self, value):
        return value

    def render_days_waiting(self, record):
        if record.status != PlanStatus.SUBMITTED or record.submitted_at is None:
            return "—"
        return (timezone.localdate() - timezone.localtime(record.submitted_at).date()).days

    def value_days_waiting(self, record):
        waiting = self.render_days_waiting(record)
        return "" if waiting == "—" else waiting
