from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords

from evidence.choices import Tlp
from evidence.models import Evidence, choice_check, natural_key_field
from questions.choices import (
    UNFINISHED,
    AchRating,
    Action,
    AssessmentState,
    Confidence,
    Likelihood,
    LikelihoodWording,
    Priority,
    ReviewDecision,
    Status,
)
from questions.exceptions import FrozenVersion

User = settings.AUTH_USER_MODEL


class Question(models.Model):
    """An open intelligence question. A key question (no parent) may have sub-questions.

    `status` changes only through questions.workflow, which checks actor and state, updates
    under a row lock and writes a Transition.
    """

    key = natural_key_field()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="sub_questions"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="questions")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    tlp = models.CharField("TLP", max_length=16, choices=Tlp.choices, default=Tlp.AMBER)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        User,
        verbose_name="analyst",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_questions",
    )
    reviewer = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="reviewed_questions"
    )
    due_at = models.DateTimeField("due", null=True, blank=True)
    # Who may see the question beyond its team (questions/visibility.py applies them):
    # TLP:RED — only the named recipients; TLP:AMBER — also the teams it is shared with.
    recipients = models.ManyToManyField(
        User,
        blank=True,
        related_name="+",
        help_text="TLP:RED only: the people who may see the question; nobody else does.",
    )
    shared_with = models.ManyToManyField(
        "accounts.Team",
        blank=True,
        related_name="shared_questions",
        help_text="TLP:AMBER only: other teams that may see the question.",
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Kept up to date by a PostgreSQL trigger (questions/migrations); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(
        m2m_fields=[recipients, shared_with], excluded_fields=["search_vector"]
    )

    class Meta:
        ordering = ["-priority", "due_at", "id"]
        constraints = [
            choice_check("status", Status),
            choice_check("tlp", Tlp),
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4),
                name="questions_question_priority_range",
            ),
            # Two-person rule, structurally: the analyst never reviews their own question.
            models.CheckConstraint(
                condition=~models.Q(assignee=models.F("reviewer")),
                name="questions_question_analyst_is_not_reviewer",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")),
                name="questions_question_not_its_own_parent",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            # The reminder sweep: how long a question has been in review, open or assessed.
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["reviewer", "status"]),
            # The board's columns (questions.views._columns): each status's questions in the
            # board's order, carrying the columns that the visibility condition reads
            # (questions.visibility._visible), so that taking a column's first cards and
            # counting a status's questions read this index alone, not the table's wide rows.
            models.Index(
                fields=["status", "-priority", "due_at", "id"],
                include=["tlp", "team", "assignee", "reviewer"],
                name="questions_board_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # The assessment versions that the workflow and the pages ask about.
    @staticmethod
    def overdue_condition(now: datetime) -> models.Q:
        """Past its due date and not yet answered (UNFINISHED): one meaning of "overdue"."""
        return models.Q(status__in=UNFINISHED, due_at__lt=now)

    def is_overdue_at(self, now: datetime) -> bool:
        return Question.overdue(self.due_at, self.status, now)

    @staticmethod
    def overdue(due_at: datetime | None, status: str, now: datetime) -> bool:
        """is_overdue_at for a question read as its columns (the board's cards)."""
        return due_at is not None and due_at < now and status in UNFINISHED

    def latest_assessment(self) -> Assessment | None:
        return self.assessments.order_by("-version").first()

    def draft_assessment(self) -> Assessment | None:
        return self.assessments.filter(state=AssessmentState.DRAFT).first()

    def submitted_assessment(self) -> Assessment | None:
        return self.assessments.filter(state=AssessmentState.SUBMITTED).first()

    def signed_off_assessment(self) -> Assessment | None:
        """The latest approved version: what the question's answer currently is."""
        return self.assessments.filter(state=AssessmentState.APPROVED).order_by("-version").first()


class Hypothesis(models.Model):
    """One candidate answer to a question, for Analysis of Competing Hypotheses."""

    key = natural_key_field()
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="hypotheses")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name_plural = "hypotheses"

    def __str__(self) -> str:
        return self.title

    @property
    def label(self) -> str:
        """ "H2 · title": numbered in the question's order, as the ACH matrix numbers them."""
        order = list(
            Hypothesis.objects.filter(question_id=self.question_id).values_list("pk", flat=True)
        )
        return f"H{order.index(self.pk) + 1} · {self.title}"


class EvidenceLink(models.Model):
    """Evidence bearing on a question, with why it matters."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="evidence_links")
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="question_links")
    relevance = models.TextField(blank=True)
    linked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["question", "evidence__happened_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "evidence"], name="questions_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.evidence} → {self.question}"


class HypothesisRating(models.Model):
    """ACH cell: how consistent one evidence item is with one hypothesis."""

    # Indexed by questions_rating_cover (Meta.indexes), not on its own.
    hypothesis = models.ForeignKey(
        Hypothesis, on_delete=models.CASCADE, related_name="ratings", db_index=False
    )
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="ratings")
    rating = models.CharField(max_length=20, choices=AchRating.choices)
    note = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["hypothesis", "evidence"]
        constraints = [
            models.UniqueConstraint(fields=["hypothesis", "evidence"], name="questions_rate_once"),
            choice_check("rating", AchRating),
        ]
        indexes = [
            # The hypothesis's index, carrying what the ACH matrix reads of each rating: a
            # question's 6,000 ratings (20 × 300) come from the index alone on PostgreSQL, without
            # a visit to the table per rating (questions.ach.build_matrix). SQLite has no
            # INCLUDE: there it is the hypothesis's plain index.
            models.Index(
                fields=["hypothesis"], include=["evidence", "rating"], name="questions_rating_cover"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evidence} / {self.hypothesis}: {self.get_rating_display()}"

    def clean(self) -> None:
        # ACH rates the evidence of a question against that question's hypotheses only.
        if (
            self.hypothesis_id
            and self.evidence_id
            and not EvidenceLink.objects.filter(
                question_id=self.hypothesis.question_id, evidence_id=self.evidence_id
            ).exists()
        ):
            raise ValidationError(
                {"evidence": "Link this evidence to the hypothesis's question before rating it."}
            )


class Assessment(models.Model):
    """One version of the analyst's answer. Submitted and approved versions never change."""

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="assessments")
    version = models.PositiveIntegerField()
    state = models.CharField(
        max_length=16, choices=AssessmentState.choices, default=AssessmentState.DRAFT
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="authored_assessments")
    key_judgments = models.TextField(blank=True)
    likelihood = models.PositiveSmallIntegerField(choices=Likelihood.choices, null=True, blank=True)
    likelihood_wording = models.CharField(
        max_length=12, choices=LikelihoodWording.choices, default=LikelihoodWording.PRIMARY
    )
    confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    # Which ACH hypothesis the key judgment backs (one of the question's own; see
    # questions.assessments), so tradecraft can warn when the matrix ranks another first.
    hypothesis = models.ForeignKey(
        Hypothesis,
        verbose_name="hypothesis the judgment supports",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supporting_assessments",
    )
    cited_evidence = models.ManyToManyField(Evidence, blank=True, related_name="citing_assessments")
    change_note = models.TextField(
        blank=True,
        help_text="From the second version on: what changed since the previous one, and why.",
    )
    tlp = models.CharField("TLP", max_length=16, choices=Tlp.choices, default=Tlp.AMBER)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the signed-off content, set on approval."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[cited_evidence])

    class Meta:
        ordering = ["question", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "version"], name="questions_assessment_version_once"
            ),
            # One editable draft per question at a time.
            models.UniqueConstraint(
                fields=["question"],
                condition=models.Q(state=AssessmentState.DRAFT),
                name="questions_assessment_one_draft",
            ),
            choice_check("state", AssessmentState),
            choice_check("confidence", Confidence, blank=True),
            choice_check("tlp", Tlp),
            models.CheckConstraint(
                condition=models.Q(likelihood__isnull=True)
                | models.Q(likelihood__gte=1, likelihood__lte=7),
                name="questions_assessment_likelihood_range",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="questions_assessment_version_positive"
            ),
            # An approved version carries the hash of exactly what was signed.
            models.CheckConstraint(
                condition=~models.Q(state=AssessmentState.APPROVED) | ~models.Q(content_hash=""),
                name="questions_assessment_approved_has_hash",
            ),
            # From the second version on, a version leaves drafting only with a change note.
            models.CheckConstraint(
                condition=models.Q(version=1)
                | models.Q(state=AssessmentState.DRAFT)
                | ~models.Q(change_note=""),
                name="questions_assessment_revision_has_change_note",
            ),
        ]

    # What a version says: fixed once it leaves drafting (the database refuses it too).
    CONTENT_FIELDS = (
        "question_id",
        "version",
        "author_id",
        "key_judgments",
        "likelihood",
        "likelihood_wording",
        "confidence",
        "hypothesis_id",
        "change_note",
    )

    def __str__(self) -> str:
        return f"{self.question} — v{self.version}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            self._refuse_changes_to_a_frozen_version()
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.state != AssessmentState.DRAFT

    def _refuse_changes_to_a_frozen_version(self) -> None:
        stored = type(self).objects.filter(pk=self.pk).values(*self.CONTENT_FIELDS, "state").first()
        if stored is None:
            return
        was = stored["state"]
        if self.state not in LEGAL_STATE_MOVES[was]:
            raise FrozenVersion(
                "illegal_version_state",
                f"Version {self.version} cannot go from {was} to {self.state}.",
            )
        changed = [f for f in self.CONTENT_FIELDS if getattr(self, f) != stored[f]]
        # Whose version of which question this is never changes, even while drafting.
        if set(changed) & {"question_id", "version", "author_id"}:
            raise FrozenVersion(
                "fixed_identity", "A version's question, number and author never change."
            )
        if was != AssessmentState.DRAFT and changed:
            raise FrozenVersion(
                "frozen_version",
                f"Version {self.version} is {was} and never changes "
                f"(tried to change {', '.join(changed)}); revise it to make a new version.",
            )


# Drafting ends with submission; a submitted version is approved or returned, and stays so.
LEGAL_STATE_MOVES: dict[str, set[str]] = {
    AssessmentState.DRAFT: {AssessmentState.DRAFT, AssessmentState.SUBMITTED},
    AssessmentState.SUBMITTED: {
        AssessmentState.SUBMITTED,
        AssessmentState.APPROVED,
        AssessmentState.RETURNED,
    },
    AssessmentState.APPROVED: {AssessmentState.APPROVED},
    AssessmentState.RETURNED: {AssessmentState.RETURNED},
}


@receiver(m2m_changed, sender=Assessment.cited_evidence.through)
def _refuse_citing_in_frozen_versions(sender, instance, action, reverse, **kwargs) -> None:
    """The evidence a submitted or signed version cites is part of what was signed."""
    if not action.startswith("pre_"):
        return
    if reverse:
        if action == "pre_clear":
            versions = instance.citing_assessments.all()
        else:
            versions = Assessment.objects.filter(pk__in=kwargs.get("pk_set") or ())
        if versions.exclude(state=AssessmentState.DRAFT).exists():
            raise FrozenVersion(
                "frozen_version", "A frozen version's cited evidence never changes."
            )
    elif instance.is_frozen:
        raise FrozenVersion(
            "frozen_version",
            f"Version {instance.version} is {instance.state}: its cited evidence never changes.",
        )


class Review(models.Model):
    """A reviewer's decision on one assessment version.

    The author and the question's analyst are copied in at review time so the database itself can
    refuse a review by either of them (the two-person rule).
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reviews")
    assessment_author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    question_analyst = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, help_text="Hash of the version as reviewed.")
    # Set by the workflow to the instant of its transition, so history can group them.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["assessment", "created_at"]
        constraints = [
            choice_check("decision", ReviewDecision),
            models.CheckConstraint(
                condition=~models.Q(reviewer=models.F("assessment_author")),
                name="questions_review_not_by_author",
            ),
            models.CheckConstraint(
                condition=~models.Q(reviewer=models.F("question_analyst")),
                name="questions_review_not_by_analyst",
            ),
            models.CheckConstraint(
                condition=~models.Q(decision=ReviewDecision.RETURN) | ~models.Q(comment=""),
                name="questions_review_return_has_comment",
            ),
            models.CheckConstraint(
                condition=~models.Q(content_hash=""), name="questions_review_has_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} v{self.assessment.version} by {self.reviewer}"

    # A decision, once taken, is part of the record (the database refuses changes too).
    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Review records are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Review records are immutable")


class Comment(models.Model):
    """Discussion on a question between analyst, reviewer and lead; part of its history."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["question", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:80]


class Transition(models.Model):
    """Immutable record of one workflow step (like healthchecks' Flip)."""

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, choices=Status.choices)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    # The version a submit, approve or return was about: the step (and its comment) is part of
    # that version's story, seen by whoever may see the version (questions.visibility).
    assessment = models.ForeignKey(
        "Assessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transitions",
    )
    # Set by the workflow to the one instant of the step (shared with its history rows).
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["question", "created_at", "id"]
        constraints = [
            choice_check("action", Action),
            choice_check("from_status", Status),
            choice_check("to_status", Status),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.from_status} —{self.action}→ {self.to_status}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Transition records are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Transition records are immutable")
