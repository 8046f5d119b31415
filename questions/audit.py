"""How the domain writes: under the question's row lock, and attributed in the history.

Every write made by the workflow, the assessment and the comment functions goes through here, so
each history row names the person (not whoever happens to be in the request, nor nobody in a
Celery task), the reason, and the instant of the step it belongs to.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from questions.models import Question


def lock_question(question: Question) -> Question:
    """A fresh copy of the question, locked until the surrounding transaction ends.

    Every change to a question's workflow or assessment takes this lock first, so two of them on
    one question run one after the other (on SQLite the whole database is locked instead).
    """
    return Question.objects.select_for_update().select_related("team").get(pk=question.pk)


def save_attributed(
    instance: models.Model, actor, *, when: datetime | None = None, reason: str = ""
) -> None:
    """Save `instance` with its history row naming `actor`, `reason` and `when`."""
    instance._history_user = actor
    instance._change_reason = reason[:100] or None
    if when is not None:
        instance._history_date = when
    elif hasattr(instance, "_history_date"):
        del instance._history_date
    instance.save()
