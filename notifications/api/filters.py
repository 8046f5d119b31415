from iqtrack.api.filters import BaseFilterSet, BooleanFilter, IdFilter
from notifications.models import Notification


class NotificationFilterSet(BaseFilterSet):
    question_id = IdFilter(field_name="question")
    unread = BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Unread only.")
    search_fields = ("text",)

    class Meta:
        model = Notification
        fields = ["kind"]
