"""Pages for the analysis: the ACH matrix, search, timelines and actors.

Like questions/views.py these hold no rule: the matrix, its scores and linchpins come from
questions.ach, circular reporting from evidence.corroboration, hits from questions.search, the
chronology from questions.timeline, and every queryset from questions.visibility (what a user
may not see is a 404).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from evidence.choices import Corroboration
from evidence.corroboration import origins
from questions.ach import Matrix, build_matrix
from questions.search import KINDS, MAX_QUERY_LENGTH, Hit, search
from questions.timeline import case_questions, timeline
from questions.visibility import (
    visible_actors,
    visible_evidence,
    visible_questions,
    visible_teams,
)

WEAK_CORROBORATION = (Corroboration.SINGLE_SOURCE, Corroboration.UNCONFIRMED)


def _question(request: HttpRequest, pk: int):
    return get_object_or_404(visible_questions(request.user).select_related("team"), pk=pk)


# ---------------------------------------------------------------------------------------------
# ACH matrix
# ---------------------------------------------------------------------------------------------
def ach_rows(matrix: Matrix, visible_ids: set[int]) -> list[dict]:
    """One row per evidence item the user may see: its cells, diagnosticity, linchpin flag and
    what it repeats (its origin, when that is another item of the matrix)."""
    origin_of = origins(e.id for e in matrix.evidence)
    titles = {e.id: e.summary for e in matrix.evidence}
    rows = []
    for evidence in matrix.evidence:
        if evidence.id not in visible_ids:
            continue
        origin = origin_of.get(evidence.id, evidence.id)
        rows.append(
            {
                "evidence": evidence,
                "cells": [(h, matrix.rating(evidence.id, h.id) or "") for h in matrix.hypotheses],
                "diagnosticity": matrix.scoring.diagnosticity.get(evidence.id, 0),
                "linchpin": evidence.id in matrix.scoring.linchpins,
                "weak": evidence.corroboration in WEAK_CORROBORATION,
                "repeats": titles.get(origin) if origin != evidence.id else None,
            }
        )
    return rows


def ach_scores(matrix: Matrix) -> list[dict]:
    """Each hypothesis's weighted inconsistency and rank, in display (column) order."""
    by_id = {s.hypothesis_id: s for s in matrix.scoring.scores}
    return [
        {
            "hypothesis": h,
            "inconsistency": by_id[h.id].inconsistency,
            "rank": by_id[h.id].rank,
            "top": h.id in matrix.scoring.top,
        }
        for h in matrix.hypotheses
    ]


@login_required
def ach_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    matrix = build_matrix(question)
    ids = [e.id for e in matrix.evidence]
    visible = visible_evidence(request.user, among=ids)
    visible_ids = set(visible.values_list("pk", flat=True))
    context = {
        "question": question,
        "matrix": matrix,
        "rows": ach_rows(matrix, visible_ids),
        "scores": ach_scores(matrix),
        # Scores count every linked item; say so if some are out of this user's sight.
        "withheld": len(ids) - len(visible_ids),
    }
    return render(request, "questions/ach.html", context)


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------
KIND_LABELS = {
    "question": "Questions",
    "evidence": "Evidence",
    "source": "Sources",
    "actor": "Actors",
}


def hit_url(hit: Hit) -> str:
    if hit.kind == "question":
        return reverse("questions:detail", args=[hit.id])
    if hit.kind == "evidence":
        return reverse("evidence:detail", args=[hit.id])
    if hit.kind == "actor":
        return reverse("questions:actor", args=[hit.id])
    # Sources have no page of their own: their evidence is listed by name.
    return reverse("evidence:list") + "?" + urlencode({"q": hit.title})


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    kinds = [k for k in request.GET.getlist("kind") if k in KINDS] or list(KINDS)
    hits = search(request.user, query, kinds=kinds, limit=50) if query else []
    groups = []
    for kind in KINDS:
        found = [{"hit": h, "url": hit_url(h)} for h in hits if h.kind == kind]
        if found:
            groups.append({"kind": kind, "label": KIND_LABELS[kind], "hits": found})
    context = {
        "query": query,
        "kinds": [(k, KIND_LABELS[k], k in kinds) for k in KINDS],
        "groups": groups,
        "count": len(hits),
    }
    return render(request, "questions/search.html", context)


# ---------------------------------------------------------------------------------------------
# Timelines and actors
# ---------------------------------------------------------------------------------------------
@login_required
def question_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    scope = case_questions(question, request.user)
    context = {
        "question": question,
        "entries": timeline(request.user, questions=scope),
        "sub_questions": scope.exclude(pk=question.pk).count(),
    }
    return render(request, "questions/timeline.html", context)


@login_required
def team_timeline(request: HttpRequest) -> HttpResponse:
    """Everything the user may see, or one of their teams' evidence and events (`?team=<id>`)."""
    teams = visible_teams(request.user)
    team = None
    if team_pk := request.GET.get("team", "").strip():
        if not team_pk.isdigit():
            raise Http404
        team = get_object_or_404(teams, pk=team_pk)
    context = {
        "teams": teams,
        "team": team,
        "entries": timeline(request.user, team=team),
    }
    return render(request, "questions/timeline.html", context)


@login_required
def actor_list(request: HttpRequest) -> HttpResponse:
    actors = visible_actors(request.user).prefetch_related("affiliated_with")
    return render(request, "questions/actors.html", {"actors": actors})


@login_required
def actor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = get_object_or_404(visible_actors(request.user), pk=pk)
    context = {
        "actor": actor,
        "affiliated_with": actor.affiliated_with.all(),
        "affiliates": actor.affiliates.all(),
        "entries": timeline(request.user, actor=actor),
    }
    return render(request, "questions/actor.html", context)
