"""Analysis of Competing Hypotheses: the matrix, weighted inconsistency, diagnosticity, linchpins.

Heuer ranks hypotheses by how much evidence is *inconsistent* with them, not by how much
supports them. Each inconsistent rating counts 1 and each very inconsistent rating 2, times the
item's weight from its Admiralty grading (the table is documented in docs/analysis.md). The
least inconsistent hypothesis ranks first.

The scoring functions work on plain data (`Cell` tuples) so they can be checked by hand;
`build_matrix` loads a question's matrix — a user's: only what they may see — in a fixed number
of queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from evidence.choices import Credibility, Reliability
from questions.choices import AchRating

# Source reliability weight: "cannot be judged" (F) sits mid-scale, between C and D, because it
# says nothing either way about the source, unlike E (judged unreliable).
RELIABILITY_WEIGHT: dict[str, float] = {
    Reliability.A: 1.0,
    Reliability.B: 0.8,
    Reliability.C: 0.6,
    Reliability.D: 0.4,
    Reliability.E: 0.2,
    Reliability.F: 0.5,
}
# Information credibility weight, with the same reasoning for 6 (truth cannot be judged).
CREDIBILITY_WEIGHT: dict[int, float] = {
    Credibility.CONFIRMED: 1.0,
    Credibility.PROBABLY_TRUE: 0.8,
    Credibility.POSSIBLY_TRUE: 0.6,
    Credibility.DOUBTFUL: 0.4,
    Credibility.IMPROBABLE: 0.2,
    Credibility.CANNOT_BE_JUDGED: 0.5,
}
INCONSISTENCY_POINTS: dict[str, int] = {
    AchRating.INCONSISTENT: 1,
    AchRating.VERY_INCONSISTENT: 2,
}
# Position on the consistency scale, for diagnosticity. Not applicable has none.
CONSISTENCY_SCALE: dict[str, int] = {
    AchRating.VERY_CONSISTENT: 2,
    AchRating.CONSISTENT: 1,
    AchRating.NEUTRAL: 0,
    AchRating.INCONSISTENT: -1,
    AchRating.VERY_INCONSISTENT: -2,
}


def evidence_weight(reliability: str, credibility: int) -> float:
    return RELIABILITY_WEIGHT[reliability] * CREDIBILITY_WEIGHT[credibility]


@dataclass(frozen=True)
class Cell:
    evidence_id: int
    hypothesis_id: int
    rating: str


@dataclass
class HypothesisScore:
    hypothesis_id: int
    inconsistency: float
    rank: int = 0


@dataclass
class Scoring:
    """Result of scoring one matrix."""

    scores: list[HypothesisScore]  # ranked, least inconsistent first
    diagnosticity: dict[int, int]  # evidence id → spread on the consistency scale (0 = none)
    linchpins: list[int]  # evidence ids whose removal alone changes which hypothesis ranks first
    top: frozenset[int] = field(default_factory=frozenset)  # tied first-ranked hypotheses


def _contributions(cells: Iterable[Cell], weights: dict[int, float]) -> dict[int, dict[int, float]]:
    """evidence id → {hypothesis id: weighted inconsistency it adds}."""
    out: dict[int, dict[int, float]] = {}
    for cell in cells:
        points = INCONSISTENCY_POINTS.get(cell.rating, 0)
        if points:
            row = out.setdefault(cell.evidence_id, {})
            row[cell.hypothesis_id] = points * weights[cell.evidence_id]
    return out


def _top(totals: dict[int, float]) -> frozenset[int]:
    if not totals:
        return frozenset()
    best = min(totals.values())
    # Round so that float noise from the weights never splits a true tie.
    return frozenset(h for h, v in totals.items() if round(v - best, 9) == 0)


def score(
    hypothesis_ids: Sequence[int], cells: Iterable[Cell], weights: dict[int, float]
) -> Scoring:
    """Rank `hypothesis_ids` (in their display order) by weighted inconsistency.

    `weights` maps every rated evidence id to its weight. Ties keep display order and share a rank.
    """
    cells = list(cells)
    contributions = _contributions(cells, weights)
    totals = {h: 0.0 for h in hypothesis_ids}
    for row in contributions.values():
        for h, value in row.items():
            if h in totals:
                totals[h] += value

    ordered = sorted(hypothesis_ids, key=lambda h: round(totals[h], 9))
    scores: list[HypothesisScore] = []
    for position, h in enumerate(ordered, start=1):
        tied_with_previous = scores and round(scores[-1].inconsistency - totals[h], 9) == 0
        rank = scores[-1].rank if tied_with_previous else position
        scores.append(HypothesisScore(h, round(totals[h], 6), rank))

    positions: dict[int, list[int]] = {}
    for cell in cells:
        if cell.rating in CONSISTENCY_SCALE and cell.hypothesis_id in totals:
            positions.setdefault(cell.evidence_id, []).append(CONSISTENCY_SCALE[cell.rating])
    diagnosticity = {e: max(p) - min(p) for e, p in positions.items()}
    for e in weights:
        diagnosticity.setdefault(e, 0)

    top = _top(totals)
    linchpins = []
    for evidence_id, row in contributions.items():
        without = {h: totals[h] - row.get(h, 0.0) for h in totals}
        if _top(without) != top:
            linchpins.append(evidence_id)
    return Scoring(scores=scores, diagnosticity=diagnosticity, linchpins=sorted(linchpins), top=top)


@dataclass
class Matrix:
    """A question's ACH matrix, ready for a page or the API."""

    hypotheses: list  # Hypothesis rows, display order
    evidence: list  # Evidence rows (source selected), chronological
    ratings: dict[tuple[int, int], str]  # (evidence id, hypothesis id) → rating
    scoring: Scoring

    def rating(self, evidence_id: int, hypothesis_id: int) -> str | None:
        return self.ratings.get((evidence_id, hypothesis_id))


def build_matrix(question, user=None) -> Matrix:
    """Load and score the matrix of `question` in three queries, whatever its size.

    With `user`, the matrix is theirs: only the linked items they may see are rows, rated and
    scored (questions.visibility). An item out of their sight must not move a score or a rank,
    or the matrix would tell them it exists. Without `user` (the submission's tradecraft checks,
    which the workflow runs for the record, not for a reader) every linked item counts.
    """
    from questions.models import HypothesisRating
    from questions.visibility import visible_evidence

    hypotheses = list(question.hypotheses.order_by("position", "id"))
    links = question.evidence_links.select_related("evidence__source")
    if user is not None:
        own = question.evidence_links.values("evidence_id")
        links = links.filter(evidence__in=visible_evidence(user, among=own))
    evidence = [link.evidence for link in links.order_by("evidence__happened_on", "evidence_id")]
    evidence_ids = {e.id for e in evidence}
    # Plain tuples, not model instances: a 20 × 300 matrix is 6,000 cells (bench/RESULTS.md).
    cells_of_question = HypothesisRating.objects.filter(hypothesis__question=question)
    ratings = {
        (evidence_id, hypothesis_id): rating
        for evidence_id, hypothesis_id, rating in cells_of_question.values_list(
            "evidence_id", "hypothesis_id", "rating"
        )
        if evidence_id in evidence_ids
    }
    weights = {e.id: evidence_weight(e.source.reliability, e.credibility) for e in evidence}
    cells = [Cell(e, h, rating) for (e, h), rating in ratings.items()]
    scoring = score([h.id for h in hypotheses], cells, weights)
    return Matrix(hypotheses=hypotheses, evidence=evidence, ratings=ratings, scoring=scoring)
