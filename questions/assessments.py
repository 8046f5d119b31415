"""Versioned assessments: drafting, what a version must hold to be submitted, and its hash.

A question's assessment is a series of versions. The analyst edits the one draft; submission
freezes it; the reviewer approves or returns exactly that version. Editing after that makes the
next version, starting from a copy of the previous one, and from the second version on the
analyst says what changed and why. A frozen version never changes (questions.models and the
database refuse it), so a sign-off always stays with the content it signed: `content_hash`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from evidence.choices import Tlp
from evidence.models import Evidence
from questions import permissions
from questions.audit import lock_question, save_attributed
from questions.choices import Confidence, Likelihood, LikelihoodWording
from questions.exceptions import ValidationFailed
from questions.models import Assessment, EvidenceLink, Hypothesis, Question
from questions.tradecraft import check_assessment


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# Default of save_draft's fields: keep what the draft (or the version it revises) already says.
UNCHANGED: Final = _Unchanged()


# ---------------------------------------------------------------------------------------------
# The content hash
# ---------------------------------------------------------------------------------------------


def content_payload(assessment: Assessment) -> dict[str, Any]:
    """Everything a sign-off vouches for, as plain data (tlp and bookkeeping are not content)."""
    return {
        "question": assessment.question.key,
        "version": assessment.version,
        "key_judgments": assessment.key_judgments,
        "likelihood": assessment.likelihood,
        "likelihood_wording": assessment.likelihood_wording,
        "confidence": assessment.confidence,
        "hypothesis": assessment.hypothesis.key if assessment.hypothesis_id else None,
        "cited_evidence": sorted(assessment.cited_evidence.values_list("key", flat=True)),
        "change_note": assessment.change_note,
    }


def content_hash(assessment: Assessment) -> str:
    """SHA-256 of the version's canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(
        content_payload(assessment), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signature_holds(assessment: Assessment) -> bool:
    """True when a signed-off version still hashes to what its reviewer signed."""
    return bool(assessment.content_hash) and assessment.content_hash == content_hash(assessment)


# ---------------------------------------------------------------------------------------------
# Drafting
# ---------------------------------------------------------------------------------------------


def save_draft(
    question: Question,
    author,
    *,
    key_judgments: str | _Unchanged = UNCHANGED,
    likelihood: int | _Unchanged | None = UNCHANGED,
    likelihood_wording: str | _Unchanged = UNCHANGED,
    confidence: str | _Unchanged = UNCHANGED,
    cited_evidence: Iterable[Evidence | int] | _Unchanged = UNCHANGED,
    change_note: str | _Unchanged = UNCHANGED,
    hypothesis: Hypothesis | int | _Unchanged | None = UNCHANGED,
) -> Assessment:
    """Write the analyst's draft: the current one, or a new version after a frozen one.

    Fields left out keep their value; a new version starts as a copy of the previous one.
    """
    with transaction.atomic():
        locked = lock_question(question)
        permissions.can_edit_assessment(author, locked).raise_if_denied()

        draft, is_new, copied_from = _editable_version(locked, author)
        fields = {
            "key_judgments": key_judgments,
            "likelihood": likelihood,
            "likelihood_wording": likelihood_wording,
            "confidence": confidence,
        }
        fields = {name: value for name, value in fields.items() if value is not UNCHANGED}
        if change_note is not UNCHANGED:
            fields["change_note"] = change_note
        if hypothesis is not UNCHANGED:
            fields["hypothesis_id"] = (
                hypothesis.pk if isinstance(hypothesis, Hypothesis) else hypothesis
            )
        cited_ids = None if cited_evidence is UNCHANGED else _ids(cited_evidence)
        errors = _field_errors(locked, fields, cited_ids)
        if errors:
            raise ValidationFailed(errors)

        for name, value in fields.items():
            setattr(draft, name, value)
        if cited_ids is None and copied_from is not None:
            cited_ids = set(copied_from.cited_evidence.values_list("pk", flat=True))
        final_cited = (
            cited_ids
            if cited_ids is not None
            else (set() if is_new else set(draft.cited_evidence.values_list("pk", flat=True)))
        )
        draft.tlp = inherited_marking(locked, final_cited)
        if not is_new:
            reason = f"v{draft.version} draft saved"
        elif copied_from is not None:
            reason = f"v{draft.version} started from v{copied_from.version}"
        else:
            reason = "v1 started"
        # One instant for the row and its cited evidence, so history tells them as one edit.
        save_attributed(draft, author, when=timezone.now(), reason=reason)
        if cited_ids is not None and cited_ids != set(
            draft.cited_evidence.values_list("pk", flat=True)
        ):
            draft.cited_evidence.set(cited_ids)
    return draft


def inherited_marking(question: Question, cited_ids: Iterable[int]) -> str:
    """An assessment is marked at least as restrictively as its question and what it cites."""
    cited_markings = Evidence.objects.filter(pk__in=list(cited_ids)).values_list("tlp", flat=True)
    return Tlp.most_restrictive([question.tlp, *cited_markings])


def _editable_version(question: Question, author) -> tuple[Assessment, bool, Assessment | None]:
    """(the draft to write, whether it is new, the frozen version it copies)."""
    latest = question.latest_assessment()
    if latest is not None and not latest.is_frozen:
        return latest, False, None
    if latest is None:
        return Assessment(question=question, version=1, author=author, tlp=question.tlp), True, None
    revision = Assessment(
        question=question,
        version=latest.version + 1,
        author=author,
        tlp=latest.tlp,
        key_judgments=latest.key_judgments,
        likelihood=latest.likelihood,
        likelihood_wording=latest.likelihood_wording,
        confidence=latest.confidence,
        hypothesis_id=latest.hypothesis_id,
    )
    return revision, True, latest


def _ids(items: Iterable[Evidence | int]) -> set[int]:
    return {item.pk if isinstance(item, Evidence) else int(item) for item in items}


def _field_errors(
    question: Question, fields: dict[str, Any], cited_ids: set[int] | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "likelihood" in fields and fields["likelihood"] not in (None, *Likelihood.values):
        errors["likelihood"] = ["Likelihood is one of the seven ICD 203 steps (1 to 7)."]
    if "likelihood_wording" in fields and fields["likelihood_wording"] not in (
        LikelihoodWording.values
    ):
        errors["likelihood_wording"] = ["Use the step's primary or alternative wording."]
    if "confidence" in fields and fields["confidence"] not in ("", *Confidence.values):
        errors["confidence"] = ["Confidence is low, moderate or high."]
    for name in ("key_judgments", "change_note"):
        if name in fields and not isinstance(fields[name], str):
            errors[name] = ["This must be text."]
    # The judgment backs one of this question's own hypotheses (or none said).
    supported = fields.get("hypothesis_id")
    if supported is not None and not (
        isinstance(supported, int)
        and not isinstance(supported, bool)
        and Hypothesis.objects.filter(pk=supported, question=question).exists()
    ):
        errors["hypothesis"] = ["Choose one of this question's hypotheses."]
    if cited_ids:
        unlinked = cited_ids - set(
            EvidenceLink.objects.filter(question=question, evidence_id__in=cited_ids).values_list(
                "evidence_id", flat=True
            )
        )
        if unlinked:
            errors["cited_evidence"] = [
                "An assessment cites only evidence linked to its question "
                f"(not linked: {', '.join(map(str, sorted(unlinked)))})."
            ]
    return errors


def submission_errors(assessment: Assessment) -> dict[str, list[str]]:
    """What a draft still lacks before it can go to review (empty when it is ready)."""
    errors: dict[str, list[str]] = {}
    if not assessment.key_judgments.strip():
        errors["key_judgments"] = ["State the key judgments."]
    if assessment.version > 1 and not assessment.change_note.strip():
        errors["change_note"] = [
            f"Say what changed since version {assessment.version - 1}, and why."
        ]
    cited = set(assessment.cited_evidence.values_list("pk", flat=True))
    if cited:
        errors.update(_field_errors(assessment.question, {}, cited))
    # The tradecraft rules (likelihood, confidence, citations, hypotheses, estimative language,
    # marking) live in questions.tradecraft; its blocking findings stop the submission.
    for finding in check_assessment(assessment).blocking:
        errors.setdefault(finding.field, []).append(finding.message)
    return errors
