"""Delivery: claimed records become in-app notifications; notifications become emails.

In-app delivery is exactly once by construction: the notification is created and its record
marked sent in one transaction, and a record has at most one notification (one-to-one).
Email is an external side effect, so it has its own claim: an email is sent under a claim and
marked sent right after; only a process killed between the SMTP hand-over and that UPDATE can
cause a second email, after the claim's lease has run out (see docs/reminders.md).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from iqtrack.prepared import reused_plans
from notifications import messages
from notifications.bulk import insert_rows
from notifications.choices import DEFAULT_DELIVERY, Delivery, EmailState, ReminderState
from notifications.models import Notification, NotificationPreference, Reminder
from notifications.outbox import Candidate, claim_lease, record
from questions.models import Question
from questions.visibility import seen_by_recipient, visible_notifications

# After this many failed attempts an email is given up (the in-app notification stays).
MAX_EMAIL_ATTEMPTS = 5


# ---------------------------------------------------------------------------------------------
# Preferences
# ---------------------------------------------------------------------------------------------
def deliveries_for(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """Each (user id, kind)'s chosen delivery, DEFAULT_DELIVERY when none is stored. One query."""
    pairs = set(pairs)
    chosen = {pair: DEFAULT_DELIVERY.value for pair in pairs}
    if pairs:
        stored = NotificationPreference.objects.filter(
            user_id__in={user for user, _ in pairs}, kind__in={kind for _, kind in pairs}
        ).values_list("user_id", "kind", "delivery")
        for user_id, kind, delivery in stored:
            if (user_id, kind) in chosen:
                chosen[(user_id, kind)] = delivery
    return chosen


def set_preference(user, kind: str, delivery: str) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"delivery": Delivery(delivery)}
    )
    return preference


def _email_state(recipient, delivery: str) -> str:
    if not recipient.email:
        return EmailState.NONE
    return EmailState.DIGEST if delivery == Delivery.DIGEST else EmailState.PENDING


# ---------------------------------------------------------------------------------------------
# In-app delivery of claimed records
# ---------------------------------------------------------------------------------------------
NOTIFICATION_FIELDS = (
    "recipient_id",
    "kind",
    "question_id",
    "reminder_id",
    "text",
    "created_at",
    "email_state",
    "email_attempts",
)


def deliver_claimed(token: uuid.UUID, now: datetime) -> list[int]:
    """Create the notifications for the records claimed under `token` and mark them sent.

    Returns the ids of the notifications whose email is to go out now (see `_deliver`).
    """
    with transaction.atomic():
        claimed = Reminder.objects.filter(claimed_by=token, state=ReminderState.RECORDED)
        # The row locks keep a claimer whose lease expired meanwhile from delivering these too.
        created = _deliver(claimed, claimed.select_for_update(of=("self",)), now)
        claimed.update(state=ReminderState.SENT, sent_at=now)
    return created


def record_and_deliver(candidates: Iterable[Candidate], now: datetime) -> tuple[int, list[int]]:
    """Record the keys not yet recorded, already marked sent, and create their notifications,
    in one transaction. Returns (how many were offered, the ids of the notifications whose
    email is to go out now).

    What this transaction inserts is its own until it commits (a second sweep offering the
    same key waits on the unique index, then skips it), and the record and its notification
    commit together or not at all. So unlike records left over from elsewhere, these need no
    claim, no row lock and no second write to mark them sent: at the benchmark's first sweep
    of 41,000 notices, in-process, 3.1 s became 2.6 s (bench/README.md).
    """
    with transaction.atomic():
        # Ids only grow: everything inserted below is above the newest id committed now, so
        # the records are found by a range of the primary key, not a scan of every record.
        newest = Reminder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        token = uuid.uuid4()
        offered = record(candidates, now, token, sent=True)
        fresh = Reminder.objects.filter(pk__gt=newest, claimed_by=token)
        return offered, _deliver(fresh, fresh, now)


def _deliver(records: QuerySet[Reminder], reading: QuerySet[Reminder], now: datetime) -> list[int]:
    """Create the notifications of `records` (read through `reading`, which may lock them).

    Returns the ids of the notifications whose email is to go out now. Records of people who
    chose "off", who are no longer active or who may no longer see the question get no
    notification.

    Set-based, in a fixed number of queries whatever the batch: the records with their
    visibility (one pass, questions.visibility.seen_by_recipient), the preferences, the
    questions and the people they name, and one insert. Words are composed once per question
    and kind (and period, for the kinds that quote it), not per recipient.
    """
    batch = list(
        reading.annotate(seen=ExpressionWrapper(seen_by_recipient(), output_field=BooleanField()))
        .order_by()
        .values_list(
            "pk", "kind", "question_id", "recipient_id", "period", "detail", "seen", named=True
        )
    )
    if not batch:
        return []
    # A notice names its question: only for someone who may (still) see it.
    batch = [r for r in batch if r.seen]
    deliveries = deliveries_for((r.recipient_id, r.kind) for r in batch)
    batch = [r for r in batch if deliveries[(r.recipient_id, r.kind)] != Delivery.OFF]
    questions = {
        pk: rest
        for pk, *rest in Question.objects.filter(pk__in=records.values("question_id"))
        .order_by()
        .values_list("pk", "title", "due_at", "assignee_id", "reviewer_id")
    }
    people = get_user_model().objects.in_bulk(
        {r.recipient_id for r in batch}
        | {person for q in questions.values() for person in q[2:]} - {None}
    )
    names = {pk: messages.display_name(person) for pk, person in people.items()}
    names[None] = messages.display_name(None)
    about = {
        pk: messages.About(title, due_at, names[analyst], names[reviewer])
        for pk, (title, due_at, analyst, reviewer) in questions.items()
    }
    texts: dict[tuple, str] = {}
    rows = []
    for r in batch:
        period = r.period if r.kind in messages.PERIOD_IN_TEXT else ""
        key = (r.kind, r.question_id, period, r.detail)
        if key not in texts:
            texts[key] = messages.words(r.kind, about[r.question_id], r.period, r.detail)
        state = _email_state(people[r.recipient_id], deliveries[(r.recipient_id, r.kind)])
        rows.append((r.recipient_id, r.kind, r.question_id, r.pk, texts[key], now, state, 0))
    created = insert_rows(Notification, NOTIFICATION_FIELDS, rows, returning=("id", "email_state"))
    return [pk for pk, state in created if state == EmailState.PENDING]


# ---------------------------------------------------------------------------------------------
# Email: immediate (in batches) and daily digest, each under its own claim
# ---------------------------------------------------------------------------------------------
def _waiting(state: str, now: datetime) -> QuerySet[Notification]:
    return Notification.objects.filter(email_state=state).filter(
        Q(email_claimed_by__isnull=True) | Q(email_claimed_at__lt=now - claim_lease())
    )


def _claim_emails(
    state: str, now: datetime, ids: Iterable[int] | None = None, limit: int | None = None
) -> uuid.UUID | None:
    token = uuid.uuid4()
    waiting = _waiting(state, now)
    if ids is not None:
        waiting = waiting.filter(pk__in=list(ids))
    if limit is not None:
        # The oldest first. The outer conditions are re-checked on rows another claimer just
        # took, so two claimers never share one; the loser of a race just claims fewer.
        waiting = waiting.filter(pk__in=waiting.order_by("pk").values("pk")[:limit])
    claimed = waiting.update(email_claimed_by=token, email_claimed_at=now)
    if not claimed:
        return None
    # Between the notice and its email a marking may have changed: no email about a question
    # its recipient may no longer see (the inbox hides the notice too, questions.visibility).
    Notification.objects.filter(email_claimed_by=token).exclude(seen_by_recipient()).update(
        email_state=EmailState.WITHHELD, email_claimed_by=None, email_claimed_at=None
    )
    return token


def _settle(
    token: uuid.UUID, state: str, sent: list[int], failed: list[int], now: datetime
) -> None:
    """Mark what went out as sent; give back the rest (counting an attempt for what failed)."""
    if sent:
        Notification.objects.filter(pk__in=sent).update(
            email_state=EmailState.SENT, email_sent_at=now
        )
    if failed:
        Notification.objects.filter(pk__in=failed).update(email_attempts=F("email_attempts") + 1)
        Notification.objects.filter(pk__in=failed, email_attempts__gte=MAX_EMAIL_ATTEMPTS).update(
            email_state=EmailState.FAILED
        )
    Notification.objects.filter(email_claimed_by=token, email_state=state).update(
        email_claimed_by=None, email_claimed_at=None
    )


def send_pending_emails(
    now: datetime, ids: Iterable[int] | None = None, limit: int | None = None
) -> int:
    """Email the notifications waiting to go out now (only `ids`, and at most `limit`, oldest
    first, when given), over one connection. Returns how many went.

    A failure stops the batch and is raised after the ones already sent are marked, so a
    retried task sends only what is still pending.
    """
    token = _claim_emails(EmailState.PENDING, now, ids, limit)
    if token is None:
        return 0
    batch = Notification.objects.filter(
        email_claimed_by=token, email_state=EmailState.PENDING
    ).select_related("recipient", "question")
    sent: list[int] = []
    failed: list[int] = []
    try:
        with get_connection() as connection:
            for notification in batch:
                subject, body = messages.email_for(notification)
                message = EmailMessage(subject, body, to=[notification.recipient.email])
                try:
                    # One message per call: a failure tells exactly which one did not go.
                    connection.send_messages([message])
                except Exception:
                    failed.append(notification.pk)
                    raise
                sent.append(notification.pk)
    finally:
        _settle(token, EmailState.PENDING, sent, failed, now)
    return len(sent)


def emails_waiting(now: datetime) -> int:
    """How many emails wait to go out now (not held under a live claim). One query."""
    return _waiting(EmailState.PENDING, now).count()


def send_email_batch(now: datetime) -> tuple[int, int]:
    """One task run's share of the email outbox: up to settings.REMINDER_EMAIL_BATCH, oldest
    first. Returns (sent, still waiting); the caller has the rest sent by another run."""
    sent = send_pending_emails(now, limit=settings.REMINDER_EMAIL_BATCH)
    return sent, emails_waiting(now)


def send_digests(now: datetime) -> int:
    """One email per person listing their notifications chosen for the digest. Returns emails."""
    token = _claim_emails(EmailState.DIGEST, now)
    if token is None:
        return 0
    by_recipient: dict[int, list[Notification]] = defaultdict(list)
    batch = (
        Notification.objects.filter(email_claimed_by=token, email_state=EmailState.DIGEST)
        .select_related("recipient", "question")
        .order_by("recipient_id", "created_at", "id")
    )
    for notification in batch:
        by_recipient[notification.recipient_id].append(notification)
    sent: list[int] = []
    failed: list[int] = []
    emails = 0
    try:
        with get_connection() as connection:
            for notifications in by_recipient.values():
                subject, body = messages.digest_for(notifications)
                message = EmailMessage(subject, body, to=[notifications[0].recipient.email])
                ids = [n.pk for n in notifications]
                try:
                    connection.send_messages([message])
                except Exception:
                    failed.extend(ids)
                    raise
                sent.extend(ids)
                emails += 1
    finally:
        _settle(token, EmailState.DIGEST, sent, failed, now)
    return emails


# ---------------------------------------------------------------------------------------------
# The inbox
# ---------------------------------------------------------------------------------------------
def inbox(user) -> QuerySet[Notification]:
    return visible_notifications(user).select_related("question")


def unread_count(user) -> int:
    # On every page (the header's badge), and its SQL differs from user to user only by ids:
    # a prepared statement, whose plan PostgreSQL keeps (iqtrack/prepared.py).
    with reused_plans():
        return visible_notifications(user).filter(read_at__isnull=True).count()


def mark_read(user, notification_id: int, now: datetime | None = None) -> bool:
    """Mark one of `user`'s own notifications read. False if it is not theirs or already read."""
    return bool(
        Notification.objects.filter(
            pk=notification_id, recipient=user, read_at__isnull=True
        ).update(read_at=now or timezone.now())
    )


def mark_all_read(user, now: datetime | None = None) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
