"""The managers' customer table (django-tables2): sortable on indexed columns (name,
institution, kind), exported as shown (core.exports)."""

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.search import found_first
from core.tables import CappedPaginator, DeskTable, klass_badge
from core.text import clean_search, localized


class CustomerTable(DeskTable):
    name = tables.Column(verbose_name=_("name"), order_by=("name", "pk"))
    institution = tables.Column(
        verbose_name=_("institution"), order_by=("institution__name", "name")
    )
    department = tables.Column(verbose_name=_("department"), orderable=False, default="")
    kind = tables.Column(verbose_name=_("kind"), order_by=("kind", "name"))
    klass = tables.Column(verbose_name=_("class"), orderable=False, empty_values=())
    territory = tables.Column(
        verbose_name=_("territory"), accessor="desk_territory", orderable=False, default=""
    )
    last_call = tables.Column(
        verbose_name=_("last call"), orderable=False, default="", attrs={"td": {"class": "nowrap"}}
    )
    quarter_calls = tables.Column(
        verbose_name=_("calls this quarter"),
        orderable=False,
        attrs={"th": {"class": "num"}, "td": {"class": "num"}},
    )

    class Meta(DeskTable.Meta):
        empty_text = _("No customers match these filters.")

    # "10,000+": an admin's class or search filter would count 600,000 customers' classes.
    paginator_class = CappedPaginator

    def __init__(self, *args, request=None, **kwargs):
        self.searching = bool(request is not None and clean_search(request.GET.get("q")).strip())
        super().__init__(*args, request=request, **kwargs)

    def order_name(self, queryset, is_descending):
        """By name; search results after they are found (core.search.found_first)."""
        name = found_first("name") if self.searching else F("name")
        order = name.desc() if is_descending else name.asc()
        return queryset.order_by(order, "-pk" if is_descending else "pk"), True

    def render_name(self, record):
        name = localized(record.name, record.name_en)
        if record.is_kol:
            return format_html(
                '<a href="{}">{}</a> <span class="tag">{}</span>',
                reverse("customers:detail", args=[record.pk]),
                name,
                _("KOL"),
            )
        return format_html(
            '<a href="{}">{}</a>', reverse("customers:detail", args=[record.pk]), name
        )

    def value_name(self, record):
        return localized(record.name, record.name_en)

    def render_institution(self, record):
        return record.institution.display_name

    def render_department(self, record):
        return record.department.display_name if record.department_id else ""

    def render_kind(self, record):
        return record.get_kind_display()

    def render_klass(self, record):
        klass = getattr(record, "klass", None)
        return klass_badge(klass, record.role_group if klass == "N" else "")

    def value_klass(self, record):
        klass = getattr(record, "klass", None) or ""
        return (record.role_group or klass) if klass == "N" else klass

    def render_territory(self, record):
        return localized(record.desk_territory, record.desk_territory_en)

    def render_last_call(self, value):
        return value.isoformat()

    def value_last_call(self, value):
        return value
