"""Cursor pagination of every API list: `{"results": [...], "next": url|null}`."""

from rest_framework.pagination import CursorPagination


class Pagination(CursorPagination):
    """`{"results": [...], "next": url|null}`; `page_size` up to 500."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("created_at", "id")

    def get_ordering(self, request, queryset, view):
        """Creation order; the primary key alone for models without `created_at`."""
        names = {field.name for field in queryset.model._meta.get_fields()}
        return self.ordering if "created_at" in names else ("pk",)

    def get_paginated_response(self, data):
        from rest_framework.response import Response

        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
            },
        }
