"""Analysis of Competing Hypotheses: the matrix, weighted inconsistency, diagnosticity, linchpins.

Heuer ranks hypotheses by how much evidence is *inconsistent* with them, not by how much
supports them. Each inconsistent rating counts 1 and each very inconsistent rating 2, times the
item's weight from its Admiralty grading (the table is documented in docs/analysis.md). The
least inconsistent hypothesis ranks first.

The scoring functions work on plain data (`Cell` tuples, or the same ratings by row) so they can
be checked by hand; `build_matrix` loads a question's matrix — a user's: only what they may see —
in a fixed number of queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from evidence.choices import Credibility, Reliability
from evidence.dates import format_fuzzy
from iqtrack.db import AnyOf
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


class Cell(NamedTuple):
    """One rating of the matrix, as `score` takes them (plain tuples do as well)."""

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


def _top(totals: dict[int, float]) -> frozenset[int]:
    if not totals:
        return frozenset()
    best = min(totals.values())
    # Round so that float noise from the weights never splits a true tie.
    return frozenset(h for h, v in totals.items() if round(v - best, 9) == 0)


def score(
    hypothesis_ids: Sequence[int],
    cells: Iterable[tuple[int, int, str]],
    weights: dict[int, float],
) -> Scoring:
    """Rank `hypothesis_ids` (in their display order) by weighted inconsistency.

    `cells` are `Cell`s or plain (evidence id, hypothesis id, rating) tuples, one per rated
    pair; ratings against a hypothesis not in `hypothesis_ids` are left out. `weights` maps
    every rated evidence id to its weight. Ties keep display order and share a rank.
    """
    known = set(hypothesis_ids)
    rows: dict[int, dict[int, str]] = {}
    for evidence_id, hypothesis_id, rating in cells:
        if hypothesis_id in known:
            rows.setdefault(evidence_id, {})[hypothesis_id] = rating
    return score_rows(hypothesis_ids, rows, weights)


# The ratings that add to a hypothesis's inconsistency.
_INCONSISTENT = frozenset(INCONSISTENCY_POINTS)


def score_rows(
    hypothesis_ids: Sequence[int],
    rows: dict[int, dict[int, str]],
    weights: dict[int, float],
) -> Scoring:
    """`score` of the same cells read as rows: evidence id → {hypothesis id: rating}, every
    hypothesis id among `hypothesis_ids` (build_matrix reads its ratings so)."""
    totals = dict.fromkeys(hypothesis_ids, 0.0)
    # Evidence id → {hypothesis id: weighted inconsistency it adds}; and the spread of each
    # item's ratings on the consistency scale, from the few kinds of rating it has, not from
    # each of its cells.
    contributions: dict[int, dict[int, float]] = {}
    diagnosticity: dict[int, int] = {}
    points_of = INCONSISTENCY_POINTS
    position_of = CONSISTENCY_SCALE
    for evidence_id, row in rows.items():
        kinds = set(row.values())
        positions = [position_of[kind] for kind in kinds if kind in position_of]
        if positions:
            diagnosticity[evidence_id] = max(positions) - min(positions)
        if kinds.isdisjoint(_INCONSISTENT):
            continue
        weight = weights[evidence_id]
        added = {h: points_of[r] * weight for h, r in row.items() if r in points_of}
        contributions[evidence_id] = added
        for h, value in added.items():
            totals[h] += value

    ordered = sorted(hypothesis_ids, key=lambda h: round(totals[h], 9))
    scores: list[HypothesisScore] = []
    for position, h in enumerate(ordered, start=1):
        tied_with_previous = scores and round(scores[-1].inconsistency - totals[h], 9) == 0
        rank = scores[-1].rank if tied_with_previous else position
        scores.append(HypothesisScore(h, round(totals[h], 6), rank))

    for e in weights:
        diagnosticity.setdefault(e, 0)

    top = _top(totals)
    best = min(totals.values(), default=0.0)
    linchpins = []
    for evidence_id, row in contributions.items():
        # Removing an item only lowers the totals it adds to. One that adds nothing to a
        # first-ranked hypothesis, and whose removal leaves every other one it adds to clearly
        # above the best total, leaves the first rank as it is: no need to rank again.
        if not any(h in top or totals[h] - value <= best + 1e-6 for h, value in row.items()):
            continue
        without = totals.copy()
        for h, value in row.items():
            without[h] -= value
        if _top(without) != top:
            linchpins.append(evidence_id)
    return Scoring(scores=scores, diagnosticity=diagnosticity, linchpins=sorted(linchpins), top=top)


class MatrixHypothesis(NamedTuple):
    """A column of a matrix: what the page, the API and the tradecraft checks read of it."""

    id: int
    title: str
    position: int


class MatrixSource(NamedTuple):
    """An item's source as a matrix names it."""

    id: int
    key: str
    name: str
    reliability: str


class MatrixItem(NamedTuple):
    """One row of a matrix: an evidence item as the matrix shows it. Plain data, like the
    cells: a model instance per row (and per source) cost more than scoring the matrix."""

    id: int
    summary: str
    source: MatrixSource
    credibility: int
    corroboration: str
    happened_display: str  # as precise as the reporting (evidence.dates.format_fuzzy)
    tlp: str
    derived_from_id: int | None  # the item it repeats or derives from (evidence.corroboration)

    @property
    def grading(self) -> str:
        """Admiralty code such as "B2", as Evidence.grading."""
        return f"{self.source.reliability}{self.credibility}"


@dataclass
class Matrix:
    """A question's ACH matrix, ready for a page or the API."""

    hypotheses: list[MatrixHypothesis]  # display order
    evidence: list[MatrixItem]  # chronological (when it happened, then id)
    # Evidence id → {hypothesis id: rating}, for every row (empty when nothing is rated); by
    # row, not by (row, column) pair: what the scoring, the page and the API each walk.
    ratings: dict[int, dict[int, str]]
    weights: dict[int, float]  # evidence id → evidence_weight of its grading
    scoring: Scoring

    def rating(self, evidence_id: int, hypothesis_id: int) -> str | None:
        row = self.ratings.get(evidence_id)
        return None if row is None else row.get(hypothesis_id)

    def origins(self) -> dict[int, int]:
        """Each row's origin (evidence.corroboration): itself, unless its reporting derives from
        another item's. A query only when some row derives from another."""
        from evidence.corroboration import origins_given_parents

        return origins_given_parents({e.id: e.derived_from_id for e in self.evidence})


def build_matrix(question, user=None) -> Matrix:
    """Load and score the matrix of `question` in a fixed number of queries, whatever its size:
    four (hypotheses; linked evidence; their sources; ratings), and one more with `user` (the
    links, questions.visibility.visible_linked_evidence); fewer when no item is linked.

    With `user`, the matrix is theirs: only the linked items they may see are rows, rated and
    scored (questions.visibility). An item out of their sight must not move a score or a rank,
    or the matrix would tell them it exists. Without `user` (the submission's tradecraft checks,
    which the workflow runs for the record, not for a reader) every linked item counts.
    """
    from django.db import connection

    from evidence.models import Evidence, Source
    from questions.models import HypothesisRating
    from questions.visibility import visible_linked_evidence

    hypotheses = [
        MatrixHypothesis._make(h)
        for h in question.hypotheses.order_by("position", "id").values_list(
            "id", "title", "position"
        )
    ]
    if user is None:
        linked = Evidence.objects.filter(question_links__question=question)
    else:
        linked = visible_linked_evidence(user, question)
    rows = list(
        linked.order_by("happened_on", "id").values_list(
            "id",
            "summary",
            "source_id",
            "credibility",
            "corroboration",
            "happened_on",
            "happened_precision",
            "happened_text",
            "tlp",
            "derived_from_id",
        )
    )
    # The sources in a query of their own: joined, PostgreSQL hashes all 20,000 of them to find
    # the few hundred a matrix names.
    named = Source.objects.filter(AnyOf("pk", {row[2] for row in rows})).order_by()
    sources = {
        source[0]: MatrixSource._make(source)
        for source in named.values_list("id", "key", "name", "reliability")
    }
    evidence = [
        MatrixItem(
            evidence_id,
            summary,
            sources[source_id],
            credibility,
            corroboration,
            format_fuzzy(happened_on, precision, happened_text),
            tlp,
            derived_from_id,
        )
        for (
            evidence_id,
            summary,
            source_id,
            credibility,
            corroboration,
            happened_on,
            precision,
            happened_text,
            tlp,
            derived_from_id,
        ) in rows
    ]
    weights = {e.id: evidence_weight(e.source.reliability, e.credibility) for e in evidence}
    # Each row's ratings, by the hypotheses' ids rather than a join on their question: the
    # covering index questions_rating_cover answers that without reading the table. The query is
    # the ORM's, its 6,000 rows (20 × 300) fetched at once, not by the ORM's chunks of 100 —
    # which cost a third of reading them. Ratings of items the reader may not see are left out.
    ratings: dict[int, dict[int, str]] = {e.id: {} for e in evidence}
    if evidence and hypotheses:
        cells = HypothesisRating.objects.filter(AnyOf("hypothesis_id", [h.id for h in hypotheses]))
        sql, params = (
            cells.order_by()
            .values_list("evidence_id", "hypothesis_id", "rating")
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row_of = ratings.get
            for evidence_id, hypothesis_id, rating in cursor.fetchall():
                row = row_of(evidence_id)
                if row is not None:
                    row[hypothesis_id] = rating
    scoring = score_rows([h.id for h in hypotheses], ratings, weights)
    return Matrix(
        hypotheses=hypotheses, evidence=evidence, ratings=ratings, weights=weights, scoring=scoring
    )
