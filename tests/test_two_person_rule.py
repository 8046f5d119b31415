"""The two-person rule, tried every way round: through the workflow and by direct writes.

The reviewer who approves or returns a version is neither its author nor the question's analyst,
and nobody is analyst and reviewer of one question. The workflow refuses; so does the database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from accounts.choices import Role
from questions import workflow
from questions.assessments import content_hash
from questions.choices import Action, AssessmentState, ReviewDecision, Status
from questions.exceptions import NotAllowedForState, NotAllowedForUser, ValidationFailed
from questions.models import Assessment, Question, Review
from tests import factories
from tests.stories import (
    Cast,
    grant,
    question_in,
    snapshot,
    write_draft,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cast(lead, analyst, reviewer) -> Cast:
    return Cast(lead, analyst, reviewer)


@pytest.fixture
def second_analyst(team):
    user = factories.UserFactory(username="second_analyst", roles=[Role.ANALYST, Role.REVIEWER])
    team.members.add(user)
    return user


def honest_review(version: Assessment, reviewer, **lies) -> Review:
    """A review whose copied author and analyst are the real ones (unless `lies` says otherwise)."""
    fields = {
        "assessment_author_id": version.author_id,
        "question_analyst_id": version.question.assignee_id,
        "decision": ReviewDecision.APPROVE,
        "content_hash": content_hash(version),
        **lies,
    }
    return Review(assessment=version, reviewer=reviewer, **fields)


class TestThroughTheWorkflow:
    def test_a_lead_cannot_make_one_person_analyst_and_reviewer(self, cast, second_analyst):
        question = question_in(Status.IN_ANALYSIS, cast)

        with pytest.raises(ValidationFailed):
            workflow.assign(question, cast.lead, analyst=second_analyst, reviewer=second_analyst)

    def test_a_lead_cannot_make_an_author_the_reviewer(self, cast, second_analyst):
        """The analyst who wrote v1 is moved off; they may not then review the question."""
        question = question_in(Status.IN_ANALYSIS, cast)
        write_draft(question, cast.analyst)
        grant(cast.analyst, Role.REVIEWER)
        before = snapshot(question)

        with pytest.raises(ValidationFailed) as refused:
            workflow.assign(question, cast.lead, analyst=second_analyst, reviewer=cast.analyst)

        assert "wrote a version" in refused.value.errors["reviewer"][0]
        assert snapshot(question) == before

    @pytest.mark.parametrize("action", Action.values)
    def test_an_author_made_reviewer_behind_the_workflows_back_takes_no_review_step(
        self, cast, second_analyst, action
    ):
        """v1's author becomes the reviewer by a direct write; the workflow still refuses them."""
        question = question_in(Status.IN_REVIEW, cast)
        grant(cast.analyst, Role.REVIEWER)
        Question.objects.filter(pk=question.pk).update(
            assignee=second_analyst, reviewer=cast.analyst
        )
        question.refresh_from_db()
        author_reviewer = cast.analyst
        before = snapshot(question)

        kwargs = {
            Action.RETURN: {"comment": "Fine by me."},
            Action.REOPEN: {"reason": "x"},
            Action.CLOSE: {"reason": "x"},
            Action.ASSIGN: {"analyst": second_analyst, "reviewer": cast.reviewer},
        }.get(action, {})
        wrong_state = {Action.PUBLISH, Action.START, Action.SUBMIT, Action.REOPEN}
        expected = NotAllowedForState if action in wrong_state else NotAllowedForUser
        with pytest.raises(expected) as refused:
            workflow.TRANSITIONS[action](question, author_reviewer, **kwargs)

        if action in (Action.APPROVE, Action.RETURN):
            assert refused.value.code == "reviewer_is_author"
        assert snapshot(question) == before

    def test_the_analyst_cannot_approve_their_own_assessment(self, cast):
        grant(cast.analyst, Role.REVIEWER)
        question = question_in(Status.IN_REVIEW, cast)

        with pytest.raises(NotAllowedForUser):
            workflow.approve(question, cast.analyst)


class TestInTheDatabase:
    def test_the_question_refuses_one_person_as_analyst_and_reviewer(self, cast):
        question = question_in(Status.ASSIGNED, cast)

        with pytest.raises(IntegrityError), transaction.atomic():
            Question.objects.filter(pk=question.pk).update(reviewer=cast.analyst)
        question.reviewer = cast.analyst
        with pytest.raises(IntegrityError), transaction.atomic():
            question.save()

    def test_an_honest_review_by_the_assigned_reviewer_is_accepted(self, cast):
        """The guards refuse cheating, not reviews: this one is what the workflow writes."""
        version = question_in(Status.IN_REVIEW, cast).submitted_assessment()

        honest_review(version, cast.reviewer).save()

        assert version.reviews.count() == 1

    def test_it_refuses_a_review_by_the_author(self, cast, second_analyst):
        question = question_in(Status.IN_REVIEW, cast)
        Question.objects.filter(pk=question.pk).update(
            assignee=second_analyst, reviewer=cast.analyst
        )
        version = question.submitted_assessment()

        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(
                assessment=version,
                reviewer=cast.analyst,
                assessment_author=cast.analyst,
                question_analyst=second_analyst,
                decision=ReviewDecision.APPROVE,
                content_hash=content_hash(version),
            )

    def test_it_refuses_a_review_that_lies_about_the_author(self, cast, second_analyst):
        """Copying someone else in as author would dodge the CHECK; the trigger compares."""
        question = question_in(Status.IN_REVIEW, cast)
        Question.objects.filter(pk=question.pk).update(
            assignee=second_analyst, reviewer=cast.analyst
        )
        version = question.submitted_assessment()

        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(
                assessment=version,
                reviewer=cast.analyst,
                assessment_author=cast.lead,
                question_analyst=second_analyst,
                decision=ReviewDecision.APPROVE,
                content_hash=content_hash(version),
            )

    def test_it_refuses_a_review_that_lies_about_the_analyst(self, cast):
        version = question_in(Status.IN_REVIEW, cast).submitted_assessment()

        with pytest.raises(IntegrityError), transaction.atomic():
            honest_review(version, cast.reviewer, question_analyst_id=cast.lead.pk).save()

    def test_it_refuses_reviews_by_bulk_create(self, cast, second_analyst):
        question = question_in(Status.IN_REVIEW, cast)
        version = question.submitted_assessment()
        by_author = honest_review(version, cast.analyst)
        by_author.question_analyst = second_analyst

        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.bulk_create([honest_review(version, cast.reviewer), by_author])

        assert not Review.objects.exists()

    def test_it_refuses_a_review_by_someone_not_assigned(self, cast, outsider):
        version = question_in(Status.IN_REVIEW, cast).submitted_assessment()

        with pytest.raises(IntegrityError), transaction.atomic():
            honest_review(version, outsider).save()

    def test_it_refuses_a_review_of_a_version_not_under_review(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        draft = write_draft(question, cast.analyst)

        with pytest.raises(IntegrityError), transaction.atomic():
            honest_review(draft, cast.reviewer).save()

    @pytest.mark.parametrize(
        "change", ["reviewer", "assessment_author", "decision", "content_hash", "delete"]
    )
    def test_a_recorded_review_never_changes(self, cast, change):
        question = question_in(Status.ASSESSED, cast)
        review = Review.objects.get(assessment__question=question)
        reviews = Review.objects.filter(pk=review.pk)

        with pytest.raises(IntegrityError), transaction.atomic():
            if change == "delete":
                reviews._raw_delete(using="default")
            elif change == "decision":
                reviews.update(decision=ReviewDecision.RETURN, comment="Changed my mind.")
            elif change == "content_hash":
                reviews.update(content_hash="0" * 64)
            else:
                reviews.update(**{change: cast.analyst})
        with pytest.raises(ValueError):
            review.save()

    def test_a_version_cannot_be_approved_without_a_review(self, cast):
        version = question_in(Status.IN_REVIEW, cast).submitted_assessment()

        with pytest.raises(IntegrityError), transaction.atomic():
            Assessment.objects.filter(pk=version.pk).update(
                state=AssessmentState.APPROVED, content_hash=content_hash(version)
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            Assessment.objects.filter(pk=version.pk).update(state=AssessmentState.RETURNED)

    def test_a_version_cannot_be_created_already_approved(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)

        with pytest.raises(IntegrityError), transaction.atomic():
            Assessment.objects.create(
                question=question,
                version=1,
                author=cast.analyst,
                state=AssessmentState.APPROVED,
                content_hash="0" * 64,
            )

    def test_a_version_cannot_change_author(self, cast):
        """Rewriting authorship would let a writer review their own work."""
        draft = write_draft(question_in(Status.IN_ANALYSIS, cast), cast.analyst)

        with pytest.raises(IntegrityError), transaction.atomic():
            Assessment.objects.filter(pk=draft.pk).update(author=cast.reviewer)


SQLITE_PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.core.management import call_command
    from django.db import IntegrityError, transaction
    call_command("migrate", verbosity=0)
    from tests.stories import Cast, question_in
    from tests import factories
    from accounts.choices import Role
    from questions.models import Assessment, Question, Review
    from questions.assessments import content_hash

    team = factories.TeamFactory()
    people = {}
    for name, role in [("lead", Role.LEAD), ("analyst", Role.ANALYST), ("reviewer", Role.REVIEWER)]:
        people[name] = factories.UserFactory(username=name, roles=[role])
        team.members.add(people[name])
    team.lead = people["lead"]; team.save()
    cast = Cast(people["lead"], people["analyst"], people["reviewer"])
    question = question_in("in_review", cast)
    version = question.submitted_assessment()

    def refused(write):
        try:
            with transaction.atomic():
                write()
        except IntegrityError:
            return True
        return False

    def review(reviewer, **fields):
        values = dict(assessment=version, reviewer=reviewer, decision="approve",
                      assessment_author_id=version.author_id,
                      question_analyst_id=question.assignee_id,
                      content_hash=content_hash(version))
        values.update(fields)
        return lambda: Review.objects.create(**values)

    results = {
        "review_by_author": refused(review(people["analyst"])),
        "review_lying_about_author": refused(review(people["analyst"],
                                                   assessment_author_id=people["lead"].pk)),
        "review_by_unassigned": refused(review(people["lead"])),
        "approve_without_review": refused(lambda: Assessment.objects.filter(pk=version.pk)
                                          .update(state="approved", content_hash="x")),
        "frozen_edit": refused(lambda: Assessment.objects.filter(pk=version.pk)
                               .update(key_judgments="rewritten")),
        "frozen_hypothesis": refused(lambda: Assessment.objects.filter(pk=version.pk)
                                     .update(hypothesis=question.hypotheses.first())),
        "honest_review_refused": refused(review(people["reviewer"])),
    }
    from questions import workflow
    workflow.approve(question, people["reviewer"])
    results["approved"] = Question.objects.get(pk=question.pk).status == "assessed"
    results["review_update"] = refused(lambda: Review.objects.update(comment="edited"))
    print(json.dumps(results))
    """
)


@pytest.mark.slow
def test_the_embedded_sqlite_database_enforces_the_same_rules(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "IQTRACK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "iqtrack.settings",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])

    assert results == {
        "review_by_author": True,
        "review_lying_about_author": True,
        "review_by_unassigned": True,
        "approve_without_review": True,
        "frozen_edit": True,
        "frozen_hypothesis": True,
        "honest_review_refused": False,
        "approved": True,
        "review_update": True,
    }
