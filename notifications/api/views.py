from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from iqtrack.api.base import ReadOnlyViewSet
from notifications.api.filters import NotificationFilterSet
from notifications.api.serializers import MarkedSerializer, NotificationSerializer
from notifications.delivery import mark_all_read, mark_read
from questions.visibility import visible_notifications


@extend_schema_view(
    list=extend_schema(summary="List your notifications", description="Newest first."),
    retrieve=extend_schema(summary="Read one of your notifications"),
    read=extend_schema(
        summary="Mark a notification read",
        description="Marking one that is already read changes nothing.",
        request=None,
        responses=NotificationSerializer,
    ),
    read_all=extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses=MarkedSerializer,
        filters=False,
    ),
)
class NotificationViewSet(ReadOnlyViewSet):
    """Your in-app notifications: reminders and workflow notices addressed to you."""

    visible = staticmethod(visible_notifications)
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    select_related = ("question",)
    ordering_fields = ["created_at", "read_at"]

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        mark_read(request.user, notification.pk)
        return self.object_response(self.get_object())

    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None)
    def read_all(self, request):
        return Response({"marked": mark_all_read(request.user)})
