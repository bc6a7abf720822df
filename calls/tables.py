"""The managers' calls table (django-tables2): one row per call, sortable on indexed columns
(date, rep, institution, status), exported as shown (core.exports)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.tables import CappedPaginator, DeskTable, joined, klass_badge, person, status_badge
from core.text import localized

FEEDBACK_CHARS = 60


def _customers(call):
    return [localized(a.customer.name, a.customer.name_en) for a in call.attendances.all()]


def _products(call):
    return [p.product.display_name for p in call.call_products.all()]


def _messages(call):
    return [
        localized(m.text, m.text_en) for p in call.call_products.all() for m in p.key_messages.all()
    ]


def outside_visiting_days_badge():
    """The badge of a call flagged as outside its institution's visiting days."""
    return format_html(
        '<span class="tag flag" title="{}">{}</span>',
        _("Recorded on a day the institution does not admit rep visits."),
        _("Outside visiting days"),
    )


def _feedback(call):
    return " / ".join(p.feedback for p in call.call_products.all() if p.feedback)


class CallTable(DeskTable):
    date = tables.Column(
        verbose_name=_("date"),
        order_by=("date", "start_time", "created_at"),
        attrs={"td": {"class": "nowrap"}},
    )
    rep = tables.Column(verbose_name=_("rep"), order_by=("rep__name", "date"))
    customers = tables.Column(verbose_name=_("customers"), accessor="pk", orderable=False)
    institution = tables.Column(
        verbose_name=_("institution"), order_by=("institution__name", "date")
    )
    klass = tables.Column(verbose_name=_("class"), orderable=False, empty_values=())
    products = tables.Column(verbose_name=_("products"), accessor="pk", orderable=False)
    key_messages = tables.Column(verbose_name=_("key messages"), accessor="pk", orderable=False)
    feedback = tables.Column(
        verbose_name=_("feedback"), accessor="pk", orderable=False, attrs={"td": {"class": "clip"}}
    )
    status = tables.Column(verbose_name=_("status"), order_by=("status", "date"))
    # Shown as a badge in the status cell; a column of its own in the exports.
    outside_visiting_days = tables.Column(
        verbose_name=_("Outside visiting days"), visible=False, orderable=False
    )

    class Meta(DeskTable.Meta):
        empty_text = _("No calls match these filters.")

    paginator_class = CappedPaginator  # "10,000+": a month of a national company is millions

    def render_date(self, record):
        when = record.date.isoformat()
        if record.start_time:
            when += " " + record.start_time.strftime("%H:%M")
        return format_html('<a href="{}">{}</a>', reverse("calls:detail", args=[record.pk]), when)

    def value_date(self, record):
        return record.date

    def render_rep(self, record):
        return person(record.rep)

    def render_customers(self, record):
        return joined(_customers(record), "、")

    def value_customers(self, record):
        return "、".join(_customers(record))

    def render_institution(self, record):
        if record.department_id:
            return format_html(
                '{}<span class="sub muted small">{}</span>',
                record.institution.display_name,
                record.department.display_name,
            )
        return record.institution.display_name

    def value_institution(self, record):
        if record.department_id:
            return f"{record.institution.display_name} · {record.department.display_name}"
        return record.institution.display_name

    def render_klass(self, record):
        return klass_badge(record.klass)

    def value_klass(self, record):
        return record.klass or ""

    def render_products(self, record):
        return joined(_products(record))

    def value_products(self, record):
        return ", ".join(_products(record))

    def render_key_messages(self, record):
        return joined(_messages(record), "; ")

    def value_key_messages(self, record):
        return "; ".join(_messages(record))

    def render_feedback(self, record):
        text = _feedback(record)
        if not text:
            return ""
        return format_html(
            '<span title="{}">{}</span>', text, Truncator(text).chars(FEEDBACK_CHARS)
        )

    def value_feedback(self, record):
        return _feedback(record)

    def render_status(self, record):
        badge = status_badge(record.status, record.get_status_display())
        if record.outside_visiting_days:
            return format_html("{} {}", badge, outside_visiting_days_badge())
        return badge

    def value_outside_visiting_days(self, record):
        return _("Yes") if record.outside_visiting_days else ""

    def value_status(self, record):
        return record.get_status_display()
