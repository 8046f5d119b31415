"""What iqtrack notifies people about, and how each person wants to hear about it."""

from __future__ import annotations

from django.db import models

from questions.choices import Action


class Kind(models.TextChoices):
    # Sent when the workflow moves a question (questions.signals.question_transitioned).
    ASSIGNED = "assigned", "Question assigned"
    SUBMITTED = "submitted", "Assessment submitted for review"
    RETURNED = "returned", "Assessment returned with comments"
    APPROVED = "approved", "Assessment approved"
    REOPENED = "reopened", "Question reopened"
    CLOSED = "closed", "Question closed"
    # Reminders, found by the periodic sweep (notifications.reminders).
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    OVERDUE_ESCALATION = "overdue_escalation", "Overdue (escalated to the lead)"
    REVIEW_WAITING = "review_waiting", "Review waiting"
    REVIEW_ESCALATION = "review_escalation", "Review waiting (escalated to the lead)"
    UNASSIGNED = "unassigned", "Open without an analyst"
    STALE = "stale", "Stale analysis"
    NEW_EVIDENCE = "new_evidence", "New evidence on an assessed question"


# The workflow verb behind each transition notice. Publishing and starting analysis notify nobody.
KIND_FOR_ACTION: dict[str, Kind] = {
    Action.ASSIGN: Kind.ASSIGNED,
    Action.SUBMIT: Kind.SUBMITTED,
    Action.RETURN: Kind.RETURNED,
    Action.APPROVE: Kind.APPROVED,
    Action.REOPEN: Kind.REOPENED,
    Action.CLOSE: Kind.CLOSED,
}
TRANSITION_KINDS: frozenset[str] = frozenset(KIND_FOR_ACTION.values())


class Delivery(models.TextChoices):
    """A person's choice per kind. Without a stored preference: immediately."""

    IMMEDIATELY = "immediately", "Immediately (in iqtrack and by email)"
    DIGEST = "digest", "In iqtrack now, by email in the daily digest"
    OFF = "off", "Not at all"


DEFAULT_DELIVERY = Delivery.IMMEDIATELY


class ReminderState(models.TextChoices):
    """A reminder record is written before anything is sent and marked sent in the same
    transaction that creates the in-app notification."""

    RECORDED = "recorded", "Recorded"
    SENT = "sent", "Sent"


class EmailState(models.TextChoices):
    NONE = "none", "No email (the person has no address)"
    PENDING = "pending", "To send now"
    DIGEST = "digest", "Waiting for the daily digest"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up after retries)"
    WITHHELD = "withheld", "Not sent: the person may no longer see the question"
