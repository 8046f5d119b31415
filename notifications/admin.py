from django.contrib import admin

from iqtrack.admin_base import VisibleAdminMixin
from notifications.models import Notification, NotificationPreference, Reminder, TeamReminderPolicy


@admin.register(TeamReminderPolicy)
class TeamReminderPolicyAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["team", "due_soon_hours", "overdue_escalation_days", "review_waiting_days"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["user", "kind", "delivery"]
    list_filter = ["kind", "delivery"]


@admin.register(Reminder)
class ReminderAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """The outbox, for looking only: records are written by the sweep."""

    list_display = ["kind", "question", "recipient", "period", "state", "recorded_at", "sent_at"]
    list_filter = ["kind", "state"]
    readonly_fields = [f.name for f in Reminder._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["recipient", "kind", "question", "created_at", "read_at", "email_state"]
    list_filter = ["kind", "email_state"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
