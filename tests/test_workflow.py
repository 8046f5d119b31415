"""Every (state, action, role): allowed steps succeed and are recorded; others change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role
from questions import workflow
from questions.choices import Action, Status
from questions.exceptions import NotAllowedForState, NotAllowedForUser
from questions.models import Question, Transition
from tests import factories
from tests.stories import Cast, question_in, snapshot, write_draft

pytestmark = pytest.mark.django_db

LEADS = {"lead", "co_lead"}
REASSIGNABLE = {Status.OPEN, Status.ASSIGNED, Status.IN_ANALYSIS, Status.IN_REVIEW}

# The specification: from which states, and for whom, each action is allowed.
RULES: dict[str, tuple[set[str], set[str]]] = {
    Action.PUBLISH: ({Status.DRAFT}, LEADS),
    Action.ASSIGN: (REASSIGNABLE, LEADS),
    Action.START: ({Status.ASSIGNED}, {"analyst"}),
    Action.SUBMIT: ({Status.IN_ANALYSIS}, {"analyst"}),
    Action.APPROVE: ({Status.IN_REVIEW}, {"reviewer"}),
    Action.RETURN: ({Status.IN_REVIEW}, {"reviewer"}),
    Action.REOPEN: ({Status.ASSESSED}, LEADS),
    Action.CLOSE: (set(Status.values) - {Status.CLOSED}, LEADS),
}
DESTINATION = {
    Action.PUBLISH: Status.OPEN,
    Action.START: Status.IN_ANALYSIS,
    Action.SUBMIT: Status.IN_REVIEW,
    Action.APPROVE: Status.ASSESSED,
    Action.RETURN: Status.IN_ANALYSIS,
    Action.REOPEN: Status.IN_ANALYSIS,
    Action.CLOSE: Status.CLOSED,
}
ROLES = ["lead", "co_lead", "analyst", "reviewer", "member", "outsider"]


@pytest.fixture
def people(team, lead, analyst, reviewer, outsider) -> dict:
    co_lead = factories.UserFactory(username="co_lead", roles=[Role.LEAD])
    member = factories.UserFactory(username="member", roles=[Role.ANALYST, Role.REVIEWER])
    team.members.add(co_lead, member)
    return {
        "lead": lead,
        "co_lead": co_lead,
        "analyst": analyst,
        "reviewer": reviewer,
        "member": member,
        "outsider": outsider,
    }


def take(action: str, question: Question, user, cast: Cast) -> Transition:
    if action == Action.ASSIGN:
        due = timezone.now() + dt.timedelta(days=14)
        return workflow.assign(
            question, user, analyst=cast.analyst, reviewer=cast.reviewer, due_at=due
        )
    if action == Action.RETURN:
        return workflow.return_(question, user, comment="Cite the second meeting.")
    if action in (Action.REOPEN, Action.CLOSE):
        return workflow.TRANSITIONS[action](question, user, reason="New reporting.")
    if action == Action.APPROVE:
        return workflow.approve(question, user, comment="Well sourced.")
    return workflow.TRANSITIONS[action](question, user)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", Action.values)
@pytest.mark.parametrize("state", Status.values)
def test_every_state_action_and_role(state, action, role, people):
    cast = Cast(people["lead"], people["analyst"], people["reviewer"])
    question = question_in(state, cast)
    if state == Status.IN_ANALYSIS:
        write_draft(question, cast.analyst)  # so that submitting is possible at all
    user = people[role]
    states, roles = RULES[action]
    before = snapshot(question)

    if state not in states:
        with pytest.raises(NotAllowedForState) as refused:
            take(action, question, user, cast)
    elif role not in roles:
        with pytest.raises(NotAllowedForUser) as refused:
            take(action, question, user, cast)
    else:
        transition = take(action, question, user, cast)
        expected = DESTINATION.get(action, Status.ASSIGNED if state == Status.OPEN else state)
        row = Question.objects.get(pk=question.pk)
        assert row.status == expected
        assert (transition.action, transition.from_status, transition.to_status) == (
            action,
            state,
            expected,
        )
        assert transition.actor == user
        assert Transition.objects.filter(question=question).count() == before["transitions"] + 1
        recorded = row.history.first()
        assert (recorded.history_user, recorded.history_date) == (user, transition.created_at)
        if expected != state:
            assert row.status_changed_at == transition.created_at
        return

    assert refused.value.message  # a sentence saying why
    assert snapshot(question) == before


def test_a_refusal_says_whether_the_state_or_the_person_is_wrong(lead, analyst, reviewer):
    question = question_in(Status.IN_REVIEW, Cast(lead, analyst, reviewer))

    with pytest.raises(NotAllowedForState) as wrong_state:
        workflow.start(question, analyst)
    with pytest.raises(NotAllowedForUser) as wrong_person:
        workflow.approve(question, lead)

    assert wrong_state.value.code == "wrong_state"
    assert "in review" in wrong_state.value.message
    assert wrong_person.value.code == "not_assigned_reviewer"
    assert (wrong_state.value.http_status, wrong_person.value.http_status) == (409, 403)
