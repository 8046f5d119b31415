"""Two steps racing on one question, on real PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.db.models.signals import pre_save

from questions import workflow
from questions.choices import Action, Status
from questions.exceptions import NotAllowedForState, TransitionConflict
from questions.models import Question, Review, Transition
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db(transaction=True)


def hold_the_lock_a_while(sender, **kwargs) -> None:
    """Widen the window between the state check and the write, inside the locked transaction.

    Without the row lock both racers would pass the check in this window and both would write.
    """
    time.sleep(0.3)


def race(question: Question, *steps) -> list:
    """Run the steps at once, each in its own thread and database connection."""
    start = threading.Barrier(len(steps))
    outcomes: list = [None] * len(steps)

    def run(index: int, step) -> None:
        try:
            mine = Question.objects.get(pk=question.pk)  # what this person's page showed
            start.wait()
            outcomes[index] = step(mine)
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, step)) for i, step in enumerate(steps)]
    pre_save.connect(hold_the_lock_a_while, sender=Transition)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        pre_save.disconnect(hold_the_lock_a_while, sender=Transition)
    return outcomes


@pytest.mark.parametrize("attempt", range(3))
def test_approve_racing_return_lets_exactly_one_win(lead, analyst, reviewer, attempt):
    question = question_in(Status.IN_REVIEW, Cast(lead, analyst, reviewer))

    outcomes = race(
        question,
        lambda q: workflow.approve(q, reviewer, comment="Sound."),
        lambda q: workflow.return_(q, reviewer, comment="Weak sourcing."),
    )

    winners = [o for o in outcomes if isinstance(o, Transition)]
    losers = [o for o in outcomes if not isinstance(o, Transition)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], TransitionConflict | NotAllowedForState)
    steps = Transition.objects.filter(question=question, action__in=["approve", "return"])
    assert steps.count() == 1
    assert Review.objects.filter(assessment__question=question).count() == 1
    question.refresh_from_db()
    assert question.status == winners[0].to_status


def test_closing_racing_approval_lets_exactly_one_win(lead, analyst, reviewer):
    question = question_in(Status.IN_REVIEW, Cast(lead, analyst, reviewer))

    outcomes = race(
        question,
        lambda q: workflow.approve(q, reviewer),
        lambda q: workflow.close(q, lead, reason="Overtaken by events."),
    )

    assert sum(isinstance(o, Transition) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, TransitionConflict) for o in outcomes) == 1, outcomes
    actions = Transition.objects.filter(question=question).values_list("action", flat=True)
    assert sum(a in (Action.APPROVE, Action.CLOSE) for a in actions) == 1
