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
    """The periodic sweep (settings.CELERY_BEAT_SCHEDULE)."""
    return asdict(reminders.sweep(timezone.now()))


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
    task = send_notification_emails
    try:
        # One connection attempt, no retries: never hold up the request that made the transition.
        with task.app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            task.apply_async(
                kwargs={"notification_ids": notification_ids}, connection=connection, retry=False
            )
    except Exception:
        logger.warning(
            "Broker unavailable: %d email(s) left for the next sweep", len(notification_ids)
        )
        return False
    return True
