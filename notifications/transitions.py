"""Notices of workflow transitions: who hears about which step.

The Transition row, committed with the status change, is itself the outbox: the receiver of
questions.signals.question_transitioned records and delivers the notices at once, and every sweep
re-offers the transitions of the last CATCH_UP period, so a notice whose signal never ran (the
process died right after the commit) is still sent — once, thanks to the unique key.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from notifications import delivery
from notifications.choices import KIND_FOR_ACTION
from notifications.outbox import Candidate
from questions.choices import Action
from questions.models import Transition

CATCH_UP = timedelta(days=3)

# Who is told of each step. The person who took the step is never told of it.
RECIPIENTS: dict[str, tuple[str, ...]] = {
    Action.ASSIGN: ("analyst", "reviewer"),
    Action.SUBMIT: ("reviewer",),
    Action.RETURN: ("analyst",),
    Action.APPROVE: ("lead", "analyst"),
    Action.REOPEN: ("lead", "analyst", "reviewer"),
    Action.CLOSE: ("lead", "analyst", "reviewer"),
}


def transition_candidates(
    *, since: datetime | None = None, transition_ids: list[int] | None = None
) -> list[Candidate]:
    """The notices of recent transitions (or of the given ones), in one query."""
    transitions = Transition.objects.filter(action__in=list(RECIPIENTS))
    if since is not None:
        transitions = transitions.filter(created_at__gte=since)
    if transition_ids is not None:
        transitions = transitions.filter(pk__in=transition_ids)
    rows = transitions.order_by().values_list(
        "pk",
        "action",
        "question_id",
        "actor_id",
        "comment",
        "question__assignee_id",
        "question__reviewer_id",
        "question__team__lead_id",
    )
    candidates = []
    for pk, action, question_id, actor_id, comment, analyst, reviewer, lead in rows:
        people = {"analyst": analyst, "reviewer": reviewer, "lead": lead}
        for role in RECIPIENTS[action]:
            recipient = people[role]
            if recipient is not None and recipient != actor_id:
                candidates.append(
                    Candidate(KIND_FOR_ACTION[action], question_id, recipient, str(pk), comment)
                )
    return candidates


def notify_transition(transition: Transition, now: datetime | None = None) -> list[int]:
    """Record and deliver in-app the notices of one committed transition.

    Safe to call twice. Returns the ids of notifications whose email is to go out now.
    """
    now = now or timezone.now()
    candidates = transition_candidates(transition_ids=[transition.pk])
    return delivery.record_and_deliver(candidates, now)[1] if candidates else []
