"""Search across questions, evidence (original text and translation), sources and actors.

On PostgreSQL: full-text search over trigger-maintained `search_vector` columns with GIN indexes
(evidence/search_sql.py): the query is parsed with every language configuration in use, ORed, so
a Russian query meets Russian stems and an English one English stems; results are ranked with
ts_rank and carry a highlighted snippet from ts_headline. On SQLite (the embedded default): a
portable fallback — every word must appear somewhere in the item (case-insensitive for ASCII
only: SQLite's LIKE folds no other case), ranked by how many fields match.

Results come only from the visibility querysets, so search never shows, counts or quotes an item
the user may not see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.html import escape

from evidence.choices import RTL_LANGUAGES
from evidence.search_sql import QUERY_CONFIGS
from iqtrack.validation import MAX_QUERY_LENGTH
from questions import visibility

KINDS = ("question", "evidence", "source", "actor")
# Private-use characters mark matches inside ts_headline's output; the text is escaped first and
# only then are the marks turned into <mark> tags, so a snippet can never carry markup of its own.
_START, _STOP = "\ue000", "\ue001"
_HEADLINE_OPTIONS = {"max_words": 30, "min_words": 12, "max_fragments": 2}


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    snippet: str  # safe HTML: escaped text, matches wrapped in <mark>
    rank: float
    language: str = ""  # language of the snippet's text, for lang= and dir="rtl"

    @property
    def rtl(self) -> bool:
        return self.language in RTL_LANGUAGES


def _mark(text: str) -> str:
    return escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")


def _words(q: str) -> list[str]:
    return [w for w in re.split(r"\W+", q) if w][:10]


@dataclass(frozen=True)
class _Spec:
    """How one kind is searched: its title field, snippet fields and, for evidence, language."""

    title: str
    fields: tuple[str, ...]  # in snippet preference order
    language_field: str = ""


SPECS: dict[str, _Spec] = {
    "question": _Spec("title", ("body", "title")),
    "evidence": _Spec(
        "summary", ("original_text", "translation", "summary"), language_field="original_language"
    ),
    "source": _Spec("name", ("description", "name")),
    "actor": _Spec("name", ("affiliation", "description", "name")),
}


def _querysets(user) -> dict[str, QuerySet]:
    return {
        "question": visibility.visible_questions(user),
        "evidence": visibility.visible_evidence(user),
        "source": visibility.visible_sources(user),
        "actor": visibility.visible_actors(user),
    }


class _TsConfig(Func):
    function = "iqtrack_ts_config"


def _postgres_hits(kind: str, queryset: QuerySet, q: str, limit: int) -> list[Hit]:
    spec = SPECS[kind]
    query = reduce(or_, (SearchQuery(q, config=c, search_type="websearch") for c in QUERY_CONFIGS))
    headlines = {}
    for field in spec.fields:
        # Original text is analysed in its own language; everything else is English.
        config = _TsConfig(F(spec.language_field)) if field == "original_text" else "english"
        headlines[f"_hl_{field}"] = SearchHeadline(
            Coalesce(F(field), Value("")),
            query,
            config=config,
            start_sel=_START,
            stop_sel=_STOP,
            **_HEADLINE_OPTIONS,
        )
    rows = (
        queryset.filter(search_vector=query)
        .annotate(_rank=SearchRank(F("search_vector"), query), **headlines)
        .order_by("-_rank", "pk")
    )
    hits = []
    for row in rows[:limit]:
        field = next(
            (f for f in spec.fields if _START in getattr(row, f"_hl_{f}")),
            next((f for f in spec.fields if getattr(row, f)), spec.title),
        )
        language = getattr(row, spec.language_field) if field == "original_text" else "en"
        hits.append(
            Hit(
                kind=kind,
                id=row.pk,
                title=getattr(row, spec.title),
                snippet=_mark(getattr(row, f"_hl_{field}") or getattr(row, field)),
                rank=float(row._rank),
                language=language,
            )
        )
    return hits


def _fallback_snippet(text: str, words: Iterable[str], width: int = 160) -> str:
    lowered = text.lower()
    positions = [lowered.find(w.lower()) for w in words if w.lower() in lowered]
    start = max(0, min(positions) - width // 3) if positions else 0
    excerpt = text[start : start + width]
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    marked = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", excerpt)
    return ("…" if start else "") + _mark(marked) + ("…" if start + width < len(text) else "")


def _fallback_hits(kind: str, queryset: QuerySet, q: str, limit: int) -> list[Hit]:
    spec = SPECS[kind]
    words = _words(q)
    if not words:
        return []
    fields = tuple(dict.fromkeys((spec.title, *spec.fields)))
    for word in words:
        queryset = queryset.filter(reduce(or_, (Q(**{f"{f}__icontains": word}) for f in fields)))
    hits = []
    for row in queryset.order_by("pk")[: limit * 5]:
        matched = [f for f in fields if any(w.lower() in getattr(row, f).lower() for w in words)]
        field = next((f for f in spec.fields if f in matched), spec.title)
        language = getattr(row, spec.language_field) if field == "original_text" else "en"
        hits.append(
            Hit(
                kind=kind,
                id=row.pk,
                title=getattr(row, spec.title),
                snippet=_fallback_snippet(getattr(row, field), words),
                rank=float(len(matched)),
                language=language,
            )
        )
    return sorted(hits, key=lambda h: -h.rank)[:limit]


def search(user, q: str, *, kinds: Iterable[str] = KINDS, limit: int = 20) -> list[Hit]:
    """Ranked hits for `q` among what `user` may see; one query per kind."""
    # PostgreSQL refuses NUL in text, and a query needs no control characters at all.
    q = "".join(ch for ch in q if ch.isprintable()).strip()[:MAX_QUERY_LENGTH]
    if not q:
        return []
    querysets = _querysets(user)
    finder = _postgres_hits if connection.vendor == "postgresql" else _fallback_hits
    hits = [hit for kind in kinds for hit in finder(kind, querysets[kind], q, limit)]
    return sorted(hits, key=lambda h: -h.rank)[:limit]
