"""Notification records: what was decided, what was delivered, and how each person wants it.

A `Reminder` is the outbox record of every notice iqtrack decides to send — a threshold passed
or a transition happened — under a unique key (kind, question, recipient, period). The sweep
records it first, claims it, and marks it sent in the same transaction that creates the in-app
`Notification`; the Notification then carries the email's own outbox state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from evidence.models import choice_check
from notifications.choices import DEFAULT_DELIVERY, Delivery, EmailState, Kind, ReminderState

User = settings.AUTH_USER_MODEL


@dataclass(frozen=True)
class Thresholds:
    """When each reminder falls due. The defaults below apply unless a team overrides them."""

    due_soon_hours: int = 48
    overdue_escalation_days: int = 2
    review_waiting_days: int = 2
    review_escalation_days: int = 4
    unassigned_days: int = 3
    stale_days: int = 7

    def delta(self, name: str) -> timedelta:
        value = getattr(self, name)
        return timedelta(hours=value) if name.endswith("_hours") else timedelta(days=value)


DEFAULT_THRESHOLDS = Thresholds()
THRESHOLD_NAMES: tuple[str, ...] = tuple(Thresholds.__dataclass_fields__)


def _threshold_field(name: str) -> models.PositiveSmallIntegerField:
    unit = "hours" if name.endswith("_hours") else "days"
    return models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=f"In {unit}; blank uses the default ({getattr(DEFAULT_THRESHOLDS, name)}).",
    )


class TeamReminderPolicy(models.Model):
    """A team's overrides of the default reminder thresholds (blank fields keep the default)."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="reminder_policy"
    )
    due_soon_hours = _threshold_field("due_soon_hours")
    overdue_escalation_days = _threshold_field("overdue_escalation_days")
    review_waiting_days = _threshold_field("review_waiting_days")
    review_escalation_days = _threshold_field("review_escalation_days")
    unassigned_days = _threshold_field("unassigned_days")
    stale_days = _threshold_field("stale_days")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "team reminder policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__isnull": True}) | models.Q(**{f"{name}__gte": 1}),
                name=f"notifications_policy_{name}_positive",
            )
            for name in THRESHOLD_NAMES
        ]

    def __str__(self) -> str:
        return f"Reminder policy of {self.team}"

    @property
    def thresholds(self) -> Thresholds:
        overrides = {
            name: getattr(self, name) for name in THRESHOLD_NAMES if getattr(self, name) is not None
        }
        return Thresholds(**overrides)


class Reminder(models.Model):
    """One notice iqtrack decided to send, recorded before it is sent (the outbox)."""

    kind = models.CharField(max_length=24, choices=Kind.choices)
    # Indexed by notifications_reminder_identity, whose first column it is.
    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders")
    period = models.CharField(
        max_length=64,
        help_text="What makes this notice distinct: the due date, the day, the submission, "
        "the transition… A second notice with the same key is never recorded.",
    )
    detail = models.TextField(blank=True, help_text="E.g. the reviewer's comment on a return.")
    state = models.CharField(
        max_length=10, choices=ReminderState.choices, default=ReminderState.RECORDED
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # A claim is a lease: a deliverer that died leaves a claim that expires, and the next sweep
    # takes the record over (settings.REMINDER_CLAIM_SECONDS).
    claimed_by = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "question", "recipient", "period"], name="notifications_once"
            ),
            # What a notification's one foreign key refers to (Notification, below); the
            # question first, so that it is also the index of a question's records.
            models.UniqueConstraint(
                fields=["question", "recipient", "id"], name="notifications_reminder_identity"
            ),
            choice_check("kind", Kind),
            choice_check("state", ReminderState),
            models.CheckConstraint(
                condition=models.Q(state=ReminderState.SENT, sent_at__isnull=False)
                | models.Q(state=ReminderState.RECORDED, sent_at__isnull=True),
                name="notifications_reminder_sent_has_time",
            ),
        ]
        indexes = [
            # The claim and the deliverer only ever look at unsent records: keep that index tiny.
            models.Index(
                fields=["claimed_by", "claimed_at"],
                condition=models.Q(state=ReminderState.RECORDED),
                name="notifications_reminder_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id} ({self.period})"


class Notification(models.Model):
    """What a person sees in iqtrack, and the state of the email that goes with it.

    Its recipient and question are its record's, copied so that the inbox reads one table. In
    PostgreSQL one foreign key checks all three: (reminder, question, recipient) must be a record
    (migration 0003). So each notification costs one check as it is written, not three; the
    sweep writes tens of thousands at once, and at 41,000 its commit went from 2.2 to 1.4 s
    (bench/README.md). The record's own keys check the question and the person. The
    ORM's cascades are unchanged (on_delete); on SQLite the three columns are left unchecked.
    """

    # Indexed by notifications_inbox, whose first column it is.
    recipient = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_constraint=False,
        db_index=False,
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    question = models.ForeignKey(
        "questions.Question",
        on_delete=models.CASCADE,
        related_name="notifications",
        db_constraint=False,
    )
    # One notification per record, structurally: a second deliverer cannot create a duplicate.
    reminder = models.OneToOneField(
        Reminder, on_delete=models.CASCADE, related_name="notification", db_constraint=False
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    email_claimed_by = models.UUIDField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choice_check("kind", Kind),
            choice_check("email_state", EmailState),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notifications_inbox"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notifications_unread",
            ),
            # The email outbox: only notifications still waiting for an email.
            models.Index(
                fields=["email_state", "email_claimed_at"],
                condition=models.Q(email_state__in=[EmailState.PENDING, EmailState.DIGEST]),
                name="notifications_email_outbox",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class NotificationPreference(models.Model):
    """How one person wants to hear about one kind. No row means DEFAULT_DELIVERY."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=DEFAULT_DELIVERY)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notifications_preference_once"),
            choice_check("kind", Kind),
            choice_check("delivery", Delivery),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} — {self.get_delivery_display()}"
