"""Workflow states and the analytic scales of assessments, exactly as in docs/domain.md."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    ASSIGNED = "assigned", "Assigned"
    IN_ANALYSIS = "in_analysis", "In analysis"
    IN_REVIEW = "in_review", "In review"
    ASSESSED = "assessed", "Assessed"
    CLOSED = "closed", "Closed"


# Asked and not yet answered: a question in these states can be overdue (pages, API filter and
# reminders all mean this by "overdue").
UNFINISHED: tuple[str, ...] = (
    Status.OPEN,
    Status.ASSIGNED,
    Status.IN_ANALYSIS,
    Status.IN_REVIEW,
)


class Action(models.TextChoices):
    """The workflow's verbs; the API and the pages use the same words."""

    PUBLISH = "publish", "Publish"
    ASSIGN = "assign", "Assign"
    START = "start", "Start analysis"
    SUBMIT = "submit", "Submit for review"
    APPROVE = "approve", "Approve"
    RETURN = "return", "Return with comments"
    REOPEN = "reopen", "Reopen"
    CLOSE = "close", "Close"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


@dataclass(frozen=True)
class LikelihoodStep:
    step: int
    wording: str
    alternative: str
    low: int  # percent, inclusive
    high: int  # percent, inclusive

    @property
    def range_label(self) -> str:
        return f"{self.low:02d}–{self.high:02d} %"


# ICD 203 estimative language: seven steps, two accepted wordings each, and a probability range.
LIKELIHOOD_STEPS: tuple[LikelihoodStep, ...] = (
    LikelihoodStep(1, "almost no chance", "remote", 1, 5),
    LikelihoodStep(2, "very unlikely", "highly improbable", 5, 20),
    LikelihoodStep(3, "unlikely", "improbable", 20, 45),
    LikelihoodStep(4, "roughly even chance", "roughly even odds", 45, 55),
    LikelihoodStep(5, "likely", "probable", 55, 80),
    LikelihoodStep(6, "very likely", "highly probable", 80, 95),
    LikelihoodStep(7, "almost certain", "nearly certain", 95, 99),
)


class Likelihood(models.IntegerChoices):
    ALMOST_NO_CHANCE = 1, "almost no chance / remote (01–05 %)"
    VERY_UNLIKELY = 2, "very unlikely / highly improbable (05–20 %)"
    UNLIKELY = 3, "unlikely / improbable (20–45 %)"
    ROUGHLY_EVEN = 4, "roughly even chance / roughly even odds (45–55 %)"
    LIKELY = 5, "likely / probable (55–80 %)"
    VERY_LIKELY = 6, "very likely / highly probable (80–95 %)"
    ALMOST_CERTAIN = 7, "almost certain / nearly certain (95–99 %)"

    @property
    def step(self) -> LikelihoodStep:
        return LIKELIHOOD_STEPS[self.value - 1]


class LikelihoodWording(models.TextChoices):
    """Which of the step's two accepted wordings the assessment uses."""

    PRIMARY = "primary", "Wording (e.g. likely)"
    ALTERNATIVE = "alternative", "Alternative wording (e.g. probable)"


class Confidence(models.TextChoices):
    """ICD 203 analytic confidence: about the evidence and reasoning, not the likelihood."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class AchRating(models.TextChoices):
    """Heuer's ACH consistency of one evidence item with one hypothesis."""

    VERY_CONSISTENT = "very_consistent", "Very consistent"
    CONSISTENT = "consistent", "Consistent"
    NEUTRAL = "neutral", "Neutral"
    INCONSISTENT = "inconsistent", "Inconsistent"
    VERY_INCONSISTENT = "very_inconsistent", "Very inconsistent"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class AssessmentState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    RETURNED = "returned", "Returned"
    APPROVED = "approved", "Approved"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    RETURN = "return", "Return with comments"
