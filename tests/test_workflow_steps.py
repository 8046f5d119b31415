"""What each workflow step needs, what it writes, and what it tells the rest of iqtrack."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.choices import Role
from questions import workflow
from questions.assessments import content_hash
from questions.choices import AssessmentState, ReviewDecision, Status
from questions.exceptions import TransitionConflict, ValidationFailed
from questions.models import Question, Review
from questions.signals import question_transitioned
from tests import factories
from tests.stories import Cast, question_in, snapshot, write_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer) -> Cast:
    return Cast(lead, analyst, reviewer)


def in_a_week() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=7)


class TestAssign:
    def test_it_sets_analyst_reviewer_and_due_date(self, cast):
        question = question_in(Status.OPEN, cast)
        due = in_a_week()

        transition = workflow.assign(
            question, cast.lead, analyst=cast.analyst, reviewer=cast.reviewer, due_at=due
        )

        assert (question.status, question.assignee, question.reviewer, question.due_at) == (
            Status.ASSIGNED,
            cast.analyst,
            cast.reviewer,
            due,
        )
        assert (transition.from_status, transition.to_status) == (Status.OPEN, Status.ASSIGNED)

    def test_it_refuses_one_person_as_analyst_and_reviewer(self, cast, team):
        both = factories.UserFactory(roles=[Role.ANALYST, Role.REVIEWER])
        team.members.add(both)
        question = question_in(Status.OPEN, cast)
        before = snapshot(question)

        with pytest.raises(ValidationFailed) as refused:
            workflow.assign(question, cast.lead, analyst=both, reviewer=both)

        assert "two-person rule" in refused.value.errors["reviewer"][0]
        assert snapshot(question) == before

    @pytest.mark.parametrize(
        ("field", "roles", "member"),
        [
            ("analyst", [Role.REVIEWER], True),  # lacks the analyst role
            ("analyst", [Role.ANALYST], False),  # not on the team
            ("reviewer", [Role.ANALYST], True),
            ("reviewer", [Role.REVIEWER], False),
        ],
    )
    def test_it_assigns_only_team_members_holding_the_role(self, cast, team, field, roles, member):
        person = factories.UserFactory(roles=roles)
        if member:
            team.members.add(person)
        question = question_in(Status.OPEN, cast)
        chosen = {"analyst": cast.analyst, "reviewer": cast.reviewer, field: person}

        with pytest.raises(ValidationFailed) as refused:
            workflow.assign(question, cast.lead, **chosen)

        assert list(refused.value.errors) == [field]

    def test_it_refuses_a_due_date_in_the_past(self, cast):
        question = question_in(Status.OPEN, cast)

        with pytest.raises(ValidationFailed) as refused:
            workflow.assign(
                question,
                cast.lead,
                analyst=cast.analyst,
                reviewer=cast.reviewer,
                due_at=timezone.now() - dt.timedelta(hours=1),
            )

        assert "due_at" in refused.value.errors

    def test_reassigning_keeps_the_state_and_its_clock(self, cast, team):
        question = question_in(Status.IN_REVIEW, cast)
        since = question.status_changed_at
        other_reviewer = factories.UserFactory(roles=[Role.REVIEWER])
        team.members.add(other_reviewer)

        transition = workflow.assign(
            question, cast.lead, analyst=cast.analyst, reviewer=other_reviewer
        )

        assert (transition.action, transition.from_status, transition.to_status) == (
            "assign",
            Status.IN_REVIEW,
            Status.IN_REVIEW,
        )
        assert question.reviewer == other_reviewer
        assert question.status_changed_at == since
        assert question.due_at is not None  # due_at=None keeps the due date

    def test_it_refuses_a_reassignment_that_changes_nothing(self, cast):
        question = question_in(Status.ASSIGNED, cast)

        with pytest.raises(ValidationFailed):
            workflow.assign(question, cast.lead, analyst=cast.analyst, reviewer=cast.reviewer)


class TestSubmit:
    def test_it_freezes_the_draft_as_the_version_under_review(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        draft = write_draft(question, cast.analyst)

        transition = workflow.submit(question, cast.analyst)

        draft.refresh_from_db()
        assert draft.state == AssessmentState.SUBMITTED
        assert draft.submitted_at == transition.created_at
        assert question.status == Status.IN_REVIEW

    def test_it_refuses_an_incomplete_draft_and_says_what_is_missing(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        write_draft(question, cast.analyst, key_judgments="  ", likelihood=None, confidence="")
        before = snapshot(question)

        with pytest.raises(ValidationFailed) as refused:
            workflow.submit(question, cast.analyst)

        assert set(refused.value.errors) == {"key_judgments", "likelihood", "confidence"}
        assert snapshot(question) == before

    def test_it_refuses_a_draft_that_cites_no_evidence(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        draft = write_draft(question, cast.analyst)
        draft.cited_evidence.clear()

        with pytest.raises(ValidationFailed) as refused:
            workflow.submit(question, cast.analyst)

        assert set(refused.value.errors) == {"cited_evidence"}


class TestReview:
    def test_approving_signs_off_exactly_the_submitted_version(self, cast):
        question = question_in(Status.IN_REVIEW, cast)
        version = question.submitted_assessment()

        transition = workflow.approve(question, cast.reviewer, comment="Well sourced.")

        version.refresh_from_db()
        review = Review.objects.get(assessment=version)
        assert version.state == AssessmentState.APPROVED
        assert version.approved_at == transition.created_at
        assert version.content_hash == review.content_hash == content_hash(version)
        assert (review.reviewer, review.decision, review.comment) == (
            cast.reviewer,
            ReviewDecision.APPROVE,
            "Well sourced.",
        )
        assert (review.assessment_author, review.question_analyst) == (cast.analyst, cast.analyst)
        assert question.signed_off_assessment() == version

    def test_returning_needs_a_comment_and_changes_nothing_without_one(self, cast):
        question = question_in(Status.IN_REVIEW, cast)
        before = snapshot(question)

        for comment in ("", "   "):
            with pytest.raises(ValidationFailed) as refused:
                workflow.return_(question, cast.reviewer, comment=comment)
            assert list(refused.value.errors) == ["comment"]

        assert snapshot(question) == before

    def test_returning_sends_the_version_back_with_the_comment(self, cast):
        question = question_in(Status.IN_REVIEW, cast)
        version = question.submitted_assessment()

        transition = workflow.return_(question, cast.reviewer, comment="Cite the 16 March meeting.")

        version.refresh_from_db()
        assert question.status == Status.IN_ANALYSIS
        assert version.state == AssessmentState.RETURNED
        assert version.content_hash == ""  # not signed
        assert transition.comment == "Cite the 16 March meeting."
        assert Review.objects.get(assessment=version).decision == ReviewDecision.RETURN


@pytest.mark.parametrize(
    ("state", "step"), [(Status.ASSESSED, workflow.reopen), (Status.IN_ANALYSIS, workflow.close)]
)
def test_reopening_and_closing_need_a_reason(cast, state, step):
    question = question_in(state, cast)
    before = snapshot(question)

    with pytest.raises(ValidationFailed) as refused:
        step(question, cast.lead, reason="")

    assert list(refused.value.errors) == ["reason"]
    assert snapshot(question) == before
    transition = step(question, cast.lead, reason="New reporting from Kyiv.")
    assert transition.comment == "New reporting from Kyiv."


def test_a_step_on_a_stale_copy_is_a_conflict(cast):
    question = question_in(Status.IN_REVIEW, cast)
    stale = Question.objects.get(pk=question.pk)
    workflow.return_(question, cast.reviewer, comment="Add the second source.")
    before = snapshot(question)

    with pytest.raises(TransitionConflict) as lost:
        workflow.approve(stale, cast.reviewer)

    assert lost.value.http_status == 409
    assert snapshot(question) == before


def test_it_stamps_the_status_change_with_the_step_time(cast):
    question = question_in(Status.DRAFT, cast)

    with time_machine.travel(dt.datetime(2024, 3, 16, 9, 30, tzinfo=dt.UTC), tick=False):
        transition = workflow.publish(question, cast.lead)

    assert transition.created_at == question.status_changed_at
    assert question.status_changed_at == dt.datetime(2024, 3, 16, 9, 30, tzinfo=dt.UTC)


class TestSignal:
    def test_it_tells_receivers_only_after_the_commit(
        self, cast, django_capture_on_commit_callbacks
    ):
        question = question_in(Status.DRAFT, cast)
        heard = []

        def receiver(sender, transition, **kwargs):
            heard.append((sender, transition))

        question_transitioned.connect(receiver)
        try:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                transition = workflow.publish(question, cast.lead)
            assert heard == []  # nothing is said before the commit
            for callback in callbacks:
                callback()
        finally:
            question_transitioned.disconnect(receiver)

        assert heard == [(Question, transition)]

    def test_a_refused_step_tells_nobody(self, cast, outsider, django_capture_on_commit_callbacks):
        question = question_in(Status.DRAFT, cast)

        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Exception):  # noqa: B017
            workflow.publish(question, outsider)

        assert callbacks == []

    def test_a_failing_receiver_does_not_undo_or_fail_the_step(
        self, cast, django_capture_on_commit_callbacks
    ):
        question = question_in(Status.DRAFT, cast)

        def broken(**kwargs):
            raise RuntimeError("mail server down")

        question_transitioned.connect(broken)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                workflow.publish(question, cast.lead)
        finally:
            question_transitioned.disconnect(broken)

        assert Question.objects.get(pk=question.pk).status == Status.OPEN
