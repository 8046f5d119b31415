"""Tradecraft checks at submit: each rule tripped on purpose, and passed."""

from __future__ import annotations

import pytest

from evidence.choices import Corroboration as C
from evidence.choices import Reliability
from questions import tradecraft as tc
from questions.assessments import save_draft
from questions.choices import AchRating, Confidence, Likelihood, Status
from questions.models import HypothesisRating
from tests import factories
from tests.stories import Cast, question_in, write_draft

STRONG = tc.CitedItem(Reliability.B, 2, C.CORROBORATED)
SINGLE = tc.CitedItem(Reliability.B, 2, C.SINGLE_SOURCE)
UNCONFIRMED = tc.CitedItem(Reliability.A, 1, C.UNCONFIRMED)
DOUBTFUL = tc.CitedItem(Reliability.B, 4, C.CORROBORATED)
UNRELIABLE_SOURCE = tc.CitedItem(Reliability.D, 2, C.CORROBORATED)


def codes(findings):
    return [f.code for f in findings]


def test_it_blocks_when_no_likelihood_step_is_chosen():
    assert codes(tc.check_likelihood_chosen(None)) == ["likelihood_missing"]
    assert tc.check_likelihood_chosen(Likelihood.LIKELY) == []


@pytest.mark.parametrize(
    ("text", "step", "expected"),
    [
        ("We assess it is likely (60 %) that …", Likelihood.LIKELY, []),
        ("a 55% chance", Likelihood.LIKELY, []),
        ("about 80 per cent", Likelihood.LIKELY, []),
        ("likely, 90%", Likelihood.LIKELY, ["percentage_outside_step"]),
        ("between 30-50% likely", Likelihood.LIKELY, ["percentage_outside_step"] * 2),
        ("no percentage at all", Likelihood.LIKELY, []),
        ("roughly 2% — remote", Likelihood.ALMOST_NO_CHANCE, []),
    ],
)
def test_a_stated_percentage_must_lie_in_the_chosen_steps_range(text, step, expected):
    assert codes(tc.check_percentages_in_range(text, step)) == expected


def test_likelihood_words_are_read_longest_first():
    assert tc.likelihood_terms("It is very unlikely, though not highly improbable.") == [
        ("very unlikely", 2),
        ("highly improbable", 2),
    ]
    assert tc.likelihood_terms("Its likelihood is unclear.") == []


def test_terms_from_one_row_pass():
    text = "Russia likely promised support; such a pledge is probable."
    assert tc.check_terms_from_one_row(text, Likelihood.LIKELY) == []


def test_it_blocks_terms_mixed_from_two_rows():
    text = "Support is likely, though a direct role is unlikely."
    assert codes(tc.check_terms_from_one_row(text, Likelihood.LIKELY)) == ["mixed_likelihood_terms"]


def test_it_blocks_a_term_that_disagrees_with_the_chosen_step():
    text = "It is almost certain that the meetings took place."
    assert codes(tc.check_terms_from_one_row(text, Likelihood.LIKELY)) == [
        "likelihood_terms_disagree"
    ]


def test_it_blocks_when_no_confidence_is_chosen():
    assert codes(tc.check_confidence_chosen("")) == ["confidence_missing"]
    assert tc.check_confidence_chosen(Confidence.MODERATE) == []


def test_it_blocks_when_no_evidence_is_cited():
    assert codes(tc.check_evidence_cited([])) == ["no_evidence_cited"]
    assert tc.check_evidence_cited([STRONG]) == []


def test_it_blocks_with_fewer_than_two_hypotheses():
    assert codes(tc.check_hypotheses_considered(1)) == ["too_few_hypotheses"]
    assert tc.check_hypotheses_considered(2) == []


@pytest.mark.parametrize("weak", [SINGLE, UNCONFIRMED, DOUBTFUL, UNRELIABLE_SOURCE])
def test_it_warns_when_high_confidence_rests_mainly_on_weak_evidence(weak):
    findings = tc.check_high_confidence_support(Confidence.HIGH, [weak, weak, STRONG])
    assert codes(findings) == ["high_confidence_weak_evidence"]
    assert findings[0].severity == "warning"


def test_high_confidence_on_mostly_strong_evidence_or_lower_confidence_is_fine():
    assert tc.check_high_confidence_support(Confidence.HIGH, [SINGLE, STRONG, STRONG]) == []
    assert tc.check_high_confidence_support(Confidence.MODERATE, [SINGLE, SINGLE]) == []


def test_it_warns_when_the_judgment_contradicts_the_top_ranked_hypothesis():
    titles = {1: "Direct support", 2: "Diplomacy only"}
    assert codes(tc.check_agrees_with_ach(2, frozenset({1}), titles)) == ["contradicts_ach"]
    assert tc.check_agrees_with_ach(1, frozenset({1}), titles) == []
    assert tc.check_agrees_with_ach(None, frozenset({1}), titles) == []


@pytest.mark.django_db
def test_a_version_warns_when_its_supported_hypothesis_is_not_the_matrix_leader(
    lead, analyst, reviewer
):
    question = question_in(Status.IN_ANALYSIS, Cast(lead, analyst, reviewer))
    leader, trailer = factories.HypothesisFactory.create_batch(2, question=question)
    draft = write_draft(question, analyst)
    for evidence in draft.cited_evidence.all():
        HypothesisRating.objects.create(
            hypothesis=leader, evidence=evidence, rating=AchRating.CONSISTENT
        )
        HypothesisRating.objects.create(
            hypothesis=trailer, evidence=evidence, rating=AchRating.INCONSISTENT
        )

    against = tc.check_assessment(save_draft(question, analyst, hypothesis=trailer))
    agreeing = tc.check_assessment(save_draft(question, analyst, hypothesis=leader))
    unstated = tc.check_assessment(save_draft(question, analyst, hypothesis=None))

    assert "contradicts_ach" in codes(against.warnings)
    assert leader.title in next(f.message for f in against.warnings if f.field == "hypothesis")
    assert "contradicts_ach" not in codes(agreeing.findings)
    assert "contradicts_ach" not in codes(unstated.findings)


def test_it_warns_when_a_new_version_has_no_change_note():
    assert codes(tc.check_change_note(2, "  ")) == ["no_change_note"]
    assert tc.check_change_note(2, "Added the Beirut meeting.") == []
    assert tc.check_change_note(1, "") == []


def test_it_warns_when_high_confidence_rests_on_items_that_share_one_origin():
    repeats = [tc.CitedItem(Reliability.B, 2, C.CORROBORATED, origin=7) for _ in range(3)]
    assert codes(tc.check_independent_origins(Confidence.HIGH, repeats)) == ["single_origin"]
    independent = [*repeats, tc.CitedItem(Reliability.B, 2, C.CORROBORATED, origin=8)]
    assert tc.check_independent_origins(Confidence.HIGH, independent) == []
    assert tc.check_independent_origins(Confidence.MODERATE, repeats) == []


def test_it_blocks_a_marking_less_restrictive_than_the_cited_evidence():
    red = tc.CitedItem(Reliability.B, 2, C.CORROBORATED, tlp="red")
    green = tc.CitedItem(Reliability.B, 2, C.CORROBORATED, tlp="green")
    assert codes(tc.check_marking("amber", [green, red])) == ["marking_below_cited"]
    assert tc.check_marking("red", [green, red]) == []
    assert tc.check_marking("amber", [green]) == []
