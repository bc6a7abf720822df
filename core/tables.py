"""Desk tables (django-tables2) the managers' lists share: rendered by
templates/includes/desk_table.html with the project's CSS, sorted by `?sort=`, paged by
`?page=`; both kept in the URL with the filters (the `{% querystring %}` tag)."""

import django_tables2 as tables
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django_tables2 import RequestConfig

from .text import localized


def person(user):
    """A user's name in the active language (falling back to the other, then the login)."""
    if user is None:
        return ""
    return localized(user.name, getattr(user, "name_en", "")) or user.get_username()


def klass_badge(klass, text=""):
    """The `{% klass_badge %}` look in a cell."""
    return render_to_string("includes/klass_badge.html", {"klass": klass, "text": text})


def joined(values, sep=", "):
    return format_html_join(sep, "{}", ((v,) for v in values if v))


def status_badge(value, label):
    return format_html('<span class="status status-{}">{}</span>', value, label)


class DeskTable(tables.Table):
    """The base of a desk table: the shared template, `sort` and `page` as URL parameters;
    an unknown sort column is ignored (django-tables2 drops it)."""

    class Meta:
        template_name = "includes/desk_table.html"
        attrs = {"class": "table desk"}
        order_by_field = "sort"
        page_field = "page"
        per_page = settings.PAGE_SIZE

    # CappedPaginator for a table that may hold millions of rows.
    paginator_class = Paginator

    def paginate(self, paginator_class=None, *args, **kwargs):
        return super().paginate(paginator_class or self.paginator_class, *args, **kwargs)


# A capped table counts its rows up to this many ("10,000+" above).
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (`SELECT COUNT(*) FROM (… LIMIT 10001)`), so a table of
    millions of rows costs what one of ten thousand does: `count` stops at COUNT_CAP and
    `capped` says there are more (the pages stop there too; the filters narrow, the export
    holds every row)."""

    cap = COUNT_CAP

    @cached_property
    def _counted(self):
        rows = self.object_list
        data = getattr(rows, "data", None)  # a table's BoundRows: TableQuerysetData
        queryset = getattr(data, "data", None)
        if not isinstance(queryset, QuerySet):
            return len(rows)
        # Kept on the table's data: django-tables2 pages a table twice (at creation with its
        # request, then in configure()), one count for both.
        if getattr(data, "_capped_count", None) is None:
            data._capped_count = queryset.order_by().values("pk")[: self.cap + 1].count()
        return data._capped_count

    @cached_property
    def count(self):
        return min(self._counted, self.cap)

    @property
    def capped(self):
        return self._counted > self.cap


def configure(request, table):
    """Sort and page `table` as the request asks (a page past the end shows the last one)."""
    RequestConfig(request, paginate={"per_page": settings.PAGE_SIZE, "silent": True}).configure(
        table
    )
    return table
