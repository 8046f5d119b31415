"""Pages for leads, analysts and reviewers.

Every queryset starts from questions.visibility (what this user may not see is a 404), every
button comes from workflow.available_actions, and every change goes through a domain function.
The views only translate between HTTP and those functions.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import NamedTuple

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Window
from django.db.models.functions import JSONArray
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Team
from evidence.models import Evidence
from iqtrack.prepared import reuses_plans, reuses_plans_unfiltered
from iqtrack.response_cache import cached_read
from iqtrack.security.events import log_event
from questions import assessments, permissions, workflow
from questions.ach_markup import ItemBadges, RatingCells, truncator, url_maker
from questions.choices import Action, AssessmentState, Status
from questions.comments import add_comment
from questions.diff import compare_fields
from questions.exceptions import NotAllowedForUser, ValidationFailed, WorkflowError
from questions.forms import (
    ApproveForm,
    AssessmentForm,
    AssignForm,
    BoardFilterForm,
    CommentForm,
    HypothesisForm,
    LinkEvidenceForm,
    QuestionForm,
    RatingForm,
    ReasonForm,
    ReturnForm,
    key_question_candidates,
)
from questions.history import question_history
from questions.models import Assessment, EvidenceLink, Hypothesis, HypothesisRating, Question
from questions.search import search
from questions.templatetags.iqtrack_ui import confidence_words, likelihood_words
from questions.tradecraft import Report, check_assessment
from questions.visibility import (
    visible_assessment_ids,
    visible_assessments,
    visible_evidence,
    visible_linked_evidence,
    visible_notifications,
    visible_questions,
    visible_teams,
)

User = get_user_model()

# Steps that need words: the form that asks for them and the workflow's keyword for them.
# Assign has its own form; every other step is a bare POST.
_WORDED = {
    Action.RETURN: (ReturnForm, "comment", workflow.return_),
    Action.REOPEN: (ReasonForm, "reason", workflow.reopen),
    Action.CLOSE: (ReasonForm, "reason", workflow.close),
}
_DONE = (Status.ASSESSED, Status.CLOSED)


def _questions(user):
    return visible_questions(user).select_related("team", "assignee", "reviewer", "parent")


class Card(NamedTuple):
    """A question as a board card or a dashboard row shows it (questions/templatetags/
    board_ui.py): title, status, priority, due date, parent (whether a sub-question), the
    analyst's username (None: unassigned) and whether it is overdue.

    The row's columns as a tuple, not a Question: a model instance per row (its __init__ and
    its post_init signal) cost as much as drawing the card, for the 175 of a board."""

    pk: int
    title: str
    status: str
    priority: int
    due_at: datetime | None
    parent_id: int | None
    analyst: str | None
    is_overdue: bool


# The columns of a Card that are read, in its order; `analyst` is joined from the assignee.
CARD_COLUMNS = ("pk", "title", "status", "priority", "due_at", "parent_id", "analyst")


def _cards(questions, *extra: str):
    """`questions` as the rows of Cards (see _to_cards), then the `extra` columns: the analyst's
    username read in the same query."""
    return questions.annotate(analyst=F(f"assignee__{User.USERNAME_FIELD}")).values_list(
        *CARD_COLUMNS, *extra
    )


def _to_cards(rows) -> list[Card]:
    now = timezone.now()
    return [
        _card(pk, title, status, priority, due_at, parent, analyst, now)
        for pk, title, status, priority, due_at, parent, analyst, *_extra in rows
    ]


def _card(
    pk: int,
    title: str,
    status: str,
    priority: int,
    due_at: datetime | None,
    parent: int | None,
    analyst: str | None,
    now: datetime,
) -> Card:
    overdue = Question.overdue(due_at, status, now)
    return Card(pk, title, status, priority, due_at, parent, analyst, overdue)


# A board column's cards as JSON arrays (questions.views._columns): a Card's columns but the
# status, which is the column's; the due date comes as ISO 8601 text.
_CARD_JSON = ("pk", "title", "priority", "due_at", "parent_id", f"assignee__{User.USERNAME_FIELD}")


def _overdue(questions):
    return questions.filter(Question.overdue_condition(timezone.now()))


# Cards shown per board column, and rows per dashboard list. A team of thousands of questions
# made the board and the dashboard load and render every card (1,500 for three teams: seconds
# per page, bench/RESULTS.md); a column says how many there are, and the board's filters narrow
# it.
COLUMN_LIMIT = 25
LIST_LIMIT = 20


class _Column(list):
    """The cards a column (or a dashboard list) shows, with the number of questions in it."""

    def __init__(self, items: list[Card], total: int) -> None:
        super().__init__(items)
        self.total = total
        self.hidden = total - len(items)


def _capped(questions, limit: int = LIST_LIMIT) -> _Column:
    """The first `limit` of `questions` (in their order) and how many there are, in one query:
    a window counts the whole list before the limit cuts it."""
    rows = list(_cards(questions.annotate(in_list=Window(Count("pk"))), "in_list")[:limit])
    return _Column(_to_cards(rows), rows[0][-1] if rows else 0)


def _columns(questions):
    """One board column per status, in workflow order; each shows its first COLUMN_LIMIT cards
    (most urgent first: the questions' order) and how many there are. One query whatever the
    number of questions: it counts each status's questions and reads its first cards.

    Each status's first cards are a walk of the board index (questions.models.Question.Meta)
    in the board's order that stops after COLUMN_LIMIT visible ones, and the counts one pass
    over that index's narrow entries. Numbering every visible question with a window instead
    read and sorted them all (thousands: TLP:CLEAR/GREEN ones are everyone's), 24 of the
    board's 38 ms of database time. The cards come as JSON arrays of their columns, in the same
    query: reading them by id afterwards cost a second query with the visibility condition
    and the 175 ids."""
    first = (
        questions.filter(status=OuterRef("status"))
        .order_by(F("priority").desc(), F("due_at").asc(), F("id").asc())
        .values(card=JSONArray(*_CARD_JSON))[:COLUMN_LIMIT]
    )
    # The cards after the count: annotated with it, the subquery would be grouped by as well
    # (evaluated for every question, not once per status).
    per_status = (
        questions.order_by()
        .values("status")
        .annotate(in_status=Count("pk"))
        .annotate(cards=ArraySubquery(first))
    )
    columns = {status: _Column([], 0) for status in Status.values}
    now = timezone.now()
    for row in per_status:
        status = row["status"]
        cards = [
            _card(pk, title, status, priority, due and datetime.fromisoformat(due), *rest, now)
            for pk, title, priority, due, *rest in row["cards"]
        ]
        columns[status] = _Column(cards, row["in_status"])
    return [(Status(status), column) for status, column in columns.items()]


def _lead_teams(user):
    """The teams whose questions this user may write (questions.permissions.is_lead)."""
    teams = visible_teams(user)
    return teams.filter(pk__in=[t.pk for t in teams if permissions.is_lead(user, t)])


def _leads_a_team(user, teams: list[Team]) -> bool:
    """Whether `user` leads one of `teams`, the teams they belong to or lead: a team they lead
    is always one of those (questions.permissions.is_lead), so this is `_lead_teams(user)`
    being non-empty. The teams whose designated lead they are come first: those are answered
    without a query."""
    return any(
        permissions.is_lead(user, team)
        for team in sorted(teams, key=lambda team: team.lead_id != user.pk)
    )


def _mark_overdue(questions):
    now = timezone.now()
    for question in questions:
        question.is_overdue = question.is_overdue_at(now)
    return questions


# ---------------------------------------------------------------------------------------------
# Dashboard and board
# ---------------------------------------------------------------------------------------------
@login_required
@cached_read
@reuses_plans
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    questions = visible_questions(user)
    teams = list(Team.objects.filter(Q(members=user) | Q(lead=user)).distinct())
    context = {
        "assignments": _capped(
            questions.exclude(status__in=_DONE).filter(assignee=user).order_by("due_at", "id")
        ),
        "review_queue": _capped(questions.filter(reviewer=user, status=Status.IN_REVIEW)),
        "teams": teams,
        "columns": _columns(questions.filter(team__in=[team.pk for team in teams])),
        "led_overdue": _capped(_overdue(questions.filter(team__lead=user))),
        "notifications": _unread_notifications(user),
        "can_create": _leads_a_team(user, teams),
    }
    return render(request, "questions/dashboard.html", context)


def _unread_notifications(user):
    """The five latest unread notices, or None while the notifications app is not installed."""
    if not apps.is_installed("notifications"):
        return None
    # The notices' text and their questions' ids: not inbox(), which joins every column of each
    # question for the inbox page.
    return list(visible_notifications(user).filter(read_at__isnull=True)[:5])


def _with_a_question(model, field: str, questions):
    """The `model` rows (teams, people) that `field` of one of `questions` points at: the
    board's filter choices.

    A subquery per row that stops at its first visible question, where a join with every
    visible question took tens of milliseconds (bench/RESULTS.md). Not EXISTS: PostgreSQL
    turns that into such a join (a semi-join over the hundred people cost 4–7 ms of a board's
    database time); a scalar subquery with LIMIT 1 stays one subquery per row (0.3 ms)."""
    first = questions.filter(**{field: OuterRef("pk")}).order_by().values("pk")[:1]
    return model.objects.alias(first_question=Subquery(first)).filter(first_question__isnull=False)


@login_required
@cached_read
@reuses_plans_unfiltered
def board(request: HttpRequest) -> HttpResponse:
    questions = visible_questions(request.user)
    form = BoardFilterForm(
        request.GET or None,
        teams=_with_a_question(Team, "team", questions),
        # Users have no default order: without one the list followed the table's row order.
        people=_with_a_question(User, "assignee", questions).order_by("username"),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["team"]:
            questions = questions.filter(team=data["team"])
        if data["assignee"]:
            questions = questions.filter(assignee=data["assignee"])
        if data["priority"]:
            questions = questions.filter(priority=data["priority"])
        if data["overdue"]:
            questions = _overdue(questions)
    context = {"form": form, "columns": _columns(questions)}
    template = "questions/_board.html" if request.htmx else "questions/board.html"
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------
# A question
# ---------------------------------------------------------------------------------------------
def _get_question(request: HttpRequest, pk: int) -> Question:
    return get_object_or_404(_questions(request.user), pk=pk)


def _linked_evidence(question: Question, user):
    """The question's evidence this user may see."""
    linked = question.evidence_links.values("evidence")
    return visible_evidence(user, among=linked).select_related("source")


def _ach_rows(question: Question, user, *, editable: bool):
    """The ACH matrix: one row per visible linked item, its ratings, and — when editable — a
    rating select per cell, drawn from plain data (questions/ach_markup.py: a RatingForm per row
    cost seconds for a 20 × 300 matrix); RatingForm reads what the selects post (evidence_rate)."""
    # The models' orders without their first key, the question (one question here): ordering
    # by a question sorts by its own fields, a join for nothing.
    hypotheses = list(question.hypotheses.order_by("position", "id"))
    links = (
        EvidenceLink.objects.filter(
            question=question, evidence__in=visible_linked_evidence(user, question)
        )
        .order_by("evidence__happened_on", "id")
        .select_related("evidence__source")
        # What a row shows (templates/questions/_analysis.html): not the item's texts, markings'
        # recipients or search vector, which a row never reads.
        .only(*_ROW_LINK_FIELDS)
    )
    ratings: dict[int, dict[int, str]] = {}
    # By the hypotheses' ids, read above: no join to find the question's ratings.
    rated = HypothesisRating.objects.filter(hypothesis__in=[h.pk for h in hypotheses])
    for evidence_id, hypothesis_id, rating in (
        rated.order_by().values_list("evidence_id", "hypothesis_id", "rating") if hypotheses else ()
    ):
        ratings.setdefault(evidence_id, {})[hypothesis_id] = rating
    cells = RatingCells(hypotheses)
    rate_url = url_maker("questions:rate", question.pk)
    evidence_url = url_maker("evidence:detail")
    summary_of = truncator(140)
    badges = ItemBadges()
    rows = []
    for link in links:
        evidence = link.evidence
        current = ratings.get(link.evidence_id, {})
        rows.append(
            {
                "link": link,
                "evidence": evidence,
                # Drawn here once per row or per distinct value, not by a tag or filter per row.
                "url": evidence_url(link.evidence_id),
                "summary": summary_of(evidence.summary),
                "grading": badges.grading(evidence),
                "marking": badges.marking(evidence.tlp),
                "corroboration": badges.corroboration(evidence.corroboration),
                "happened": evidence.happened_display,
                "cells": (
                    cells.selects(link.evidence_id, link.evidence.summary, current)
                    if editable
                    else cells.words(current)
                ),
                "rate_url": rate_url(link.evidence_id) if editable else "",
            }
        )
    return hypotheses, rows


# The columns a row of the question page's matrix reads (the link's, its item's, its source's).
_ROW_LINK_FIELDS = (
    "question_id",
    "evidence_id",
    "relevance",
    "evidence__summary",
    "evidence__credibility",
    "evidence__corroboration",
    "evidence__tlp",
    "evidence__happened_on",
    "evidence__happened_precision",
    "evidence__happened_text",
    "evidence__source__name",
    "evidence__source__reliability",
)


def _action_forms(question: Question, actions) -> list[dict]:
    """Buttons for exactly the steps this user may take now, each with the form it needs."""
    items = []
    for action in actions:
        action = Action(action)
        form_class = _WORDED[action][0] if action in _WORDED else None
        items.append(
            {
                "action": action,
                "form": form_class(prefix=action.value) if form_class else None,
                "is_assign": action == Action.ASSIGN,
            }
        )
    return items


@login_required
@cached_read
@reuses_plans
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    question, parent, sub_questions = _with_family(user, pk)
    actions = workflow.available_actions(question, user)
    can_rate = permissions.can_rate(user, question)
    can_link = permissions.can_add_evidence_link(user, question)
    can_hypothesise = permissions.can_edit_hypotheses(user, question)
    hypotheses, ach_rows = _ach_rows(question, user, editable=bool(can_rate))
    # Read once, oldest first: the judgment history, the current version and the story use them;
    # with what the current one's card names (its hypothesis, its cited items and their sources).
    # Which versions first (ids): most questions' readers see none or a few, and reading none
    # costs no query.
    visible = visible_assessment_ids(user, question)
    cited = Prefetch("cited_evidence", queryset=Evidence.objects.select_related("source"))
    versions = (
        list(
            # Through the question: each version knows it (the tradecraft checks read it).
            question.assessments.filter(pk__in=visible)
            .select_related("hypothesis")
            .prefetch_related(cited)
            .order_by("version")
        )
        if visible
        else []
    )
    assessment = _current_assessment(versions)
    link_q = request.GET.get("link_q", "").strip() if can_link else ""
    context = {
        "question": _mark_overdue([question])[0],
        "parent": parent,
        "sub_questions": _mark_overdue(sub_questions),
        "hypotheses": hypotheses,
        "ach_rows": ach_rows,
        "assessment": assessment,
        "tradecraft": _tradecraft(assessment, user),
        "versions": versions,
        "timeline": question_history(
            question, user, versions=versions, seen_questions=[parent] if parent else []
        ),
        "comments": question.comments.select_related("author").order_by("created_at", "id"),
        "actions": _action_forms(question, actions),
        "assign_form": _assign_form(question) if Action.ASSIGN in actions else None,
        "can_review": Action.APPROVE in actions or Action.RETURN in actions,
        "can_edit_assessment": permissions.can_edit_assessment(user, question),
        "can_comment": permissions.can_comment(user, question),
        "comment_form": CommentForm(),
        "can_rate": can_rate,
        "hypothesis_form": HypothesisForm() if can_hypothesise else None,
        "can_link": can_link,
        "link_search": link_q,
        "link_candidates": link_candidates(question, user, link_q) if link_q else [],
        "can_add_sub_question": permissions.is_lead(user, question.team)
        and question.status != Status.CLOSED,
    }
    return render(request, "questions/detail.html", context)


def _with_family(user, pk: int) -> tuple[Question, Question | None, list[Question]]:
    """The question (or 404), its key question and its sub-questions, those this user may see, in
    one query: each visibility check is compiled and planned once, not three times. A key
    question out of their sight is not named, not even by its link."""
    parent_id = Question.objects.filter(pk=pk).order_by().values("parent_id")
    family = list(
        visible_questions(user)
        # The people the page names (the team's lead too); not each one's key question, which
        # is a row of the family itself.
        .select_related("team__lead", "assignee", "reviewer")
        .filter(Q(pk=pk) | Q(parent=pk) | Q(pk=Subquery(parent_id)))
        # Unordered: ordering made Django hash each of the ~50 columns it selects (a
        # millisecond); the few sub-questions are put in the questions' order below.
        .order_by()
    )
    question = next((q for q in family if q.pk == pk), None)
    if question is None:
        raise Http404("No Question matches the given query.")
    parent = next((q for q in family if q.pk == question.parent_id), None)
    subs = sorted((q for q in family if q.parent_id == pk), key=_question_order)
    return question, parent, subs


def _question_order(question: Question) -> tuple:
    """Question.Meta.ordering ("-priority", "due_at", "id") as PostgreSQL sorts it: no due date
    last."""
    return (-question.priority, question.due_at is None, question.due_at or 0, question.pk)


def _tradecraft(assessment: Assessment | None, user) -> Report | None:
    """The tradecraft findings of one version, shown beside it (questions.tradecraft), over the
    user's own ACH matrix."""
    return check_assessment(assessment, user) if assessment is not None else None


def _versions(question: Question, user):
    """The question's assessment versions this user may see: a version citing an item out of
    their sight is out of sight itself (questions.visibility)."""
    return visible_assessments(user, question)


def _current_assessment(versions: list[Assessment]) -> Assessment | None:
    """The signed-off answer if there is one, else the latest version in the works
    (`versions`: oldest first)."""
    approved = [v for v in versions if v.state == AssessmentState.APPROVED]
    return (approved or versions or [None])[-1]


def _assign_form(question: Question, data=None) -> AssignForm:
    initial = {
        "analyst": question.assignee_id,
        "reviewer": question.reviewer_id,
        "due_at": question.due_at,
    }
    candidates = question.team.members.order_by("username")
    return AssignForm(data, prefix="assign", initial=initial, candidates=candidates)


def _link_form(question: Question, user, data=None) -> LinkEvidenceForm:
    unlinked = visible_evidence(user).exclude(question_links__question=question)
    return LinkEvidenceForm(data, prefix="link", evidence=unlinked)


# Items offered for linking per search.
LINK_CANDIDATES = 10


def link_candidates(question: Question, user, q: str) -> list[dict]:
    """Evidence items matching `q` that `user` may see and `question` does not link yet, best
    first, each with the form that links it (questions.search: the same ranking and the same
    visibility as the search page)."""
    linked = set(question.evidence_links.values_list("evidence_id", flat=True))
    hits = [
        h
        for h in search(user, q, kinds=("evidence",), limit=LINK_CANDIDATES + len(linked))
        if h.id not in linked
    ][:LINK_CANDIDATES]
    return [
        {
            "hit": hit,
            "form": LinkEvidenceForm(
                prefix="link",
                auto_id=f"id_link-{hit.id}-%s",  # one form per item: ids of their own
                evidence=Evidence.objects.none(),
                initial={"evidence": hit.id},
            ),
        }
        for hit in hits
    ]


@login_required
@require_POST
def question_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one workflow step; the workflow decides whether this user may, now."""
    question = _get_question(request, pk)
    if action not in Action.values:
        raise PermissionDenied
    action = Action(action)
    try:
        _run_step(request, question, action)
    except ValidationFailed as error:
        # One message per problem (e.g. each blocking tradecraft finding of a refused submit).
        for problems in error.errors.values():
            for problem in problems:
                messages.error(request, problem)
        return _back(request, question)
    except WorkflowError as error:
        _log_if_refused_for_user(request, error, question)
        messages.error(request, error.message)
        return _back(request, question)
    status = Status(question.status).label.lower()
    messages.success(request, f"{action.label}: done. The question is now {status}.")
    return redirect("questions:detail", pk=question.pk)


def _run_step(request: HttpRequest, question: Question, action: Action) -> None:
    """Read the step's form and call its workflow function (which refreshes `question`)."""
    user = request.user
    if action == Action.ASSIGN:
        form = _assign_form(question, request.POST)
        if not form.is_valid():
            raise ValidationFailed(form.errors)
        data = form.cleaned_data
        workflow.assign(
            question,
            user,
            analyst=data["analyst"],
            reviewer=data["reviewer"],
            due_at=data["due_at"],
        )
    elif action == Action.APPROVE:
        form = ApproveForm(request.POST, prefix=action.value)
        _refuse_bad_text(form)
        workflow.approve(question, user, comment=form.cleaned_data.get("comment", ""))
    elif action in _WORDED:
        form_class, keyword, step = _WORDED[action]
        form = form_class(request.POST, prefix=action.value)
        _refuse_bad_text(form)  # an empty text is refused by the workflow, in its own words
        step(question, user, **{keyword: form.cleaned_data.get(keyword, "")})
    else:
        workflow.TRANSITIONS[action](question, user)


def _log_if_refused_for_user(
    request: HttpRequest, error: WorkflowError, question: Question
) -> None:
    """A refusal shown on the page instead of a 403 is still a refused permission: logged like
    the 403s (handler403) and the API's (iqtrack.api.errors)."""
    if isinstance(error, NotAllowedForUser):
        log_event(
            "permission_refused",
            "refused",
            request=request,
            obj=question,
            level=logging.WARNING,
            code=error.code,
        )


def _refuse_bad_text(form) -> None:
    """Refuse the step when its text breaks the text policy (iqtrack.validation), so a comment
    is never silently dropped; a missing one is left to the workflow."""
    if form.is_valid():
        return
    errors = {
        name: list(form.errors[name])
        for name, found in form.errors.as_data().items()
        if any(error.code != "required" for error in found)
    }
    if errors:
        raise ValidationFailed(errors)


def _back(request: HttpRequest, question: Question) -> HttpResponse:
    """After a refusal, back to the page the step was asked from (detail or review)."""
    if request.POST.get("from") == "review":
        return redirect("questions:review", pk=question.pk)
    return redirect("questions:detail", pk=question.pk)


def _back_to(question: Question, anchor: str) -> HttpResponse:
    return redirect(reverse("questions:detail", args=[question.pk]) + f"#{anchor}")


@login_required
@cached_read
@reuses_plans_unfiltered
def question_create(request: HttpRequest) -> HttpResponse:
    """A lead writes a key question, or a sub-question of one (`?parent=<id>`)."""
    user = request.user
    teams = _lead_teams(user)
    if not teams:
        raise PermissionDenied("Only a team's lead writes its questions.")
    parents = key_question_candidates(user, teams)
    initial = {"team": teams[0]} if len(teams) == 1 else {}
    if parent_pk := request.GET.get("parent", "").strip():
        if not parent_pk.isdigit():
            raise Http404
        parent = get_object_or_404(parents, pk=parent_pk)
        initial = {"parent": parent, "team": parent.team, "tlp": parent.tlp}
    form = QuestionForm(
        request.POST or None, initial=initial, user=user, teams=teams, parents=parents
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            question = form.save(commit=False)
            question.created_by = user
            question.save()
            form.save_m2m()
            for position, title in enumerate(form.hypothesis_titles(), start=1):
                Hypothesis.objects.create(question=question, title=title, position=position)
        messages.success(request, "Question created as a draft. Publish it, then assign it.")
        return redirect("questions:detail", pk=question.pk)
    return render(request, "questions/create.html", {"form": form})


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_question(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            add_comment(question, request.user, form.cleaned_data["body"])
        except WorkflowError as error:
            _log_if_refused_for_user(request, error, question)
            form.add_error("body", error.message)
        else:
            form = CommentForm()
    if not request.htmx:
        if form.errors:
            messages.error(request, " ".join(form.errors.get("body", [])))
        return _back_to(question, "comments")
    context = {
        "question": question,
        "comments": question.comments.select_related("author"),
        "comment_form": form,
        "can_comment": permissions.can_comment(request.user, question),
    }
    return render(request, "questions/_comments.html", context)


# ---------------------------------------------------------------------------------------------
# Analysis material: hypotheses, evidence links, ACH ratings
# ---------------------------------------------------------------------------------------------
def _require(decision) -> None:
    """Refuse with 403 what the domain's permission function refuses."""
    if not decision:
        raise PermissionDenied(getattr(decision, "reason", ""))


@login_required
@require_POST
def hypothesis_add(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_question(request, pk)
    _require(permissions.can_edit_hypotheses(request.user, question))
    form = HypothesisForm(request.POST)
    if form.is_valid():
        hypothesis = form.save(commit=False)
        hypothesis.question = question
        hypothesis.position = question.hypotheses.count() + 1
        hypothesis.save()
        messages.success(request, "Hypothesis added.")
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return _back_to(question, "hypotheses")


@login_required
@require_POST
def evidence_link(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_question(request, pk)
    _require(permissions.can_add_evidence_link(request.user, question))
    form = _link_form(question, request.user, request.POST)
    if form.is_valid():
        EvidenceLink.objects.create(
            question=question,
            evidence=form.cleaned_data["evidence"],
            relevance=form.cleaned_data["relevance"],
            linked_by=request.user,
        )
        messages.success(request, "Evidence linked. Rate it against the hypotheses.")
    elif "evidence" in form.errors:
        messages.error(request, "Choose an evidence item you can see and that is not linked yet.")
    else:
        messages.error(request, " ".join(form.errors.get("relevance", [])))
    return _back_to(question, "evidence")


@login_required
@require_POST
def evidence_rate(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    question = _get_question(request, pk)
    # Every object the URL names is found (or 404) before any permission is asked, so a refusal
    # never confirms that an item out of sight exists.
    evidence = get_object_or_404(_linked_evidence(question, request.user), pk=evidence_pk)
    _require(permissions.can_rate(request.user, question))
    form = RatingForm(
        request.POST,
        hypotheses=question.hypotheses.all(),
        current={},
        form_id=f"rate-{evidence.pk}",
        prefix=f"e{evidence.pk}",
    )
    if form.is_valid():
        for hypothesis, rating in form.ratings().items():
            if rating:
                HypothesisRating.objects.update_or_create(
                    hypothesis=hypothesis,
                    evidence=evidence,
                    defaults={"rating": rating, "rated_by": request.user},
                )
            else:
                HypothesisRating.objects.filter(hypothesis=hypothesis, evidence=evidence).delete()
        messages.success(request, "Ratings saved.")
    return _back_to(question, "evidence")


# ---------------------------------------------------------------------------------------------
# Assessment editor and review
# ---------------------------------------------------------------------------------------------
@login_required
@cached_read
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_question(request, pk)
    _require(permissions.can_edit_assessment(request.user, question))
    # Start from the draft, else from the latest version (a returned one is revised, not retyped).
    base = question.assessments.first()
    initial = {}
    if base is not None:
        initial = {
            "key_judgments": base.key_judgments,
            "likelihood": base.likelihood,
            "likelihood_wording": base.likelihood_wording,
            "confidence": base.confidence,
            "hypothesis": base.hypothesis_id,
            "cited_evidence": list(base.cited_evidence.all()),
            "change_note": base.change_note if base.state == AssessmentState.DRAFT else "",
        }
    evidence = _linked_evidence(question, request.user)
    form = AssessmentForm(
        request.POST or None,
        initial=initial,
        evidence=evidence,
        hypotheses=question.hypotheses.all(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessments.save_draft(
                question,
                request.user,
                key_judgments=data["key_judgments"],
                likelihood=data["likelihood"] or None,
                likelihood_wording=data["likelihood_wording"],
                confidence=data["confidence"],
                hypothesis=data["hypothesis"],
                cited_evidence=list(data["cited_evidence"]),
                change_note=data["change_note"],
            )
            if "submit" in request.POST:
                workflow.submit(question, request.user)
                messages.success(request, "Submitted for review.")
                return redirect("questions:detail", pk=question.pk)
        except ValidationFailed as error:
            for field, errors in error.errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        except WorkflowError as error:
            _log_if_refused_for_user(request, error, question)
            form.add_error(None, error.message)
        else:
            messages.success(request, "Draft saved.")
            return redirect("questions:assessment", pk=question.pk)
    context = {
        "question": question,
        "form": form,
        "base": base,
        "is_revision": base is not None and base.is_frozen,
        # From the second version on, the change note is part of what is reviewed.
        "asks_change_note": base is not None and (base.is_frozen or base.version > 1),
        "last_return": _last_return(question),
        "tradecraft": _tradecraft(base, request.user),
    }
    return render(request, "questions/assessment_form.html", context)


def _last_return(question: Question):
    """The reviewer's comments the analyst is answering, if the last decision was a return."""
    latest = question.assessments.first()
    if latest is None:
        return None
    if latest.state == AssessmentState.DRAFT:
        latest = question.assessments.filter(version__lt=latest.version).first()
    if latest is None or latest.state != AssessmentState.RETURNED:
        return None
    return latest.reviews.order_by("-created_at").first()


def _version_text(assessment: Assessment | None) -> dict[str, str]:
    if assessment is None:
        return {
            "judgments": "",
            "likelihood": "",
            "confidence": "",
            "hypothesis": "",
            "cited": "",
            "note": "",
        }
    cited = assessment.cited_evidence.select_related("source").order_by("pk")
    return {
        "judgments": assessment.key_judgments,
        "likelihood": likelihood_words(assessment),
        "confidence": confidence_words(assessment),
        "hypothesis": assessment.hypothesis.label if assessment.hypothesis else "",
        "cited": "\n".join(f"[{e.grading}] {e.summary}" for e in cited),
        "note": assessment.change_note,
    }


@login_required
@cached_read
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The version under review beside the previous one; approve, or return with comments."""
    question = _get_question(request, pk)
    versions = _versions(question, request.user)
    version = versions.filter(state=AssessmentState.SUBMITTED).first() or versions.first()
    previous = versions.filter(version__lt=version.version).first() if version else None
    old, new = _version_text(previous), _version_text(version)
    labels = {
        "judgments": "Key judgments",
        "likelihood": "Likelihood",
        "confidence": "Confidence",
        "hypothesis": "Supports",
        "cited": "Cited evidence",
        "note": "What changed and why",
    }
    actions = list(workflow.available_actions(question, request.user))
    context = {
        "question": question,
        "version": version,
        "previous": previous,
        "fields": compare_fields([(label, old[k], new[k]) for k, label in labels.items()]),
        "can_approve": Action.APPROVE in actions,
        "can_return": Action.RETURN in actions,
        "approve_form": ApproveForm(prefix="approve"),
        "return_form": ReturnForm(prefix="return"),
        "reviews": version.reviews.select_related("reviewer") if version else [],
        "tradecraft": _tradecraft(version, request.user),
    }
    return render(request, "questions/review.html", context)
