"""Record and claim: the two steps that make every notice "never lost, never twice".

1. `record` inserts (kind, question, recipient, period) keys with ON CONFLICT DO NOTHING: a key
   recorded once — by any sweep, any worker, any retry — is never recorded again. The sweep and
   the transition notices record and deliver in one transaction (delivery.record_and_deliver),
   so their records are written already sent and never need step 2.
2. `claim` marks unsent records (left by an earlier release, or recorded on their own) with a
   fresh token in one conditional UPDATE. PostgreSQL re-checks the WHERE clause on a row another
   transaction just changed, so of two concurrent claims exactly one wins each row. A claim is
   a lease: after REMINDER_CLAIM_SECONDS (longer than any task may run) a claim whose holder
   died can be taken over.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from notifications.bulk import insert_rows
from notifications.choices import ReminderState
from notifications.models import Reminder


@dataclass(frozen=True)
class Candidate:
    """A notice that is due: the unique key plus what the message needs to say."""

    kind: str
    question_id: int
    recipient_id: int
    period: str
    detail: str = ""

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.kind, self.question_id, self.recipient_id, self.period)


def claim_lease() -> timedelta:
    return timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)


def record(
    candidates: Iterable[Candidate],
    now: datetime,
    token: uuid.UUID | None = None,
    *,
    sent: bool = False,
) -> int:
    """Insert the keys not yet recorded, in one statement. Returns how many were offered.

    With `token`, what this call records is claimed under it at once: a record is inserted by
    exactly one caller (the unique key), so it is that caller's to deliver — without a second
    pass over every new row to claim it. With `sent`, they are recorded as sent: only for a
    caller that delivers them in the same transaction (delivery.record_and_deliver).
    """
    # In key order: two sweeps inserting the same keys wait for each other in the same order,
    # never each for the other.
    unique = {c.key: c for c in sorted(candidates, key=lambda c: c.key)}
    if not unique:
        return 0
    insert_rows(
        Reminder,
        RECORD_FIELDS,
        [
            (
                c.kind,
                c.question_id,
                c.recipient_id,
                c.period,
                c.detail,
                ReminderState.SENT if sent else ReminderState.RECORDED,
                now,
                token,
                now if token else None,
                now if sent else None,
            )
            for c in unique.values()
        ],
        ignore_conflicts=True,
    )
    return len(unique)


RECORD_FIELDS = (
    "kind",
    "question_id",
    "recipient_id",
    "period",
    "detail",
    "state",
    "recorded_at",
    "claimed_by",
    "claimed_at",
    "sent_at",
)


def claimable(now: datetime) -> Q:
    """Unsent, and either unclaimed or claimed by someone whose lease ran out."""
    return Q(state=ReminderState.RECORDED) & (
        Q(claimed_by__isnull=True) | Q(claimed_at__lt=now - claim_lease())
    )


def claim(
    now: datetime, within: Q | None = None, token: uuid.UUID | None = None
) -> uuid.UUID | None:
    """Claim every claimable record (optionally only those matching `within`, which must filter
    on the record's own columns so the database re-checks it under concurrency), under `token`
    or a fresh one.

    Returns the token to deliver under, or None when there was nothing to claim.
    """
    token = token or uuid.uuid4()
    records = Reminder.objects.filter(claimable(now))
    if within is not None:
        records = records.filter(within)
    claimed = records.update(claimed_by=token, claimed_at=now)
    return token if claimed else None
