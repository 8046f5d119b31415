"""Celery entry points. Each is safe to run twice: the work they call claims before it acts."""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from notifications import delivery, reminders

logger = logging.getLogger(__name__)

# Database and mail server hiccups are worth retrying; SMTP errors are OSErrors. Backoff with
# jitter so a fleet of retries does not hammer a recovering server in step.
RETRYING = {
    "autoretry_for": (OperationalError, InterfaceError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRYING)
def sweep_reminders() -> dict[str, int]:
    """The periodic sweep (settings.CELERY_BEAT_SCHEDULE). It sends one batch of emails; a
    larger backlog goes on in `send_email_backlog`, one batch per run."""
    result = reminders.sweep(timezone.now())
    if result.emails_left:
        _queue(send_email_backlog, "the email backlog")
    return asdict(result)


@shared_task(**RETRYING)
def send_email_backlog() -> int:
    """One batch of the emails waiting to go out; queues the next run while more wait.

    Runs racing each other share the work (each claims its own batch) and stop when nothing
    is left; if the chain breaks (broker down, worker lost), the next sweep takes it up.
    """
    sent, left = delivery.send_email_batch(timezone.now())
    if left:
        _queue(send_email_backlog, "the email backlog")
    return sent


@shared_task(**RETRYING)
def send_notification_emails(*, notification_ids: list[int]) -> int:
    """Email these notifications now, if they are still waiting for it."""
    return delivery.send_pending_emails(timezone.now(), ids=notification_ids)


@shared_task(**RETRYING)
def send_daily_digests() -> int:
    return delivery.send_digests(timezone.now())


def queue_emails(notification_ids: list[int]) -> bool:
    """Hand emails to a worker without waiting for the broker. Returns whether it took them.

    With the broker down this fails fast and quietly: the emails stay pending in the database
    and the next sweep sends them.
    """
    what = f"{len(notification_ids)} email(s)"
    return _queue(send_notification_emails, what, notification_ids=notification_ids)


def _queue(task, what: str, **kwargs) -> bool:
    try:
        # One connection attempt, no retries: never hold up the request that made the transition.
        with task.app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            task.apply_async(kwargs=kwargs, connection=connection, retry=False)
    except Exception:
        logger.warning("Broker unavailable: %s left for the next sweep", what)
        return False
    return True
