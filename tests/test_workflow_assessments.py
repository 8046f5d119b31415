"""Versioned assessments: drafts, frozen versions, revisions with change notes, content hashes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from questions import workflow
from questions.assessments import content_hash, content_payload, save_draft, signature_holds
from questions.choices import AssessmentState, Confidence, Likelihood, Status
from questions.exceptions import (
    FrozenVersion,
    NotAllowedForState,
    NotAllowedForUser,
    ValidationFailed,
)
from questions.models import Assessment
from tests import factories
from tests.stories import Cast, link_evidence, question_in, write_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer) -> Cast:
    return Cast(lead, analyst, reviewer)


def returned_question(cast: Cast):
    question = question_in(Status.IN_REVIEW, cast)
    workflow.return_(question, cast.reviewer, comment="Weigh the Iranian channel.")
    return question


class TestDrafting:
    def test_the_first_save_makes_version_one_and_later_saves_edit_it(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)

        first = write_draft(question, cast.analyst)
        again = save_draft(question, cast.analyst, likelihood=Likelihood.VERY_LIKELY)

        assert again.pk == first.pk
        assert (again.version, again.state, again.author) == (
            1,
            AssessmentState.DRAFT,
            cast.analyst,
        )
        assert again.likelihood == Likelihood.VERY_LIKELY
        assert again.key_judgments == first.key_judgments  # left out = unchanged

    def test_it_refuses_values_off_the_icd_203_scales(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)

        with pytest.raises(ValidationFailed) as refused:
            save_draft(
                question, cast.analyst, likelihood=8, confidence="certain", likelihood_wording="x"
            )

        assert set(refused.value.errors) == {"likelihood", "confidence", "likelihood_wording"}
        assert not question.assessments.exists()

    def test_it_cites_only_evidence_linked_to_the_question(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        elsewhere = factories.EvidenceFactory()

        with pytest.raises(ValidationFailed) as refused:
            save_draft(question, cast.analyst, cited_evidence=[elsewhere])

        assert list(refused.value.errors) == ["cited_evidence"]

    def test_it_records_which_of_the_questions_hypotheses_the_judgment_supports(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        first, second = factories.HypothesisFactory.create_batch(2, question=question)

        draft = write_draft(question, cast.analyst, hypothesis=first)
        assert draft.hypothesis == first
        again = save_draft(question, cast.analyst, hypothesis=second.pk)
        assert Assessment.objects.get(pk=again.pk).hypothesis == second
        save_draft(question, cast.analyst, key_judgments="Left the hypothesis alone.")
        assert Assessment.objects.get(pk=again.pk).hypothesis == second  # left out = unchanged
        save_draft(question, cast.analyst, hypothesis=None)
        assert Assessment.objects.get(pk=again.pk).hypothesis is None

    @pytest.mark.parametrize("given", ["another question's", "unknown id", "text"])
    def test_it_refuses_a_hypothesis_that_is_not_the_questions_own(self, cast, given):
        question = question_in(Status.IN_ANALYSIS, cast)
        draft = write_draft(question, cast.analyst)
        elsewhere = factories.HypothesisFactory()
        value = {"another question's": elsewhere, "unknown id": 10**9, "text": "H1"}[given]

        with pytest.raises(ValidationFailed) as refused:
            save_draft(question, cast.analyst, hypothesis=value, key_judgments="Changed.")

        assert list(refused.value.errors) == ["hypothesis"]
        draft.refresh_from_db()
        assert (draft.hypothesis, draft.key_judgments) == (
            None,
            "We assess that the meeting took place.",
        )

    def test_only_the_assigned_analyst_drafts_and_only_in_analysis(self, cast):
        analysing = question_in(Status.IN_ANALYSIS, cast)
        in_review = question_in(Status.IN_REVIEW, cast)

        with pytest.raises(NotAllowedForUser):
            save_draft(analysing, cast.reviewer, key_judgments="Mine now.")
        with pytest.raises(NotAllowedForState):
            save_draft(in_review, cast.analyst, key_judgments="Sneaky edit.")

        assert not analysing.assessments.exists()
        assert in_review.submitted_assessment().key_judgments != "Sneaky edit."


class TestRevisions:
    def test_editing_a_returned_version_makes_the_next_one_from_a_copy(self, cast):
        question = returned_question(cast)
        v1 = question.assessments.get(version=1)

        v2 = save_draft(question, cast.analyst, likelihood=Likelihood.ROUGHLY_EVEN)

        v1.refresh_from_db()
        assert (v2.version, v2.state) == (2, AssessmentState.DRAFT)
        assert v2.key_judgments == v1.key_judgments
        assert set(v2.cited_evidence.all()) == set(v1.cited_evidence.all())
        assert (v1.state, v1.likelihood) == (AssessmentState.RETURNED, Likelihood.LIKELY)

    def test_the_next_version_starts_supporting_the_same_hypothesis(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        supported = factories.HypothesisFactory(question=question)
        write_draft(question, cast.analyst, hypothesis=supported)
        workflow.submit(question, cast.analyst)
        workflow.return_(question, cast.reviewer, comment="Weigh the Iranian channel.")

        v2 = save_draft(question, cast.analyst, change_note="Weighed it.")

        assert (v2.version, v2.hypothesis) == (2, supported)

    def test_a_second_version_goes_to_review_only_with_a_change_note(self, cast):
        question = returned_question(cast)
        save_draft(question, cast.analyst, confidence=Confidence.LOW)

        with pytest.raises(ValidationFailed) as refused:
            workflow.submit(question, cast.analyst)
        assert list(refused.value.errors) == ["change_note"]

        save_draft(question, cast.analyst, change_note="Lowered confidence: one source only.")
        workflow.submit(question, cast.analyst)
        assert question.submitted_assessment().version == 2

    def test_the_sign_off_stays_with_the_version_it_signed(self, cast):
        question = question_in(Status.ASSESSED, cast)
        v1 = question.signed_off_assessment()
        signed = v1.content_hash
        workflow.reopen(question, cast.lead, reason="New reporting.")

        v2 = save_draft(
            question, cast.analyst, key_judgments="Revised.", change_note="New reporting."
        )

        v1.refresh_from_db()
        assert (v1.state, v1.content_hash) == (AssessmentState.APPROVED, signed)
        assert signature_holds(v1)
        assert v2.version == 2 and v2.content_hash == ""
        assert question.signed_off_assessment() == v1


class TestFrozenVersions:
    @pytest.fixture
    def frozen(self, cast) -> Assessment:
        return question_in(Status.IN_REVIEW, cast).submitted_assessment()

    def test_the_model_refuses_to_save_a_changed_frozen_version(self, frozen):
        frozen.key_judgments = "Rewritten after submission."

        with pytest.raises(FrozenVersion):
            frozen.save()

    def test_the_model_refuses_to_change_the_supported_hypothesis(self, frozen):
        frozen.hypothesis = factories.HypothesisFactory(question=frozen.question)

        with pytest.raises(FrozenVersion):
            frozen.save()

    def test_the_model_refuses_to_change_the_cited_evidence(self, frozen, cast):
        extra = link_evidence(frozen.question, cast.analyst, count=1)[0]

        with pytest.raises(FrozenVersion), transaction.atomic():
            frozen.cited_evidence.add(extra)
        with pytest.raises(FrozenVersion), transaction.atomic():
            extra.citing_assessments.add(frozen)
        with pytest.raises(FrozenVersion), transaction.atomic():
            frozen.cited_evidence.clear()
        assert frozen.cited_evidence.count() == 2

    @pytest.mark.parametrize(
        "change",
        [
            {"key_judgments": "Rewritten."},
            {"likelihood": Likelihood.ALMOST_CERTAIN},
            {"confidence": Confidence.HIGH},
            {"change_note": "Quietly added."},
            {"state": AssessmentState.DRAFT},
            {"content_hash": "0" * 64},
        ],
    )
    def test_the_database_refuses_a_direct_update_of_a_frozen_version(self, frozen, change):
        with pytest.raises(IntegrityError), transaction.atomic():
            Assessment.objects.filter(pk=frozen.pk).update(**change)

    def test_the_database_refuses_a_direct_change_of_the_supported_hypothesis(self, frozen):
        other = factories.HypothesisFactory(question=frozen.question)
        versions = Assessment.objects.filter(pk=frozen.pk)

        with pytest.raises(IntegrityError), transaction.atomic():
            versions.update(hypothesis=other)
        versions.update(hypothesis=None)  # no change at all is still allowed
        assert versions.get().hypothesis is None

    def test_the_database_refuses_direct_changes_to_its_citations(self, frozen, cast):
        through = Assessment.cited_evidence.through
        extra = link_evidence(frozen.question, cast.analyst, count=1)[0]

        with pytest.raises(IntegrityError), transaction.atomic():
            through.objects.create(assessment=frozen, evidence=extra)
        with pytest.raises(IntegrityError), transaction.atomic():
            through.objects.filter(assessment=frozen).delete()

    def test_a_signed_version_is_never_deleted(self, cast):
        signed = question_in(Status.ASSESSED, cast).signed_off_assessment()

        with pytest.raises(IntegrityError), transaction.atomic():
            Assessment.objects.filter(pk=signed.pk)._raw_delete(using="default")

    def test_a_draft_stays_editable_by_direct_writes(self, cast):
        """The guards are about frozen versions, not a blanket refusal."""
        draft = write_draft(question_in(Status.IN_ANALYSIS, cast), cast.analyst)

        Assessment.objects.filter(pk=draft.pk).update(key_judgments="Edited.")

        draft.refresh_from_db()
        assert draft.key_judgments == "Edited."


class TestContentHash:
    def test_the_stored_hash_is_the_hash_of_the_signed_content(self, cast):
        signed = question_in(Status.ASSESSED, cast).signed_off_assessment()

        assert signed.content_hash == content_hash(signed)
        assert len(signed.content_hash) == 64

    def test_it_covers_every_part_of_the_content(self, cast):
        signed = question_in(Status.ASSESSED, cast).signed_off_assessment()
        original = content_hash(signed)

        for field, value in [
            ("key_judgments", signed.key_judgments + " "),
            ("likelihood", Likelihood.UNLIKELY),
            ("likelihood_wording", "alternative"),
            ("confidence", Confidence.HIGH),
            ("change_note", "Something."),
            ("version", 9),
        ]:
            changed = Assessment.objects.get(pk=signed.pk)
            setattr(changed, field, value)  # in memory only
            assert content_hash(changed) != original, field
            assert not signature_holds(changed), field

    def test_it_covers_the_supported_hypothesis(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        first, second = factories.HypothesisFactory.create_batch(2, question=question)
        draft = write_draft(question, cast.analyst)
        hashes = [content_hash(draft)]

        for hypothesis in (first, second, None):
            draft = save_draft(question, cast.analyst, hypothesis=hypothesis)
            hashes.append(content_hash(draft))

        assert content_payload(draft)["hypothesis"] is None
        assert hashes[0] == hashes[3]
        assert len(set(hashes[:3])) == 3
        assert (
            content_payload(save_draft(question, cast.analyst, hypothesis=first))["hypothesis"]
            == first.key
        )

    def test_it_covers_the_cited_evidence(self, cast):
        question = question_in(Status.IN_ANALYSIS, cast)
        draft = write_draft(question, cast.analyst)
        before = content_hash(draft)

        draft.cited_evidence.remove(draft.cited_evidence.first())

        assert content_hash(draft) != before

    def test_the_payload_is_plain_sorted_data(self, cast):
        draft = write_draft(question_in(Status.IN_ANALYSIS, cast), cast.analyst)

        payload = content_payload(draft)

        assert payload["question"] == draft.question.key
        assert payload["cited_evidence"] == sorted(payload["cited_evidence"])
        assert set(payload) == {
            "question",
            "version",
            "key_judgments",
            "likelihood",
            "likelihood_wording",
            "confidence",
            "hypothesis",
            "cited_evidence",
            "change_note",
        }
