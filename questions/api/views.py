from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from evidence.api.serializers import BriefEvidenceSerializer
from iqtrack.api.base import (
    BaseViewSet,
    CreateMixin,
    ModelViewSet,
    ReadMixin,
    ReadOnlyViewSet,
    UpdateMixin,
)
from iqtrack.api.pagination import CursorPages, IdsFirstPagination
from iqtrack.api.schema import crud_summaries
from iqtrack.api.serializers import prefetch_brief
from questions import permissions, workflow
from questions.api import serializers as s
from questions.api.filters import (
    AssessmentFilterSet,
    CommentFilterSet,
    EvidenceLinkFilterSet,
    HypothesisFilterSet,
    HypothesisRatingFilterSet,
    QuestionFilterSet,
    ReviewFilterSet,
    TransitionFilterSet,
)
from questions.assessments import save_draft
from questions.audit import lock_question
from questions.choices import Action
from questions.comments import add_comment
from questions.exceptions import FrozenVersion, NotAllowedForUser
from questions.history import question_history
from questions.visibility import (
    visible_assessments,
    visible_comments,
    visible_evidence_each,
    visible_evidence_links,
    visible_hypotheses,
    visible_hypothesis_ratings,
    visible_questions,
    visible_reviews,
    visible_transitions,
    with_parent_visibility,
)

# ---------------------------------------------------------------------------------------------
# Questions and their workflow steps
# ---------------------------------------------------------------------------------------------

# Columns of the rows a question joins that its list does not show (see get_queryset).
LISTED_JOINS_UNREAD = (
    *s.BriefQuestionSerializer.unread("parent"),
    *BriefTeamSerializer.unread("team"),
    *(
        column
        for person in ("created_by", "assignee", "reviewer")
        for column in BriefUserSerializer.unread(person)
    ),
)

# The viewset method of each step (`return` is a Python keyword).
STEP_METHODS = frozenset(
    {"publish", "assign", "start", "submit", "approve", "return_", "reopen", "close"}
)


def _step_endpoint(step: Action, input_serializer, name: str):
    """`POST /api/questions/{id}/<step>/`: one viewset method per workflow step."""

    def endpoint(self, request, pk=None):
        return self.take_step(step, input_serializer)

    endpoint.__name__ = name  # DRF routes to the method by this name
    endpoint = action(detail=True, methods=["post"], url_path=step.value, url_name=step.value)(
        endpoint
    )
    return extend_schema(
        summary=f"{step.label} (workflow step `{step.value}`)",
        description=(
            f"Takes the `{step.value}` step with the same rules as the pages: "
            "403 when it is not yours to take, 409 when the question's state does not allow it."
        ),
        request=input_serializer,
        responses=s.QuestionDetailSerializer,
    )(endpoint)


@extend_schema_view(
    **crud_summaries("question", actions=("list", "retrieve", "create", "update", "partial_update"))
)
class QuestionViewSet(CreateMixin, UpdateMixin, ReadMixin, BaseViewSet):
    """Intelligence questions. Status changes only through the workflow steps (POST
    /api/questions/{id}/<action>/); questions are closed, never deleted."""

    visible = staticmethod(visible_questions)
    filterset_class = QuestionFilterSet
    # No index gives the list's orders, so a page is sorted from every matching row: ids first.
    pagination_class = IdsFirstPagination
    # One question by its id; not the list, whose filters' values decide its plan.
    reuse_plans_for = frozenset({"retrieve"})
    select_related = ("team", "parent", "created_by", "assignee", "reviewer")
    deferred = ("search_vector", "parent__body", "parent__search_vector")
    ordering_fields = [
        "priority",
        "due_at",
        "created_at",
        "updated_at",
        "status_changed_at",
        "title",
    ]
    etag = True
    etag_actions = frozenset({"retrieve", "create", "update", "partial_update", *STEP_METHODS})
    if_match_actions = frozenset({"update", "partial_update", *STEP_METHODS})

    def get_serializer_class(self):
        return s.QuestionSerializer if self.action == "list" else s.QuestionDetailSerializer

    def get_prefetches(self):
        if self.action == "list":
            # Only what the list shows of them, as plain lists (prefetch_brief).
            return [
                prefetch_brief("recipients", BriefUserSerializer),
                prefetch_brief("shared_with", BriefTeamSerializer),
            ]
        return ["recipients", "shared_with"]

    def get_queryset(self):
        # A sub-question may be visible under a key question that is not (a TLP:RED one): its
        # `parent` is then shown as null, as if it had none (QuestionSerializer).
        queryset = with_parent_visibility(super().get_queryset(), self.request.user)
        if self.action == "list":
            # A listed row shows the rows it joins only in their brief forms: the rest of them
            # (a person's password hash and dates, a key question's own columns) is not read.
            # Not for the other actions: the workflow and permissions read more of them.
            queryset = queryset.defer(*LISTED_JOINS_UNREAD)
        return queryset

    def get_serializer_context(self):
        user = self.request.user
        return {
            **super().get_serializer_context(),
            "available_actions": lambda question: workflow.available_actions(question, user),
        }

    def perform_create(self, serializer):
        team = serializer.validated_data["team"]
        # questions.permissions has no can_create_question (yet): the pages use is_lead too.
        if not permissions.is_lead(self.request.user, team):
            raise NotAllowedForUser("not_team_lead", "Only the team's lead can ask its questions.")
        return serializer.save(created_by=self.request.user)

    def check_can_change(self, instance) -> None:
        permissions.can_edit_question(self.request.user, instance).raise_if_denied()

    def take_step(self, step: Action, input_serializer):
        given = input_serializer(data=self.request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        with transaction.atomic():
            question = self.locked_object()
            workflow.TRANSITIONS[step](question, self.request.user, **given.validated_data)
        return self.object_response(self.refetch(question))

    publish = _step_endpoint(Action.PUBLISH, s.StepSerializer, "publish")
    assign = _step_endpoint(Action.ASSIGN, s.AssignSerializer, "assign")
    start = _step_endpoint(Action.START, s.StepSerializer, "start")
    submit = _step_endpoint(Action.SUBMIT, s.StepSerializer, "submit")
    approve = _step_endpoint(Action.APPROVE, s.StepSerializer, "approve")
    return_ = _step_endpoint(Action.RETURN, s.ReturnSerializer, "return_")
    reopen = _step_endpoint(Action.REOPEN, s.ReasonSerializer, "reopen")
    close = _step_endpoint(Action.CLOSE, s.ReasonSerializer, "close")

    @extend_schema(
        summary="Read a question's history",
        description="Every change to the question and what hangs off it, oldest first.",
        responses=s.HistoryEntrySerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        entries = question_history(self.get_object(), self.request.user)
        return Response(s.HistoryEntrySerializer(entries, many=True).data)


# ---------------------------------------------------------------------------------------------
# The analysis: hypotheses, evidence links, ACH ratings
# ---------------------------------------------------------------------------------------------


class QuestionPartViewSet(ModelViewSet):
    """Objects whose changes the domain rules by their question: `rule(user, question)`, with
    the question found along `question_path` from the object (or the data that makes it)."""

    pagination_class = CursorPages

    rule: Callable  # a questions.permissions function, as a staticmethod
    question_path = "question"
    saved_by: str | None = None  # the field that records who wrote the object

    def question_of(self, obj):
        for name in self.question_path.split("__"):
            obj = obj[name] if isinstance(obj, dict) else getattr(obj, name)
        return obj

    def perform_create(self, serializer):
        question = self.question_of(serializer.validated_data)
        type(self).rule(self.request.user, question).raise_if_denied()
        extra = {self.saved_by: self.request.user} if self.saved_by else {}
        return serializer.save(**extra)

    def check_can_change(self, instance) -> None:
        type(self).rule(self.request.user, self.question_of(instance)).raise_if_denied()

    def perform_update(self, serializer):
        extra = {self.saved_by: self.request.user} if self.saved_by else {}
        serializer.save(**extra)


@extend_schema_view(**crud_summaries("hypothesis", plural="hypotheses"))
class HypothesisViewSet(QuestionPartViewSet):
    """Competing hypotheses: candidate answers to a question (ACH)."""

    visible = staticmethod(partial(visible_hypotheses, item_by_item=True))  # by cursor
    serializer_class = s.HypothesisSerializer
    filterset_class = HypothesisFilterSet
    select_related = ("question__team",)
    list_deferred = tuple(s.BriefQuestionSerializer.unread("question"))
    ordering_fields = ["position", "created_at", "title"]
    rule = staticmethod(permissions.can_edit_hypotheses)


@extend_schema_view(**crud_summaries("evidence link"))
class EvidenceLinkViewSet(QuestionPartViewSet):
    """Evidence bearing on a question, with why it matters."""

    visible = staticmethod(partial(visible_evidence_links, item_by_item=True))  # by cursor
    generic_plans = True  # a list's page: bench/README.md, Session 13
    serializer_class = s.EvidenceLinkSerializer
    filterset_class = EvidenceLinkFilterSet
    select_related = ("question__team", "evidence", "linked_by")
    list_deferred = (
        *s.BriefQuestionSerializer.unread("question"),
        *BriefEvidenceSerializer.unread("evidence"),
        *BriefUserSerializer.unread("linked_by"),
    )
    ordering_fields = ["created_at"]
    rule = staticmethod(permissions.can_add_evidence_link)
    saved_by = "linked_by"

    def perform_update(self, serializer):
        serializer.save()  # the link keeps the name of who made it


@extend_schema_view(**crud_summaries("ACH rating"))
class HypothesisRatingViewSet(QuestionPartViewSet):
    """ACH cells: how consistent one evidence item is with one hypothesis."""

    visible = staticmethod(visible_hypothesis_ratings)
    generic_plans = True  # a list's page: bench/README.md, Session 13
    serializer_class = s.HypothesisRatingSerializer
    filterset_class = HypothesisRatingFilterSet
    select_related = ("hypothesis__question__team", "evidence", "rated_by")
    list_deferred = (
        *s.BriefHypothesisSerializer.unread("hypothesis"),
        *BriefEvidenceSerializer.unread("evidence"),
        *BriefUserSerializer.unread("rated_by"),
    )
    ordering_fields = ["updated_at"]
    rule = staticmethod(permissions.can_rate)
    question_path = "hypothesis__question"
    saved_by = "rated_by"


# ---------------------------------------------------------------------------------------------
# Assessments, reviews, comments, transitions
# ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List assessment versions"),
    retrieve=extend_schema(summary="Read one assessment version"),
    create=extend_schema(
        summary="Write the draft of a question's assessment",
        description="Saves the question's draft; after a submitted, returned or approved "
        "version this starts the next version as a copy of it. Fields left out keep their "
        "value. 201 when a version was started, 200 when the existing draft was saved.",
        request=s.NewAssessmentDraftSerializer,
        responses={200: s.AssessmentSerializer, 201: s.AssessmentSerializer},
    ),
    partial_update=extend_schema(
        summary="Change the draft",
        description="Only the current draft changes; 409 `frozen_version` for any other version.",
        request=s.AssessmentDraftSerializer,
        responses=s.AssessmentSerializer,
    ),
)
class AssessmentViewSet(ReadMixin, BaseViewSet):
    """Versioned answers to questions. Submitted, returned and approved versions never change."""

    pagination_class = CursorPages

    visible = staticmethod(visible_assessments)
    generic_plans = True  # a list's page: bench/README.md, Session 13
    serializer_class = s.AssessmentSerializer
    filterset_class = AssessmentFilterSet
    select_related = ("question", "author", "hypothesis")
    list_deferred = (
        *s.BriefQuestionSerializer.unread("question"),
        *BriefUserSerializer.unread("author"),
        *s.BriefHypothesisSerializer.unread("hypothesis"),
    )
    ordering_fields = ["version", "created_at", "updated_at", "submitted_at", "approved_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    etag = True
    etag_actions = frozenset({"retrieve", "create", "partial_update"})
    if_match_actions = frozenset({"partial_update"})

    def get_prefetches(self):
        # A page's few cited items, each checked as it is read; only the columns their brief
        # form shows (an item's texts are most of its row), as plain lists (prefetch_brief).
        cited = visible_evidence_each(self.request.user)
        return [prefetch_brief("cited_evidence", BriefEvidenceSerializer, cited)]

    def create(self, request, *args, **kwargs):
        given = s.NewAssessmentDraftSerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        fields = dict(given.validated_data)
        question = fields.pop("question")
        with transaction.atomic():
            before = set(question.assessments.values_list("pk", flat=True))
            draft = save_draft(question, request.user, **fields)
        status = 200 if draft.pk in before else 201
        return self.object_response(self.refetch(draft), status=status)

    def partial_update(self, request, *args, **kwargs):
        given = s.AssessmentDraftSerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        with transaction.atomic():
            # Question first, then the version: the order the workflow locks them in.
            lock_question(self.get_object().question)
            version = self.locked_object()
            if version.is_frozen:
                raise FrozenVersion(
                    "frozen_version",
                    f"Version {version.version} is {version.state} and never changes; "
                    "POST /api/assessments/ to start the next version.",
                )
            save_draft(version.question, request.user, **given.validated_data)
        return self.object_response(self.refetch(version))


@extend_schema_view(**crud_summaries("review", actions=("list", "retrieve")))
class ReviewViewSet(ReadOnlyViewSet):
    """Reviewers' decisions on assessment versions (made by `approve` and `return`)."""

    pagination_class = CursorPages
    visible = staticmethod(visible_reviews)
    serializer_class = s.ReviewSerializer
    filterset_class = ReviewFilterSet
    select_related = ("assessment", "reviewer")
    list_deferred = (
        *s.BriefAssessmentSerializer.unread("assessment"),
        *BriefUserSerializer.unread("reviewer"),
    )
    ordering_fields = ["created_at"]


@extend_schema_view(**crud_summaries("comment", actions=("list", "retrieve", "create")))
class CommentViewSet(mixins.CreateModelMixin, ReadOnlyViewSet):
    """Discussion on a question between its analyst, its reviewer and its team."""

    pagination_class = CursorPages

    visible = staticmethod(partial(visible_comments, item_by_item=True))  # by cursor
    serializer_class = s.CommentSerializer
    filterset_class = CommentFilterSet
    select_related = ("question", "author")
    list_deferred = (
        *s.BriefQuestionSerializer.unread("question"),
        *BriefUserSerializer.unread("author"),
    )
    ordering_fields = ["created_at"]

    def create(self, request, *args, **kwargs):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        comment = add_comment(data["question"], request.user, data["body"])
        return self.object_response(self.refetch(comment), status=201)


@extend_schema_view(**crud_summaries("transition", actions=("list", "retrieve")))
class TransitionViewSet(ReadOnlyViewSet):
    """The workflow steps taken: who moved which question from what to what, and why."""

    pagination_class = CursorPages

    visible = staticmethod(partial(visible_transitions, item_by_item=True))  # by cursor
    generic_plans = True  # a list's page: bench/README.md, Session 13
    serializer_class = s.TransitionSerializer
    filterset_class = TransitionFilterSet
    select_related = ("question", "actor")
    list_deferred = (
        *s.BriefQuestionSerializer.unread("question"),
        *BriefUserSerializer.unread("actor"),
    )
    ordering_fields = ["created_at"]
