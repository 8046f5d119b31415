"""Tradecraft checks run when an assessment is submitted: one module, one function per rule.

Blocking findings stop the submission; warnings are shown to the analyst and, beside the
assessment, to the reviewer. Each check takes what it needs and returns findings, so each can be
tested alone; `check_assessment` gathers the data once and runs them all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evidence.choices import Corroboration, Credibility, Reliability, Tlp
from questions.choices import LIKELIHOOD_STEPS, Confidence, LikelihoodStep

Severity = Literal["blocking", "warning"]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    field: str = ""


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "blocking"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.blocking


# --- Estimative language ---------------------------------------------------------------------

# Every ICD 203 wording, longest first so "very unlikely" is read before "unlikely" and
# "highly improbable" before "improbable".
_TERMS: dict[str, int] = {}
for _step in LIKELIHOOD_STEPS:
    _TERMS[_step.wording] = _step.step
    _TERMS[_step.alternative] = _step.step
_TERM_RE = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(_TERMS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_PERCENT_RE = re.compile(
    r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*(?:(?:-|–|to)\s*(\d{1,3}(?:\.\d+)?)\s*)?(?:%|per\s?cent\b)",
    re.IGNORECASE,
)


def likelihood_terms(text: str) -> list[tuple[str, int]]:
    """The ICD 203 wordings used in `text`, with the step each belongs to."""
    return [(m.group(1).lower(), _TERMS[m.group(1).lower()]) for m in _TERM_RE.finditer(text)]


def stated_percentages(text: str) -> list[float]:
    values: list[float] = []
    for match in _PERCENT_RE.finditer(text):
        values.extend(float(g) for g in match.groups() if g is not None)
    return values


def check_likelihood_chosen(likelihood: int | None) -> list[Finding]:
    if likelihood is None:
        return [
            Finding(
                "likelihood_missing",
                "blocking",
                "Choose a likelihood step from the ICD 203 scale.",
                "likelihood",
            )
        ]
    return []


def check_percentages_in_range(text: str, likelihood: int | None) -> list[Finding]:
    if likelihood is None:
        return []
    step: LikelihoodStep = LIKELIHOOD_STEPS[likelihood - 1]
    outside = [p for p in stated_percentages(text) if not step.low <= p <= step.high]
    return [
        Finding(
            "percentage_outside_step",
            "blocking",
            f"The text states {p:g} %, outside the chosen step "
            f"“{step.wording}” ({step.range_label}).",
            "key_judgments",
        )
        for p in outside
    ]


def check_terms_from_one_row(text: str, likelihood: int | None) -> list[Finding]:
    """Estimative words in the text must all belong to the chosen step's row of the table."""
    used = likelihood_terms(text)
    steps = {step for _, step in used}
    findings = []
    if len(steps) > 1:
        words = ", ".join(sorted({f"“{term}”" for term, _ in used}))
        findings.append(
            Finding(
                "mixed_likelihood_terms",
                "blocking",
                "The text mixes likelihood terms from different rows of the ICD 203 table: "
                f"{words}.",
                "key_judgments",
            )
        )
    elif steps and likelihood is not None and steps != {likelihood}:
        term = used[0][0]
        chosen = LIKELIHOOD_STEPS[likelihood - 1]
        findings.append(
            Finding(
                "likelihood_terms_disagree",
                "blocking",
                f"The text says “{term}” but the chosen step is “{chosen.wording}” "
                f"/ “{chosen.alternative}”.",
                "key_judgments",
            )
        )
    return findings


def check_confidence_chosen(confidence: str) -> list[Finding]:
    if confidence not in Confidence.values:
        return [
            Finding(
                "confidence_missing",
                "blocking",
                "Choose an analytic confidence level (low, moderate or high).",
                "confidence",
            )
        ]
    return []


# --- Evidence and hypotheses -----------------------------------------------------------------


@dataclass(frozen=True)
class CitedItem:
    """What the checks need to know of one cited evidence item."""

    reliability: str
    credibility: int
    corroboration: str
    origin: int = 0  # id of the item its reporting traces back to (evidence.corroboration)
    tlp: str = Tlp.CLEAR

    @property
    def weak(self) -> bool:
        return (
            self.corroboration in (Corroboration.SINGLE_SOURCE, Corroboration.UNCONFIRMED)
            or self.credibility >= Credibility.DOUBTFUL
            or self.reliability in (Reliability.D, Reliability.E, Reliability.F)
        )


def check_evidence_cited(cited: Sequence[CitedItem]) -> list[Finding]:
    if not cited:
        return [
            Finding(
                "no_evidence_cited",
                "blocking",
                "Cite at least one evidence item the judgment rests on.",
                "cited_evidence",
            )
        ]
    return []


def check_hypotheses_considered(hypothesis_count: int) -> list[Finding]:
    if hypothesis_count < 2:
        return [
            Finding(
                "too_few_hypotheses",
                "blocking",
                "Consider at least two competing hypotheses "
                f"(this question has {hypothesis_count}).",
                "hypotheses",
            )
        ]
    return []


def check_high_confidence_support(confidence: str, cited: Sequence[CitedItem]) -> list[Finding]:
    """High confidence should not rest mainly on weak reporting."""
    if confidence != Confidence.HIGH or not cited:
        return []
    weak = sum(1 for item in cited if item.weak)
    if weak * 2 > len(cited):
        return [
            Finding(
                "high_confidence_weak_evidence",
                "warning",
                f"High confidence, but {weak} of {len(cited)} cited items are single-source, "
                "unconfirmed, of low credibility (4–6) or from a low-reliability source (D–F).",
                "confidence",
            )
        ]
    return []


def check_marking(marking: str, cited: Sequence[CitedItem]) -> list[Finding]:
    """An assessment is marked at least as restrictively as the evidence it cites."""
    floor = Tlp.most_restrictive([item.tlp for item in cited])
    if Tlp.rank(marking) < Tlp.rank(floor):
        return [
            Finding(
                "marking_below_cited",
                "blocking",
                f"The assessment is marked {Tlp(marking).label} but cites evidence marked "
                f"{Tlp(floor).label}; save the draft again to inherit the marking.",
                "tlp",
            )
        ]
    return []


def check_independent_origins(confidence: str, cited: Sequence[CitedItem]) -> list[Finding]:
    """Several cited items repeating one origin are single-source, however many there are."""
    if confidence != Confidence.HIGH or len(cited) < 2:
        return []
    if len({item.origin for item in cited}) == 1:
        return [
            Finding(
                "single_origin",
                "warning",
                f"High confidence, but all {len(cited)} cited items trace back to one origin "
                "(circular reporting is not corroboration).",
                "cited_evidence",
            )
        ]
    return []


def check_agrees_with_ach(
    hypothesis_id: int | None, top: frozenset[int], titles: dict[int, str]
) -> list[Finding]:
    """The judgment's hypothesis should be (one of) the least inconsistent in the ACH matrix."""
    if hypothesis_id is None or not top or hypothesis_id in top:
        return []
    leaders = ", ".join(f"“{titles[h]}”" for h in sorted(top))
    return [
        Finding(
            "contradicts_ach",
            "warning",
            f"The judgment supports “{titles.get(hypothesis_id, hypothesis_id)}”, but the ACH "
            f"matrix ranks {leaders} first.",
            "hypothesis",
        )
    ]


def check_change_note(version: int, change_note: str) -> list[Finding]:
    if version > 1 and not change_note.strip():
        return [
            Finding(
                "no_change_note",
                "warning",
                "Say what changed since the previous version, and why.",
                "change_note",
            )
        ]
    return []


def check_assessment(assessment, user=None) -> Report:
    """Run every check on one assessment version (a handful of queries, whatever its size).

    With `user`, the ACH check reads that user's matrix (questions.ach.build_matrix), so a
    finding never turns on an item they may not see."""
    from evidence.corroboration import origins_given_parents
    from questions.ach import build_matrix

    question = assessment.question
    text = assessment.key_judgments or ""
    items = list(assessment.cited_evidence.select_related("source"))
    # Their derived_from ids are read with them: the chains are walked only if one derives.
    origin_of = origins_given_parents({e.id: e.derived_from_id for e in items})
    cited = [
        CitedItem(e.source.reliability, e.credibility, e.corroboration, origin_of[e.id], e.tlp)
        for e in items
    ]
    matrix = build_matrix(question, user)
    titles = {h.id: h.title for h in matrix.hypotheses}
    findings = [
        *check_likelihood_chosen(assessment.likelihood),
        *check_percentages_in_range(text, assessment.likelihood),
        *check_terms_from_one_row(text, assessment.likelihood),
        *check_confidence_chosen(assessment.confidence),
        *check_evidence_cited(cited),
        *check_hypotheses_considered(len(matrix.hypotheses)),
        *check_marking(assessment.tlp, cited),
        *check_high_confidence_support(assessment.confidence, cited),
        *check_independent_origins(assessment.confidence, cited),
        *check_agrees_with_ach(assessment.hypothesis_id, matrix.scoring.top, titles),
        *check_change_note(assessment.version, assessment.change_note or ""),
    ]
    return Report(tuple(findings))
