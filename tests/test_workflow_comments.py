"""Comments between analyst, reviewer and lead, kept in the question's history."""

from __future__ import annotations

import pytest

from questions.choices import Status
from questions.comments import add_comment
from questions.exceptions import NotAllowedForState, NotAllowedForUser, ValidationFailed
from questions.history import question_history
from questions.models import Comment
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(lead, analyst, reviewer):
    return question_in(Status.IN_REVIEW, Cast(lead, analyst, reviewer))


def test_analyst_reviewer_and_lead_talk_on_the_question(
    question, lead, analyst, reviewer, superuser
):
    add_comment(question, reviewer, "Which outlet first reported the meeting?")
    add_comment(question, analyst, "  RIA Novosti, 16 March.  ")
    add_comment(question, lead, "Thanks both.")

    told = [
        (e.actor, e.comment) for e in question_history(question, superuser) if e.kind == "comment"
    ]

    assert told == [
        (reviewer, "Which outlet first reported the meeting?"),
        (analyst, "RIA Novosti, 16 March."),
        (lead, "Thanks both."),
    ]
    assert Comment.history.filter(question_id=question.pk, history_user=analyst).count() == 1


def test_an_outsider_cannot_comment(question, outsider):
    with pytest.raises(NotAllowedForUser):
        add_comment(question, outsider, "Interesting.")

    assert not question.comments.exists()


def test_an_empty_comment_is_refused(question, analyst):
    with pytest.raises(ValidationFailed) as refused:
        add_comment(question, analyst, "   ")

    assert list(refused.value.errors) == ["body"]


def test_a_closed_question_takes_no_more_comments(lead, analyst, reviewer):
    closed = question_in(Status.CLOSED, Cast(lead, analyst, reviewer))

    with pytest.raises(NotAllowedForState):
        add_comment(closed, lead, "One more thing.")
