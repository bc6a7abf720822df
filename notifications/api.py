"""`notifications/`: the caller's own notifications (newest first), `?read=true|false`;
`POST notifications/{id}/read/` marks one read, `POST notifications/read_all/` all of them."""

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import sync
from core.pagination import Pagination

from . import services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "message",
            "url",
            "created_at",
            "read",
            "read_at",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class NotificationFilter(django_filters.FilterSet):
    read = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", exclude=True)
    kind = django_filters.CharFilter()

    class Meta:
        model = Notification
        fields = ["read", "kind"]


class NewestFirst(Pagination):
    ordering = ("-created_at", "-id")


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Notification
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        return Notification.objects.for_user(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_read(user=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None, responses=inline_serializer("ReadAll", {"read": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"])
    def read_all(self, request):
        return Response({"read": services.notifications_read_all(user=request.user)})


sync.register("notifications", NotificationViewSet)
