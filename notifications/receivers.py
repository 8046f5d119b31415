"""Reacting to the workflow: questions.signals.question_transitioned, connected in apps.py."""

from __future__ import annotations

import logging

from notifications import tasks
from notifications.transitions import notify_transition

logger = logging.getLogger(__name__)


def on_question_transitioned(sender, transition, **kwargs) -> None:
    """Deliver a committed transition's notices in-app now, and queue their emails.

    Never raises: the transition has committed, and a notice missed here is recorded by the next
    sweep (notifications.transitions.CATCH_UP).
    """
    try:
        email_ids = notify_transition(transition)
    except Exception:
        logger.exception("Notices of transition %s left for the next sweep", transition.pk)
        return
    if email_ids:
        tasks.queue_emails(email_ids)
