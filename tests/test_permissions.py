"""questions.permissions: who may do what, now — the rules every entry point asks."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.choices import Role
from accounts.models import role_group
from questions import permissions, workflow
from questions.choices import Action, Status
from questions.exceptions import NotAllowedForState, NotAllowedForUser
from questions.models import Question
from tests import factories
from tests.stories import Cast, question_in, write_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer) -> Cast:
    return Cast(lead, analyst, reviewer)


def test_a_decision_is_truthy_only_when_allowed_and_carries_a_reason(cast, outsider):
    question = question_in(Status.DRAFT, cast)

    allowed = permissions.can_publish(cast.lead, question)
    refused = permissions.can_publish(outsider, question)

    assert allowed and not refused
    assert refused.code == "not_team_lead"
    assert refused.reason.endswith(".")
    assert isinstance(refused.error(), NotAllowedForUser)
    with pytest.raises(NotAllowedForUser):
        refused.raise_if_denied()


def test_it_checks_the_state_before_the_person(cast, outsider):
    question = question_in(Status.ASSESSED, cast)

    decision = permissions.can_publish(outsider, question)

    assert decision.refusal == "state"
    assert isinstance(decision.error(), NotAllowedForState)


def test_a_team_member_holding_the_lead_role_acts_as_lead(cast, team):
    co_lead = factories.UserFactory(roles=[Role.LEAD])
    question = question_in(Status.DRAFT, cast)
    assert not permissions.can_publish(co_lead, question)

    team.members.add(co_lead)

    assert permissions.can_publish(co_lead, question)


def test_the_lead_role_alone_does_not_lead_another_team(cast, outsider):
    question = question_in(Status.OPEN, cast)

    assert permissions.can_close(outsider, question).code == "not_team_lead"


def test_an_analyst_who_lost_the_role_can_no_longer_act(cast):
    question = question_in(Status.ASSIGNED, cast)
    cast.analyst.groups.remove(role_group(Role.ANALYST))
    del cast.analyst._iqtrack_roles

    assert permissions.can_start(cast.analyst, question).code == "not_assigned_analyst"


def test_a_deactivated_or_anonymous_user_can_do_nothing(cast):
    question = question_in(Status.IN_REVIEW, cast)
    cast.reviewer.is_active = False
    cast.reviewer.save()

    assert not permissions.can_approve(cast.reviewer, question)
    assert not permissions.can_comment(AnonymousUser(), question)
    assert workflow.available_actions(question, AnonymousUser()) == []


def test_submitting_needs_a_draft(cast):
    question = question_in(Status.IN_ANALYSIS, cast)

    decision = permissions.can_submit(cast.analyst, question)

    assert (decision.allowed, decision.code, decision.refusal) == (False, "no_draft", "state")
    write_draft(question, cast.analyst)
    assert permissions.can_submit(cast.analyst, question)


def test_the_reviewer_can_never_be_the_analyst_even_in_memory(cast):
    """The database forbids it; the rule still refuses if a caller builds such an object."""
    question = question_in(Status.IN_REVIEW, cast)
    question.assignee = cast.reviewer

    assert permissions.can_approve(cast.reviewer, question).code == "reviewer_is_analyst"


@pytest.mark.parametrize(
    ("state", "role", "actions"),
    [
        (Status.DRAFT, "lead", [Action.PUBLISH, Action.CLOSE]),
        (Status.OPEN, "lead", [Action.ASSIGN, Action.CLOSE]),
        (Status.ASSIGNED, "analyst", [Action.START]),
        (Status.IN_ANALYSIS, "analyst", []),  # nothing to submit yet
        (Status.IN_REVIEW, "reviewer", [Action.APPROVE, Action.RETURN]),
        (Status.IN_REVIEW, "lead", [Action.ASSIGN, Action.CLOSE]),
        (Status.ASSESSED, "lead", [Action.REOPEN, Action.CLOSE]),
        (Status.ASSESSED, "reviewer", []),
        (Status.CLOSED, "lead", []),
    ],
)
def test_available_actions_are_the_buttons_this_user_may_press_now(cast, state, role, actions):
    question = question_in(state, cast)

    assert workflow.available_actions(question, getattr(cast, role)) == actions


class TestEditsThatAreNotStatusChanges:
    def test_only_the_assigned_analyst_drafts_and_only_in_analysis(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)

        assert permissions.can_edit_assessment(cast.analyst, question)
        assert not permissions.can_edit_assessment(cast.lead, question)
        assert not permissions.can_edit_assessment(cast.reviewer, question)
        in_review = question_in(Status.IN_REVIEW, cast)
        assert permissions.can_edit_assessment(cast.analyst, in_review).refusal == "state"

    @pytest.mark.parametrize(
        "rule",
        [permissions.can_add_evidence_link, permissions.can_rate, permissions.can_edit_hypotheses],
    )
    def test_the_analysis_material_is_shaped_by_lead_then_analyst_until_review(self, cast, rule):
        draft = question_in(Status.DRAFT, cast)
        analysing = question_in(Status.IN_ANALYSIS, cast)
        in_review = question_in(Status.IN_REVIEW, cast)

        assert rule(cast.lead, draft)
        assert not rule(cast.analyst, draft)
        assert rule(cast.analyst, analysing)
        assert rule(cast.lead, analysing)
        assert not rule(cast.reviewer, analysing)
        assert rule(cast.analyst, in_review).refusal == "state"

    def test_the_lead_edits_the_question_until_it_is_closed(self, cast):
        assert permissions.can_edit_question(cast.lead, question_in(Status.ASSESSED, cast))
        assert not permissions.can_edit_question(cast.analyst, question_in(Status.OPEN, cast))
        assert not permissions.can_edit_question(cast.lead, question_in(Status.CLOSED, cast))

    def test_anyone_on_the_question_comments(self, cast, outsider):
        question = question_in(Status.IN_REVIEW, cast)
        member = factories.UserFactory()
        question.team.members.add(member)

        for user in (cast.lead, cast.analyst, cast.reviewer, member):
            assert permissions.can_comment(user, question), user
        assert permissions.can_comment(outsider, question).code == "not_on_question"

    def test_a_reviewer_from_outside_the_team_still_comments_on_their_question(self, cast):
        question = question_in(Status.IN_REVIEW, cast)
        question.team.members.remove(cast.reviewer)

        assert permissions.can_comment(cast.reviewer, question)


def test_the_linkable_questions_condition_says_what_can_add_evidence_link_says(
    cast, team, outsider
):
    """permissions.evidence_linkable is the same rule for many questions at once (the evidence
    form offers and searches with it): for each person and each state, both agree."""
    co_lead = factories.UserFactory(username="co_lead", roles=[Role.LEAD])
    team.members.add(co_lead)
    lead_role_elsewhere = factories.UserFactory(username="lead_elsewhere", roles=[Role.LEAD])
    superuser = factories.UserFactory(username="root", is_superuser=True)
    questions = [question_in(state, cast) for state in Status.values]
    people = [cast.lead, cast.analyst, cast.reviewer, co_lead, lead_role_elsewhere]
    people += [outsider, superuser, AnonymousUser()]
    ids = [q.pk for q in questions]

    for person in people:
        by_rule = {q.pk for q in questions if permissions.can_add_evidence_link(person, q)}
        by_sql = set(
            Question.objects.filter(permissions.evidence_linkable(person), pk__in=ids).values_list(
                "pk", flat=True
            )
        )
        assert by_sql == by_rule, person
    assert {q.status for q in questions if permissions.can_add_evidence_link(cast.analyst, q)}
