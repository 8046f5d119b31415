"""Admin for questions, hypotheses, evidence links, ACH ratings, assessments and reviews.

What the workflow owns stays read-only here: a question's status, its transition records, reviews
and every assessment version past draft. Admin actions for transitions (publish, assign, submit,
approve, …) will call questions.workflow, the one place that checks who may do what from which
state; they are not wired yet.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from iqtrack.admin_base import (
    ConstraintCheckedForm,
    DomainAdmin,
    VisibleAdminMixin,
    VisibleInlineMixin,
)
from questions.choices import AssessmentState
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
from questions.visibility import with_parent_visibility


class ReadOnlyAdminMixin:
    """For records only the workflow writes: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class QuestionLevelFilter(admin.SimpleListFilter):
    title = "level"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return (("key", "Key questions"), ("sub", "Sub-questions"))

    def queryset(self, request, queryset):
        if self.value() == "key":
            return queryset.filter(parent__isnull=True)
        if self.value() == "sub":
            return queryset.filter(parent__isnull=False)
        return queryset


class HypothesisInline(VisibleInlineMixin, admin.TabularInline):
    model = Hypothesis
    form = ConstraintCheckedForm
    fields = ("position", "title", "description", "key")
    extra = 0
    show_change_link = True


class EvidenceLinkInline(VisibleInlineMixin, admin.TabularInline):
    model = EvidenceLink
    form = ConstraintCheckedForm
    fields = ("evidence", "relevance", "linked_by")
    readonly_fields = ("linked_by",)
    autocomplete_fields = ("evidence",)
    extra = 0


class SubQuestionInline(VisibleInlineMixin, admin.TabularInline):
    model = Question
    fk_name = "parent"
    verbose_name = "sub-question"
    verbose_name_plural = "sub-questions"
    fields = ("title", "status", "priority", "assignee", "due_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AssessmentInline(ReadOnlyAdminMixin, VisibleInlineMixin, admin.TabularInline):
    model = Assessment
    fields = ("version", "state", "author", "likelihood", "confidence", "approved_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True


class TransitionInline(ReadOnlyAdminMixin, VisibleInlineMixin, admin.TabularInline):
    model = Transition
    fields = ("created_at", "action", "from_status", "to_status", "actor", "comment")
    readonly_fields = fields
    extra = 0


@admin.register(Question)
class QuestionAdmin(DomainAdmin):
    list_display = (
        "title",
        "team",
        "status",
        "priority",
        "assignee",
        "reviewer",
        "due_at",
        "key_question",
    )
    list_select_related = ("team", "assignee", "reviewer", "parent")
    list_filter = (
        "status",
        "priority",
        QuestionLevelFilter,
        "team",
        "tlp",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        ("reviewer", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "body", "key")
    autocomplete_fields = ("parent", "team")
    filter_horizontal = ("recipients", "shared_with")
    marking_rules = staticmethod(question_marking_errors)
    marking_relations = ("recipients", "shared_with")
    # Status changes only through questions.workflow (which writes the Transition).
    # Assignment and status change only through questions.workflow (assign checks roles, team
    # and the two-person rule and writes a Transition), so the admin shows them read-only.
    readonly_fields = (
        "status",
        "assignee",
        "reviewer",
        "due_at",
        "status_changed_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("key", "title", "body", "parent", "team")}),
        ("Tasking", {"fields": ("priority", "tlp", "assignee", "reviewer", "due_at")}),
        ("Workflow", {"fields": ("status", "status_changed_at")}),
        ("Record", {"fields": ("created_by", "created_at", "updated_at")}),
    )
    inlines = (
        HypothesisInline,
        EvidenceLinkInline,
        SubQuestionInline,
        AssessmentInline,
        TransitionInline,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        # A sub-question may be visible under a key question that is not (TLP:RED): the column
        # then names no key question (questions.visibility via iqtrack.admin_base).
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return with_parent_visibility(queryset, request.user)

    @admin.display(description="key question", ordering="parent__title")
    def key_question(self, question: Question) -> Question | None:
        return question.parent if getattr(question, "parent_visible", True) else None

    def save_model(self, request: HttpRequest, obj: Question, form, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        for link in formset.save(commit=False):
            if isinstance(link, EvidenceLink) and link.linked_by_id is None:
                link.linked_by = request.user
            link.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class HypothesisRatingInline(VisibleInlineMixin, admin.TabularInline):
    model = HypothesisRating
    form = ConstraintCheckedForm
    fields = ("evidence", "rating", "note", "rated_by")
    readonly_fields = ("rated_by",)
    autocomplete_fields = ("evidence",)
    extra = 0


@admin.register(Hypothesis)
class HypothesisAdmin(DomainAdmin):
    # Stated here: a queryset with a count column (get_queryset) drops Meta.ordering, which left
    # the autocomplete's pages in no order.
    ordering = ("question", "position", "id")
    list_display = ("title", "question", "position", "rating_count")
    list_select_related = ("question",)
    list_filter = (("question__team", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("title", "description", "key", "question__title")
    autocomplete_fields = ("question",)
    inlines = (HypothesisRatingInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Hypothesis]:
        return super().get_queryset(request).annotate(_rating_count=Count("ratings"))

    @admin.display(description="ratings", ordering="_rating_count")
    def rating_count(self, hypothesis: Hypothesis) -> int:
        return hypothesis._rating_count

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        for rating in formset.save(commit=False):
            rating.rated_by = request.user
            rating.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(DomainAdmin):
    list_display = ("evidence", "question", "linked_by", "created_at")
    list_select_related = ("evidence", "question", "linked_by")
    list_filter = (("question__team", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("evidence__summary", "question__title", "relevance")
    autocomplete_fields = ("question", "evidence")
    readonly_fields = ("linked_by", "created_at")

    def save_model(self, request: HttpRequest, obj: EvidenceLink, form, change: bool) -> None:
        if obj.linked_by_id is None:
            obj.linked_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(HypothesisRating)
class HypothesisRatingAdmin(DomainAdmin):
    list_display = ("evidence", "hypothesis", "rating", "rated_by", "updated_at")
    list_select_related = ("evidence", "hypothesis", "rated_by")
    list_filter = ("rating",)
    search_fields = ("evidence__summary", "hypothesis__title", "note")
    autocomplete_fields = ("hypothesis", "evidence")
    readonly_fields = ("rated_by", "updated_at")

    def save_model(self, request: HttpRequest, obj: HypothesisRating, form, change: bool) -> None:
        obj.rated_by = request.user
        super().save_model(request, obj, form, change)


class ReviewInline(ReadOnlyAdminMixin, VisibleInlineMixin, admin.TabularInline):
    model = Review
    fields = ("created_at", "reviewer", "decision", "comment", "content_hash")
    readonly_fields = fields
    extra = 0


@admin.register(Assessment)
class AssessmentAdmin(DomainAdmin):
    """Drafts are editable; submitted, returned and approved versions are frozen."""

    list_display = (
        "__str__",
        "version",
        "state",
        "author",
        "likelihood",
        "confidence",
        "submitted_at",
        "approved_at",
    )
    list_select_related = ("question", "author")
    list_filter = ("state", "likelihood", "confidence", "tlp")
    search_fields = ("question__title", "key_judgments", "change_note")
    autocomplete_fields = ("question", "hypothesis", "cited_evidence")
    readonly_fields = (
        "state",
        "author",
        "content_hash",
        "submitted_at",
        "approved_at",
        "created_at",
        "updated_at",
    )
    inlines = (ReviewInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Assessment | None = None):
        # Which question and which version are fixed once the draft exists.
        extra = ("question", "version") if obj is not None else ()
        return (*extra, *self.readonly_fields)

    def has_change_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        if obj is not None and obj.state != AssessmentState.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        if obj is not None and obj.state != AssessmentState.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Assessment, form, change: bool) -> None:
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    """Reviews are written by the workflow's approve and return steps only."""

    list_display = ("assessment", "reviewer", "decision", "created_at")
    list_select_related = ("assessment__question", "reviewer")
    list_filter = ("decision", ("reviewer", admin.RelatedOnlyFieldListFilter))
    search_fields = ("comment", "assessment__question__title", "reviewer__username")
    date_hierarchy = "created_at"


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    """The immutable record of every workflow step."""

    list_display = ("question", "action", "from_status", "to_status", "actor", "created_at")
    list_select_related = ("question", "actor")
    list_filter = ("action", "from_status", "to_status")
    search_fields = ("question__title", "comment", "actor__username")
    date_hierarchy = "created_at"


@admin.register(Comment)
class CommentAdmin(DomainAdmin):
    list_display = ("short_body", "question", "author", "created_at")
    list_select_related = ("question", "author")
    list_filter = (("question__team", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("body", "question__title", "author__username")
    autocomplete_fields = ("question",)
    readonly_fields = ("author", "created_at")

    @admin.display(description="comment", ordering="body")
    def short_body(self, comment: Comment) -> str:
        return comment.body if len(comment.body) <= 90 else comment.body[:89] + "…"

    def save_model(self, request: HttpRequest, obj: Comment, form, change: bool) -> None:
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
