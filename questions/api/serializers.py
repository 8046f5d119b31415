from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from accounts.models import Team
from evidence.api.serializers import BriefEvidenceSerializer, recipient_ids_field
from evidence.models import Evidence
from iqtrack.api.serializers import (
    BriefSerializer,
    CharField,
    ChoiceField,
    ModelSerializer,
    PlannedRead,
    VisibleRelatedField,
)
from questions.choices import Action, Confidence, Likelihood, LikelihoodWording
from questions.comments import MAX_COMMENT_LENGTH
from questions.markings import question_marking_errors
from questions.models import (
    Assessment,
    Comment,
    EvidenceLink,
    Hypothesis,
    HypothesisRating,
    Question,
    Review,
    Transition,
)
from questions.visibility import (
    shareable_teams,
    visible_evidence,
    visible_hypotheses,
    visible_questions,
    visible_teams,
    visible_users,
)

User = get_user_model()


def related_id(model, visible, source: str, **kwargs) -> VisibleRelatedField:
    """The write side of a relation: `<rel>_id`, limited to what the user may see."""
    kwargs.setdefault("write_only", True)
    return VisibleRelatedField(
        source=source, visible=visible, queryset=model.objects.all(), **kwargs
    )


# ---------------------------------------------------------------------------------------------
# Brief forms, for objects shown inside others
# ---------------------------------------------------------------------------------------------


class BriefQuestionSerializer(BriefSerializer):
    class Meta:
        model = Question
        fields = ["id", "key", "title", "status"]


class BriefHypothesisSerializer(BriefSerializer):
    class Meta:
        model = Hypothesis
        fields = ["id", "key", "title", "question_id"]


class BriefAssessmentSerializer(BriefSerializer):
    class Meta:
        model = Assessment
        fields = ["id", "question_id", "version", "state"]


# ---------------------------------------------------------------------------------------------
# Questions
# ---------------------------------------------------------------------------------------------


class QuestionSerializer(ModelSerializer):
    parent = BriefQuestionSerializer(read_only=True, allow_null=True)
    parent_id = related_id(
        Question,
        visible_questions,
        "parent",
        allow_null=True,
        required=False,
        help_text="The key question this one is a sub-question of.",
    )
    team = BriefTeamSerializer(read_only=True)
    team_id = related_id(Team, visible_teams, "team", help_text="Set when the question is made.")
    created_by = BriefUserSerializer(read_only=True, allow_null=True)
    assignee = BriefUserSerializer(
        read_only=True, allow_null=True, help_text="The analyst (set by `assign`)."
    )
    reviewer = BriefUserSerializer(
        read_only=True, allow_null=True, help_text="The reviewer (set by `assign`)."
    )
    recipients = BriefUserSerializer(many=True, read_only=True)
    recipient_ids = recipient_ids_field(
        "the question (include yourself, the analyst and the reviewer)"
    )
    shared_with = BriefTeamSerializer(many=True, read_only=True)
    shared_with_ids = related_id(
        Team,
        shareable_teams,
        "shared_with",
        many=True,
        required=False,
        help_text="TLP:AMBER only: other teams that may see the question.",
    )

    class Meta:
        model = Question
        fields = [
            "id",
            "key",
            "title",
            "body",
            "parent",
            "parent_id",
            "team",
            "team_id",
            "priority",
            "status",
            "tlp",
            "recipients",
            "recipient_ids",
            "shared_with",
            "shared_with_ids",
            "created_by",
            "assignee",
            "reviewer",
            "due_at",
            "status_changed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["key", "status", "status_changed_at"]
        extra_kwargs = {
            "due_at": {"help_text": "Set when the question is made; later only by `assign`."}
        }
        # Moving a question to another team, or changing its due date outside `assign`, is not
        # an edit.
        create_only = ("team", "due_at")
        marking_rules = staticmethod(question_marking_errors)
        marking_relations = ("recipients", "shared_with")

    def not_validated(self) -> list[str]:
        return ["created_by", "assignee", "reviewer"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # QuestionViewSet annotates whether the user may see the key question; one it may not
        # is not named (without the annotation, e.g. a freshly written object, ask).
        visible = getattr(instance, "parent_visible", None)
        if visible is None and instance.parent_id is not None:
            request = self.context.get("request")
            user = getattr(request, "user", None)
            visible = visible_questions(user).filter(pk=instance.parent_id).exists()
        if not visible:
            data["parent"] = None
        return data


class QuestionDetailSerializer(QuestionSerializer):
    available_actions = serializers.SerializerMethodField(
        help_text="The workflow steps you may take on this question now "
        "(POST /api/questions/{id}/<action>/)."
    )

    class Meta(QuestionSerializer.Meta):
        fields = [*QuestionSerializer.Meta.fields, "available_actions"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Action.choices)))
    def get_available_actions(self, question) -> list[str]:
        return [str(action) for action in self.context["available_actions"](question)]


class HypothesisSerializer(ModelSerializer):
    question = BriefQuestionSerializer(read_only=True)
    question_id = related_id(Question, visible_questions, "question")

    class Meta:
        model = Hypothesis
        fields = [
            "id",
            "key",
            "question",
            "question_id",
            "title",
            "description",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["key"]
        create_only = ("question",)


class EvidenceLinkSerializer(ModelSerializer):
    question = BriefQuestionSerializer(read_only=True)
    question_id = related_id(Question, visible_questions, "question")
    evidence = BriefEvidenceSerializer(read_only=True)
    evidence_id = related_id(Evidence, visible_evidence, "evidence")
    linked_by = BriefUserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = EvidenceLink
        fields = [
            "id",
            "question",
            "question_id",
            "evidence",
            "evidence_id",
            "relevance",
            "linked_by",
            "created_at",
        ]
        create_only = ("question", "evidence")

    def not_validated(self) -> list[str]:
        return ["linked_by"]


class HypothesisRatingSerializer(ModelSerializer):
    hypothesis = BriefHypothesisSerializer(read_only=True)
    hypothesis_id = related_id(Hypothesis, visible_hypotheses, "hypothesis")
    evidence = BriefEvidenceSerializer(read_only=True)
    evidence_id = related_id(Evidence, visible_evidence, "evidence")
    rated_by = BriefUserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = HypothesisRating
        fields = [
            "id",
            "hypothesis",
            "hypothesis_id",
            "evidence",
            "evidence_id",
            "rating",
            "note",
            "rated_by",
            "updated_at",
        ]
        create_only = ("hypothesis", "evidence")

    def not_validated(self) -> list[str]:
        return ["rated_by"]


# ---------------------------------------------------------------------------------------------
# Assessments, reviews, comments, transitions
# ---------------------------------------------------------------------------------------------


class AssessmentSerializer(PlannedRead, serializers.ModelSerializer):
    question = BriefQuestionSerializer(read_only=True)
    author = BriefUserSerializer(read_only=True)
    cited_evidence = BriefEvidenceSerializer(
        many=True, read_only=True, help_text="The cited evidence that you may see."
    )
    hypothesis = BriefHypothesisSerializer(
        read_only=True, allow_null=True, help_text="The hypothesis the key judgment supports."
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "question",
            "version",
            "state",
            "author",
            "key_judgments",
            "likelihood",
            "likelihood_wording",
            "confidence",
            "hypothesis",
            "cited_evidence",
            "change_note",
            "tlp",
            "content_hash",
            "submitted_at",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssessmentDraftSerializer(serializers.Serializer):
    """What the analyst writes into the draft; fields left out keep their value.

    Completeness (judgments, likelihood, confidence, citations) is checked on `submit`.
    """

    key_judgments = CharField(required=False, allow_blank=True)
    likelihood = ChoiceField(
        Likelihood.choices, required=False, allow_null=True, help_text="ICD 203 step, 1 to 7."
    )
    likelihood_wording = ChoiceField(LikelihoodWording.choices, required=False)
    confidence = ChoiceField(Confidence.choices, required=False, allow_blank=True)
    hypothesis_id = related_id(
        Hypothesis,
        visible_hypotheses,
        "hypothesis",
        required=False,
        allow_null=True,
        help_text="One of the question's hypotheses that the key judgment supports, or null.",
    )
    cited_evidence_ids = related_id(
        Evidence,
        visible_evidence,
        "cited_evidence",
        many=True,
        required=False,
        write_only=False,
        help_text="Evidence linked to the question that the judgments rest on.",
    )
    change_note = CharField(
        required=False, allow_blank=True, help_text="From version 2 on: what changed, and why."
    )


class NewAssessmentDraftSerializer(AssessmentDraftSerializer):
    question_id = related_id(Question, visible_questions, "question", write_only=False)


class ReviewSerializer(PlannedRead, serializers.ModelSerializer):
    assessment = BriefAssessmentSerializer(read_only=True)
    reviewer = BriefUserSerializer(read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "assessment",
            "reviewer",
            "decision",
            "comment",
            "content_hash",
            "created_at",
        ]
        read_only_fields = fields


class CommentSerializer(ModelSerializer):
    question = BriefQuestionSerializer(read_only=True)
    question_id = related_id(Question, visible_questions, "question")
    author = BriefUserSerializer(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "question", "question_id", "author", "body", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"body": {"max_length": MAX_COMMENT_LENGTH}}

    def not_validated(self) -> list[str]:
        return ["author"]  # questions.comments.add_comment sets it


class TransitionSerializer(PlannedRead, serializers.ModelSerializer):
    question = BriefQuestionSerializer(read_only=True)
    actor = BriefUserSerializer(read_only=True)

    class Meta:
        model = Transition
        fields = [
            "id",
            "question",
            "action",
            "from_status",
            "to_status",
            "actor",
            "comment",
            "assessment_id",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "assessment_id": {"help_text": "The version a submit, approve or return was about."}
        }


# ---------------------------------------------------------------------------------------------
# Input of the workflow steps (POST /api/questions/{id}/<action>/)
# ---------------------------------------------------------------------------------------------


class StepSerializer(serializers.Serializer):
    comment = CharField(required=False, allow_blank=True, default="")


class AssignSerializer(StepSerializer):
    analyst_id = related_id(User, visible_users, "analyst", write_only=False)
    reviewer_id = related_id(User, visible_users, "reviewer", write_only=False)
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Left out: keep the due date."
    )


class ReturnSerializer(serializers.Serializer):
    comment = CharField(
        allow_blank=True, help_text="What the analyst should change (required by the workflow)."
    )


class ReasonSerializer(serializers.Serializer):
    reason = CharField(allow_blank=True, help_text="Why (required by the workflow).")


# ---------------------------------------------------------------------------------------------
# History (questions.history.Entry, read-only)
# ---------------------------------------------------------------------------------------------


class HistoryChangeSerializer(serializers.Serializer):
    subject = serializers.CharField(help_text="What changed: `question`, `assessment v2`, …")
    field = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class HistoryReviewSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    decision = serializers.CharField()
    content_hash = serializers.CharField()


HISTORY_KINDS = ("transition", "comment", "review", "created", "changed", "deleted")


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = BriefUserSerializer(allow_null=True, help_text="Null when nobody was recorded.")
    kind = serializers.ChoiceField(HISTORY_KINDS)
    subject = serializers.CharField()
    summary = serializers.CharField(help_text="One sentence for a person.")
    comment = serializers.CharField(allow_blank=True)
    action = serializers.CharField(allow_blank=True, help_text="The workflow step, if one.")
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField(allow_blank=True)
    changes = HistoryChangeSerializer(many=True)
    review = HistoryReviewSerializer(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
