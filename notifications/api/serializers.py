from __future__ import annotations

from rest_framework import serializers

from iqtrack.api.serializers import PlannedRead
from notifications.models import Notification
from questions.api.serializers import BriefQuestionSerializer


class NotificationSerializer(PlannedRead, serializers.ModelSerializer):
    question = BriefQuestionSerializer(read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "question", "text", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread until now.")
