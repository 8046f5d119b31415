"""The words of each notice, in the app and by email. Pure functions over loaded objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class About:
    """What a notice's words say about its question: enough to word every kind."""

    title: str
    due_at: datetime | None
    analyst: str  # a display name, "nobody" when none
    reviewer: str

    @classmethod
    def of(cls, question: Question) -> About:
        return cls(
            question.title, question.due_at, _name(question.assignee), _name(question.reviewer)
        )


# The kinds whose words quote the period (the moment it counts from); the others' words are the
# same for every period, so a batch words them once per question (delivery.deliver_claimed).
PERIOD_IN_TEXT = frozenset(
    {Kind.REVIEW_WAITING, Kind.REVIEW_ESCALATION, Kind.UNASSIGNED, Kind.STALE}
)


def words(kind: str, about: About, period: str, detail: str) -> str:
    """What the recipient reads: what happened or is due, on which question, and why them."""
    title = f"«{about.title}»"
    match Kind(kind):
        case Kind.ASSIGNED:
            text = f"Assigned: {title} — analyst {about.analyst}, reviewer {about.reviewer}."
        case Kind.SUBMITTED:
            text = f"Submitted for your review: {title}."
        case Kind.RETURNED:
            text = f"Returned with comments: {title}."
        case Kind.APPROVED:
            text = f"Approved: {title} is now assessed."
        case Kind.REOPENED:
            text = f"Reopened: {title}."
        case Kind.CLOSED:
            text = f"Closed: {title}."
        case Kind.DUE_SOON:
            text = f"Due soon: {title} is due {when(about.due_at)}."
        case Kind.OVERDUE:
            text = f"Overdue: {title} was due {when(about.due_at)}."
        case Kind.OVERDUE_ESCALATION:
            text = (
                f"Overdue, escalated to you as team lead: {title} was due "
                f"{when(about.due_at)} (analyst: {about.analyst})."
            )
        case Kind.REVIEW_WAITING:
            text = f"Waiting for your review since {_since(period)}: {title}."
        case Kind.REVIEW_ESCALATION:
            text = (
                f"Review waiting since {_since(period)}, escalated to you as team lead: "
                f"{title} (reviewer: {about.reviewer})."
            )
        case Kind.UNASSIGNED:
            text = f"No analyst yet: {title} has been open since {_since(period)}."
        case Kind.STALE:
            text = f"Stale analysis: no new evidence or edit on {title} since {_since(period)}."
        case Kind.NEW_EVIDENCE:
            text = f"New evidence on assessed question {title}: the conclusion may need revisiting."
    detail = detail.strip()
    if detail:
        text += f"\n\nComment: {detail}"
    return text


def notice_text(reminder: Reminder) -> str:
    """The words of one notice. `reminder` is a Reminder (saved or not) with question, its
    assignee and reviewer loaded."""
    return words(reminder.kind, About.of(reminder.question), reminder.period, reminder.detail)


def display_name(user) -> str:
    return _name(user)


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
