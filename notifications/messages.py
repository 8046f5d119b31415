"""The words of each notice, in the app and by email. Pure functions over loaded objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from evidence.choices import Tlp
from notifications.choices import Kind

if TYPE_CHECKING:
    from notifications.models import Notification, Reminder
    from questions.models import Question

# Markings whose content must not leave iqtrack by email: the email only says where to look.
EMAIL_WITHHELD_TLP = frozenset({Tlp.RED, Tlp.AMBER_STRICT})


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _since(period: str) -> str:
    """The moment a period starts from (ISO timestamp, optionally followed by '#n')."""
    try:
        return when(datetime.fromisoformat(period.split("#", 1)[0]))
    except ValueError:
        return period


def _name(user) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


def notice_text(reminder: Reminder) -> str:
    """What the recipient reads: what happened or is due, on which question, and why them.

    `reminder` is a Reminder (saved or not) with question, its team, assignee and reviewer loaded.
    """
    q = reminder.question
    title = f"«{q.title}»"
    detail = reminder.detail.strip()
    texts = {
        Kind.ASSIGNED: f"Assigned: {title} — analyst {_name(q.assignee)}, "
        f"reviewer {_name(q.reviewer)}.",
        Kind.SUBMITTED: f"Submitted for your review: {title}.",
        Kind.RETURNED: f"Returned with comments: {title}.",
        Kind.APPROVED: f"Approved: {title} is now assessed.",
        Kind.REOPENED: f"Reopened: {title}.",
        Kind.CLOSED: f"Closed: {title}.",
        Kind.DUE_SOON: f"Due soon: {title} is due {when(q.due_at)}.",
        Kind.OVERDUE: f"Overdue: {title} was due {when(q.due_at)}.",
        Kind.OVERDUE_ESCALATION: f"Overdue, escalated to you as team lead: {title} was due "
        f"{when(q.due_at)} (analyst: {_name(q.assignee)}).",
        Kind.REVIEW_WAITING: f"Waiting for your review since {_since(reminder.period)}: {title}.",
        Kind.REVIEW_ESCALATION: f"Review waiting since {_since(reminder.period)}, escalated to "
        f"you as team lead: {title} (reviewer: {_name(q.reviewer)}).",
        Kind.UNASSIGNED: f"No analyst yet: {title} has been open since {_since(reminder.period)}.",
        Kind.STALE: f"Stale analysis: no new evidence or edit on {title} since "
        f"{_since(reminder.period)}.",
        Kind.NEW_EVIDENCE: f"New evidence on assessed question {title}: "
        "the conclusion may need revisiting.",
    }
    text = texts[Kind(reminder.kind)]
    if detail:
        text += f"\n\nComment: {detail}"
    return text


def _withheld(question: Question) -> bool:
    return question.tlp in EMAIL_WITHHELD_TLP


def _email_line(notification: Notification) -> str:
    q = notification.question
    if _withheld(q):
        return (
            f"{notification.get_kind_display()} on question {q.key} "
            f"({q.get_tlp_display()}: read it in iqtrack)."
        )
    return notification.text


def email_for(notification: Notification) -> tuple[str, str]:
    """Subject and body of the email that goes with one notification."""
    q = notification.question
    subject_about = f"question {q.key}" if _withheld(q) else q.title
    subject = f"[iqtrack] {notification.get_kind_display()}: {subject_about}"[:200]
    return subject, _email_line(notification) + "\n"


def digest_for(notifications: Sequence[Notification]) -> tuple[str, str]:
    """One email listing a person's notifications since the last digest, oldest first."""
    lines = [f"- {when(n.created_at)}  {_email_line(n)}" for n in notifications]
    subject = f"[iqtrack] Daily digest: {len(notifications)} notification" + (
        "s" if len(notifications) != 1 else ""
    )
    return subject, "\n".join(lines) + "\n"
