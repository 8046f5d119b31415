"""ACH scoring: weighted inconsistency, ranking, diagnosticity and linchpins, checked by hand."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.choices import Credibility, Reliability, Tlp
from questions.ach import Cell, build_matrix, evidence_weight, score
from questions.choices import AchRating as R
from questions.models import EvidenceLink, HypothesisRating
from tests import factories

H1, H2, H3 = 1, 2, 3
E1, E2, E3 = 10, 20, 30
# E1 is graded A1 (weight 1.0), E2 C3 (0.6 × 0.6 = 0.36), E3 F6 (0.5 × 0.5 = 0.25).
WEIGHTS = {E1: 1.0, E2: 0.36, E3: 0.25}
CELLS = [
    Cell(E1, H1, R.CONSISTENT),
    Cell(E1, H2, R.INCONSISTENT),
    Cell(E1, H3, R.VERY_INCONSISTENT),
    Cell(E2, H1, R.INCONSISTENT),
    Cell(E2, H2, R.CONSISTENT),
    Cell(E2, H3, R.CONSISTENT),
    Cell(E3, H1, R.NEUTRAL),
    Cell(E3, H2, R.NEUTRAL),
    Cell(E3, H3, R.NEUTRAL),
]


def test_the_weight_is_reliability_times_credibility():
    assert evidence_weight(Reliability.A, Credibility.CONFIRMED) == 1.0
    assert evidence_weight(Reliability.C, Credibility.POSSIBLY_TRUE) == pytest.approx(0.36)
    assert evidence_weight(Reliability.F, Credibility.CANNOT_BE_JUDGED) == 0.25
    assert evidence_weight(Reliability.E, Credibility.IMPROBABLE) == pytest.approx(0.04)


def test_it_ranks_the_least_inconsistent_hypothesis_first():
    # H1: 1 × 0.36 = 0.36; H2: 1 × 1.0 = 1.0; H3: 2 × 1.0 = 2.0.
    result = score([H1, H2, H3], CELLS, WEIGHTS)
    assert [(s.hypothesis_id, s.inconsistency, s.rank) for s in result.scores] == [
        (H1, 0.36, 1),
        (H2, 1.0, 2),
        (H3, 2.0, 3),
    ]
    assert result.top == {H1}


def test_support_does_not_count_only_inconsistency_does():
    cells = [Cell(E1, H1, R.VERY_CONSISTENT), Cell(E1, H2, R.NEUTRAL)]
    result = score([H1, H2], cells, {E1: 1.0})
    assert [s.inconsistency for s in result.scores] == [0.0, 0.0]
    assert result.top == {H1, H2}


def test_ties_share_a_rank_and_keep_display_order():
    cells = [Cell(E1, H3, R.INCONSISTENT)]
    result = score([H1, H2, H3], cells, {E1: 1.0})
    assert [(s.hypothesis_id, s.rank) for s in result.scores] == [(H1, 1), (H2, 1), (H3, 3)]


def test_a_row_rated_the_same_against_every_hypothesis_has_no_diagnosticity():
    result = score([H1, H2, H3], CELLS, WEIGHTS)
    # E1: consistent (+1) … very inconsistent (−2) → spread 3; E2: −1 … +1 → 2; E3: all neutral.
    assert result.diagnosticity == {E1: 3, E2: 2, E3: 0}


def test_not_applicable_cells_do_not_make_a_row_diagnostic():
    cells = [Cell(E1, H1, R.CONSISTENT), Cell(E1, H2, R.NOT_APPLICABLE)]
    assert score([H1, H2], cells, {E1: 1.0}).diagnosticity == {E1: 0}


def test_a_linchpin_is_an_item_whose_removal_alone_changes_the_leader():
    result = score([H1, H2, H3], CELLS, WEIGHTS)
    # Without E1: H1 0.36, H2 0, H3 0 → H2 and H3 lead instead of H1. Without E2: H1 still leads.
    assert result.linchpins == [E1]


def test_an_item_that_only_reorders_the_runners_up_is_not_a_linchpin():
    e4 = 40
    # H1 0; H2 4 (two very inconsistent); H3 2 (two inconsistent). Removing any one item
    # reorders or ties H2 and H3, but H1 stays first alone.
    cells = [
        Cell(E1, H2, R.VERY_INCONSISTENT),
        Cell(E2, H2, R.VERY_INCONSISTENT),
        Cell(E3, H3, R.INCONSISTENT),
        Cell(e4, H3, R.INCONSISTENT),
    ]
    result = score([H1, H2, H3], cells, {E1: 1.0, E2: 1.0, E3: 1.0, e4: 1.0})
    assert result.top == {H1}
    assert result.linchpins == []


@pytest.mark.django_db
def test_build_matrix_reads_a_question_in_the_same_number_of_queries_whatever_its_size():
    def matrix_queries(evidence_count: int) -> int:
        question = factories.QuestionFactory()
        hypotheses = [factories.HypothesisFactory(question=question) for _ in range(3)]
        for _ in range(evidence_count):
            item = factories.EvidenceFactory()
            EvidenceLink.objects.create(question=question, evidence=item)
            for h in hypotheses:
                HypothesisRating.objects.create(hypothesis=h, evidence=item, rating=R.CONSISTENT)
        with CaptureQueriesContext(connection) as queries:
            matrix = build_matrix(question)
        assert len(matrix.evidence) == evidence_count
        return len(queries)

    # hypotheses, linked items, their sources, ratings
    assert matrix_queries(1) == matrix_queries(50) == 4


@pytest.mark.django_db
@pytest.mark.parametrize("reader", ["analyst", "outsider"])
def test_a_readers_matrix_takes_the_same_queries_for_1_and_50_items(reader):
    """The analyst has a need-to-know grant for the question; the outsider reads it as a
    TLP:GREEN question, so each item is checked on its own (visible_linked_evidence)."""
    team = factories.TeamFactory()
    analyst = factories.UserFactory()
    team.members.add(analyst)
    outsider = factories.UserFactory()
    user = analyst if reader == "analyst" else outsider

    def matrix_queries(evidence_count: int) -> int:
        question = factories.QuestionFactory(team=team, tlp=Tlp.GREEN)
        hypotheses = [factories.HypothesisFactory(question=question) for _ in range(3)]
        for i in range(evidence_count):
            marking = Tlp.GREEN if i % 2 == 0 else Tlp.AMBER
            item = factories.EvidenceFactory(owner_team=team, tlp=marking)
            EvidenceLink.objects.create(question=question, evidence=item)
            for h in hypotheses:
                HypothesisRating.objects.create(hypothesis=h, evidence=item, rating=R.CONSISTENT)
        with CaptureQueriesContext(connection) as queries:
            matrix = build_matrix(question, user)
        # The outsider sees the TLP:GREEN items only, not the team's TLP:AMBER ones.
        seen = evidence_count if reader == "analyst" else (evidence_count + 1) // 2
        assert len(matrix.evidence) == seen
        return len(queries)

    # the links (and whether the question is one of the reader's), then as without a reader
    assert matrix_queries(1) == matrix_queries(50) == 5


def _linchpins_by_hand(hypothesis_ids, cells, weights) -> list[int]:
    """Every rated item, removed in turn, and the matrix scored again without it."""
    first = score(hypothesis_ids, cells, weights).top
    return sorted(
        e
        for e in {c.evidence_id for c in cells}
        if score(hypothesis_ids, [c for c in cells if c.evidence_id != e], weights).top != first
    )


@pytest.mark.parametrize("seed", range(40))
def test_the_linchpins_are_the_items_whose_removal_alone_changes_the_first_rank(seed):
    """Random matrices, many with ties at the top (few hypotheses, weights of the Admiralty
    table): `score` skips re-ranking for items that cannot move the first rank, and must find
    the same linchpins as removing each item and ranking again."""
    import random

    rng = random.Random(seed)
    hypotheses = list(range(1, rng.randint(2, 5)))
    items = list(range(100, 100 + rng.randint(1, 12)))
    weights = {
        e: evidence_weight(rng.choice(list(Reliability)), rng.choice(list(Credibility)))
        for e in items
    }
    cells = [
        Cell(e, h, rng.choice(list(R))) for e in items for h in hypotheses if rng.random() < 0.8
    ]
    assert score(hypotheses, cells, weights).linchpins == _linchpins_by_hand(
        hypotheses, cells, weights
    )


@pytest.mark.django_db
def test_build_matrix_scores_with_the_items_admiralty_grading():
    question = factories.QuestionFactory()
    h1 = factories.HypothesisFactory(question=question, position=1)
    h2 = factories.HypothesisFactory(question=question, position=2)
    strong = factories.EvidenceFactory(
        source=factories.SourceFactory(reliability=Reliability.B), credibility=2
    )
    weak = factories.EvidenceFactory(
        source=factories.SourceFactory(reliability=Reliability.E), credibility=5
    )
    for item in (strong, weak):
        EvidenceLink.objects.create(question=question, evidence=item)
    HypothesisRating.objects.create(hypothesis=h1, evidence=strong, rating=R.INCONSISTENT)
    HypothesisRating.objects.create(hypothesis=h2, evidence=weak, rating=R.VERY_INCONSISTENT)

    matrix = build_matrix(question)

    # h1: 1 × 0.8 × 0.8 = 0.64; h2: 2 × 0.2 × 0.2 = 0.08 → h2 is least inconsistent.
    assert [(s.hypothesis_id, s.inconsistency) for s in matrix.scoring.scores] == [
        (h2.id, 0.08),
        (h1.id, 0.64),
    ]
    assert matrix.rating(strong.id, h1.id) == R.INCONSISTENT
    assert matrix.rating(weak.id, h1.id) is None
    # Without the strong item h1 would lead (0 < 0.08); without the weak one h2 still leads.
    assert matrix.scoring.linchpins == [strong.id]
