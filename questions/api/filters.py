import django_filters
from django.utils import timezone

from iqtrack.api.filters import BaseFilterSet, BooleanFilter, DateTimeFilter, IdFilter
from questions.choices import Priority, Status
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

# A due date only matters while the question is still being worked on.


class QuestionFilterSet(BaseFilterSet):
    # A question's own column: no join, so no duplicates for DISTINCT to remove (and DISTINCT
    # over every column, body included, costs a sort of the whole list: bench/RESULTS.md).
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices,
        distinct=False,
        method="filter_status",
        label="Any of these statuses (repeat the parameter).",
    )
    team_id = IdFilter(field_name="team")
    assignee_id = IdFilter(field_name="assignee", label="Assigned to this analyst.")
    reviewer_id = IdFilter(field_name="reviewer")
    parent_id = IdFilter(field_name="parent", label="Sub-questions of this question.")
    priority = django_filters.TypedChoiceFilter(choices=Priority.choices, coerce=int)
    overdue = BooleanFilter(
        method="filter_overdue", label="Past the due date and not yet assessed or closed."
    )
    due_before = DateTimeFilter(field_name="due_at", lookup_expr="lt")
    due_after = DateTimeFilter(field_name="due_at", lookup_expr="gte")
    is_key_question = BooleanFilter(
        field_name="parent", lookup_expr="isnull", label="Key questions (no parent) only."
    )
    search_fields = ("title", "body", "key")

    class Meta:
        model = Question
        fields = ["tlp"]

    def filter_status(self, queryset, name, value):
        # One `status IN (…)`, not MultipleChoiceFilter's `status = a OR status = b`: with the
        # list PostgreSQL reads only those statuses' entries of the index that leads with
        # status (questions_board_order); with the ORs it filters every question's entry.
        return queryset.filter(status__in=value) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Question.overdue_condition(timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)


class HypothesisFilterSet(BaseFilterSet):
    question_id = IdFilter(field_name="question")
    search_fields = ("title", "description")

    class Meta:
        model = Hypothesis
        fields = []


class EvidenceLinkFilterSet(BaseFilterSet):
    question_id = IdFilter(field_name="question")
    evidence_id = IdFilter(field_name="evidence")
    search_fields = ("relevance",)

    class Meta:
        model = EvidenceLink
        fields = []


class HypothesisRatingFilterSet(BaseFilterSet):
    hypothesis_id = IdFilter(field_name="hypothesis")
    evidence_id = IdFilter(field_name="evidence")
    question_id = IdFilter(field_name="hypothesis__question")

    class Meta:
        model = HypothesisRating
        fields = ["rating"]


class AssessmentFilterSet(BaseFilterSet):
    question_id = IdFilter(field_name="question")
    author_id = IdFilter(field_name="author")
    search_fields = ("key_judgments", "change_note")

    class Meta:
        model = Assessment
        fields = ["state", "confidence", "likelihood"]


class ReviewFilterSet(BaseFilterSet):
    assessment_id = IdFilter(field_name="assessment")
    question_id = IdFilter(field_name="assessment__question")
    reviewer_id = IdFilter(field_name="reviewer")
    search_fields = ("comment",)

    class Meta:
        model = Review
        fields = ["decision"]


class CommentFilterSet(BaseFilterSet):
    question_id = IdFilter(field_name="question")
    author_id = IdFilter(field_name="author")
    search_fields = ("body",)

    class Meta:
        model = Comment
        fields = []


class TransitionFilterSet(BaseFilterSet):
    question_id = IdFilter(field_name="question")
    actor_id = IdFilter(field_name="actor")
    after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    search_fields = ("comment",)

    class Meta:
        model = Transition
        fields = ["action", "from_status", "to_status"]
