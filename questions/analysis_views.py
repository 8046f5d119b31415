"""Pages for the analysis: the ACH matrix, search, timelines and actors.

Like questions/views.py these hold no rule: the matrix, its scores and linchpins come from
questions.ach, circular reporting from evidence.corroboration, hits from questions.search, the
chronology from questions.timeline, and every queryset from questions.visibility (what a user
may not see is a 404).
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from evidence.choices import Corroboration
from iqtrack.paging import counted_page
from iqtrack.prepared import reuses_plans, reuses_plans_unfiltered
from iqtrack.response_cache import cached_read
from iqtrack.validation import clean_query
from questions.ach import Matrix, build_matrix
from questions.ach_markup import Bulk, ItemBadges, render_spliced, truncator, url_maker
from questions.forms import TimelinePlaceForm
from questions.search import KINDS, Hit, search
from questions.templatetags.iqtrack_ui import ach_label
from questions.timeline import case_questions, timeline, timeline_page
from questions.visibility import (
    visible_actors,
    visible_questions,
    visible_teams,
)

WEAK_CORROBORATION = (Corroboration.SINGLE_SOURCE, Corroboration.UNCONFIRMED)


def _question(request: HttpRequest, pk: int):
    return get_object_or_404(visible_questions(request.user).select_related("team"), pk=pk)


# ---------------------------------------------------------------------------------------------
# ACH matrix
# ---------------------------------------------------------------------------------------------
# The rows are drawn here, not in the template (questions/ach_markup.py says why): a cell is one
# of a few strings (its column's number and its rating), each formatted once per page; a row is
# one str.format of values escaped as format_html escapes them (html.escape, which is what
# django.utils.html.escape applies to a str), without format_html's checks for lazy strings on
# each of the thousands of values of a 300-row matrix (they were most of its drawing).
_ROW = (
    '<tr class="{}">'
    '<th scope="row"><a href="{}">{}</a><div class="meta">\n{}\n</div></th>'
    "{}"
    '<td class="diag">{}</td></tr>'
)
_NO_DIAGNOSTIC_VALUE = format_html('<span class="muted">{}</span>', "0 — no diagnostic value")
_LINCHPIN = format_html(
    '<span class="badge linchpin" title="{}">Linchpin</span>',
    "Removing this item alone would change which hypothesis ranks first",
)


def _cell(column: int, rating: str) -> SafeString:
    return format_html(
        '<td class="heat heat-{}"><span class="visually-hidden">H{}: </span>{}</td>',
        rating or "none",
        column,
        ach_label(rating),
    )


class _Column(dict):
    """One column's cells by rating, each drawn the first time it is needed."""

    def __init__(self, column: int) -> None:
        super().__init__()
        self.column = column

    def __missing__(self, rating: str) -> SafeString:
        cell = self[rating] = _cell(self.column, rating)
        return cell


@lru_cache(maxsize=256)
def _column(number: int) -> _Column:
    """The cells of the `number`th column, shared by every matrix: a cell depends on nothing
    but its column's number and its rating."""
    return _Column(number)


def _row_meta(evidence, *, grading: str, weak: str, linchpin: bool, repeats) -> str:
    """The badges under an item's summary, as the matrix shows them (`weak`: its corroboration
    badge when it is single-source or unconfirmed, else "")."""
    parts = [grading]
    if weak:
        parts.append(weak)
    if linchpin:
        parts.append(_LINCHPIN)
    if repeats:
        parts.append(
            f'<span class="badge repeats" title="Repeats: {escape(repeats)}">'
            "Repeats another item</span>"
        )
    if happened := evidence.happened_display:
        parts.append(f"<span>{escape(happened)}</span>")
    return "\n".join(parts)


def ach_rows(matrix: Matrix) -> list[str]:
    """One table row per evidence item of the user's matrix: the item (grading, single-source
    flag, linchpin badge, what it repeats — its origin, when that is another item of the
    matrix), its cells, and its diagnosticity. HTML whose every value is escaped (for Bulk)."""
    origin_of = matrix.origins()
    titles = {e.id: e.summary for e in matrix.evidence}
    hypothesis_ids = [h.id for h in matrix.hypotheses]
    columns = [_column(number) for number in range(1, len(hypothesis_ids) + 1)]
    unrated = [""] * len(hypothesis_ids)
    badges = ItemBadges()
    linchpins = set(matrix.scoring.linchpins)
    diagnosticity = matrix.scoring.diagnosticity
    ratings = matrix.ratings
    evidence_url = url_maker("evidence:detail")
    summary_of = truncator(110)
    rows = []
    for evidence in matrix.evidence:
        item = evidence.id
        origin = origin_of.get(item, item)
        linchpin = item in linchpins
        corroboration = evidence.corroboration
        meta = _row_meta(
            evidence,
            grading=badges.grading(evidence),
            weak=badges.corroboration(corroboration) if corroboration in WEAK_CORROBORATION else "",
            linchpin=linchpin,
            repeats=titles.get(origin) if origin != item else None,
        )
        # Each column's cell for the item's rating against its hypothesis ("" if unrated).
        ratings_in_order = map(ratings[item].get, hypothesis_ids, unrated)
        cells = "".join(map(dict.__getitem__, columns, ratings_in_order))
        rows.append(
            _ROW.format(
                "is-linchpin" if linchpin else "",
                escape(evidence_url(item)),
                escape(summary_of(evidence.summary)),
                meta,
                cells,
                diagnosticity.get(item, 0) or _NO_DIAGNOSTIC_VALUE,
            )
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
@cached_read
@reuses_plans
def ach_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    # The user's matrix: what they may not see is neither shown nor counted (nor said to exist).
    matrix = build_matrix(question, request.user)
    context = {
        "question": question,
        "matrix": matrix,
        # Drawn in Python: a template loop over hundreds of rows cost more than drawing them.
        "rows": Bulk(ach_rows(matrix), "\n      "),
        "scores": ach_scores(matrix),
    }
    return render_spliced(request, "questions/ach.html", context)


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
@cached_read
def search_page(request: HttpRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""))
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
@cached_read
@reuses_plans
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
@cached_read
@reuses_plans_unfiltered
def team_timeline(request: HttpRequest) -> HttpResponse:
    """Everything the user may see, or one of their teams' evidence and events (`?team=<id>`),
    a page at a time: from the start, from a day (`?since=`), or after or before an entry."""
    teams = visible_teams(request.user)
    team = None
    if team_pk := request.GET.get("team", "").strip():
        if not team_pk.isdigit():
            raise Http404
        team = get_object_or_404(teams, pk=team_pk)
    # Read a page at a time: a team's timeline runs to hundreds of thousands of entries.
    place = TimelinePlaceForm(request.GET)
    page = timeline_page(request.user, team=team, **place.place())
    here = {"team": team.pk} if team else {}
    context = {
        "teams": teams,
        "team": team,
        "place": place,
        "entries": page.entries,
        "earlier": page.earlier and "?" + urlencode({**here, "before": page.earlier.token}),
        "later": page.later and "?" + urlencode({**here, "after": page.later.token}),
    }
    return render(request, "questions/timeline.html", context)


@login_required
@cached_read
@reuses_plans_unfiltered
def actor_list(request: HttpRequest) -> HttpResponse:
    # A thousand actors at the benchmark's scale: fifty a page. Their affiliations as a plain
    # list (to_attr): a prefetch into the related manager built two managers and a queryset per
    # actor, about a fifth of the page's Python time in a profile.
    affiliations = Prefetch("affiliated_with", to_attr="affiliations")
    page = counted_page(visible_actors(request.user).prefetch_related(affiliations), request)
    return render(request, "questions/actors.html", {"actors": page.items, "page": page})


@login_required
@cached_read
@reuses_plans
def actor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = get_object_or_404(visible_actors(request.user), pk=pk)
    context = {
        "actor": actor,
        "affiliated_with": actor.affiliated_with.all(),
        "affiliates": actor.affiliates.all(),
        "entries": timeline(request.user, actor=actor),
    }
    return render(request, "questions/actor.html", context)
