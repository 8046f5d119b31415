"""Search across questions, evidence (original text and translation), sources and actors.

On PostgreSQL: full-text search over trigger-maintained `search_vector` columns with GIN indexes
(evidence/search_sql.py): the query is parsed with every language configuration in use, ORed, so
a Russian query meets Russian stems and an English one English stems. Each kind is searched in
three steps:

1. candidates: the CANDIDATES newest matches the user may see (highest id first), each with its
   ts_rank (the same weights and formula as ever) — PostgreSQL finds them through the GIN index
   when the words are rare, or walks the newest rows back until it has enough when they are
   common; the visibility rules are checked item by item as it goes;
2. the best `limit` of them by rank (ties: lowest id first);
3. only these are read in full and get a highlighted snippet from ts_headline — of the first
   field with a match, one field at a time (a second query only for hits without a match in the
   first field, and so on).

What is given up: for words matching more than CANDIDATES items of a kind that the user may see,
the hits are the most relevant of the newest CANDIDATES matches, not of all of them — an older
item ranked higher is left out (search with more words to reach it). Below that every match is
ranked, as before. "Newest" is the latest recorded (highest id). Items the user may not see never
take a candidate's place, so the bound tells nothing about them. Ranking every match of a word in
one English item in seven cost seconds at 200,000 items (bench/RESULTS.md); with the bound a
common word costs about what a rare one does.
On SQLite (the embedded default): a portable fallback — every word must appear somewhere in the
item (case-insensitive for ASCII only: SQLite's LIKE folds no other case), ranked by how many
fields match.

Results come only from the visibility querysets, so search never shows, counts or quotes an item
the user may not see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.html import escape

from evidence.choices import RTL_LANGUAGES
from evidence.models import Actor, Evidence, Source
from evidence.search_sql import QUERY_CONFIGS
from iqtrack.db import AnyOf
from iqtrack.validation import MAX_QUERY_LENGTH
from questions import visibility
from questions.models import Question

KINDS = ("question", "evidence", "source", "actor")
# Private-use characters mark matches inside ts_headline's output; the text is escaped first and
# only then are the marks turned into <mark> tags, so a snippet can never carry markup of its own.
_START, _STOP = "\ue000", "\ue001"
_HEADLINE_OPTIONS = {"max_words": 30, "min_words": 12, "max_fragments": 2}
# How many of the newest matches (per kind, among what the user may see) are ranked: see above.
CANDIDATES = 200


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


_MODELS = {"question": Question, "evidence": Evidence, "source": Source, "actor": Actor}
_VISIBLE = {
    "question": visibility.visible_questions,
    # Checked item by item as the candidates are found: the newest matches are few.
    "evidence": lambda user: visibility.visible_evidence_of(user, Evidence.objects.all()),
    "source": visibility.visible_sources,
    "actor": visibility.visible_actors,
}

# Step 1's SQL per kind and user (see _candidates_statement), with this standing for the query.
_QUERY_STANDIN = "\ue002query\ue002"
_STATEMENTS: dict[tuple, tuple[str, tuple] | None] = {}
_STATEMENTS_KEPT = 2000
_UNBUILT = object()
# Step 3's SQL per kind and field (see _snippets_statement), with this standing for the ids.
_IDS_STANDIN = -1  # never an id
_IDS_PARAM = AnyOf.array([_IDS_STANDIN])  # as AnyOf passes it
_SNIPPETS: dict[tuple[str, str], tuple[str, tuple, tuple[str, ...]]] = {}


class _TsConfig(Func):
    function = "iqtrack_ts_config"


class _ParsedQuery(SearchQuery):
    """A tsquery given as its text (from _tsquery): cast, not parsed again."""

    template = "(%(expressions)s)::tsquery"

    def __init__(self, text: str):
        super().__init__(text, search_type="raw")


def _tsquery(q: str) -> str:
    """`q` parsed with every configuration and ORed, as tsquery text, each distinct part once.

    The same query as ORing the configurations' websearch_to_tsquery (the same matches; ts_rank
    ranks by the distinct words and whether the top is an AND, both kept), but without the
    repeats, which made PostgreSQL overestimate the matches sevenfold and scan tables whole.
    """
    columns = ", ".join("websearch_to_tsquery(%s::regconfig, %s)::text" for _ in QUERY_CONFIGS)
    # (JIT, whose compiling took longer than these searches run, is off for iqtrack's
    # connections: iqtrack/settings.py.)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}", [v for c in QUERY_CONFIGS for v in (c, q)])
        parts = [part for part in cursor.fetchone() if part]
    distinct = list(dict.fromkeys(parts))
    if len(parts) > 1 and len(distinct) == 1:
        distinct *= 2  # several parts ORed: the top stays an OR, as ts_rank saw it
    return " | ".join(f"( {part} )" for part in distinct)


def _candidates_statement(kind: str, user) -> tuple[str, tuple] | None:
    """Step 1's SQL and parameters for `kind` as `user` sees it (None: they see none of it),
    built once per process and user, the query text left as _QUERY_STANDIN.

    Building it — the visibility rules as nested querysets, compiled to SQL — cost more CPU than
    PostgreSQL spent running it. Keeping it is safe: what the user may see is decided when the
    statement runs (teams, assignments, markings, links are all subqueries in it); all it holds
    of the user is who they are, signed in and superuser or not, which is the key.
    """
    key = (kind, user.pk, user.is_active, user.is_superuser, CANDIDATES)
    kept = _STATEMENTS.get(key, _UNBUILT)
    if kept is not _UNBUILT:
        return kept
    queryset = _VISIBLE[kind](user)
    statement = None
    if not queryset.query.is_empty():
        query = _ParsedQuery(_QUERY_STANDIN)
        candidates = (
            queryset.filter(search_vector=query)
            .annotate(_rank=SearchRank(F("search_vector"), query))
            .order_by("-pk")
            .values_list("pk", "_rank")[:CANDIDATES]
        )
        statement = candidates.query.sql_with_params()
    if len(_STATEMENTS) >= _STATEMENTS_KEPT:
        _STATEMENTS.clear()  # crude, but a worker rarely serves that many people
    _STATEMENTS[key] = statement
    return statement


def _snippets_statement(kind: str, field: str) -> tuple[str, tuple, tuple[str, ...]]:
    """Step 3's SQL for `kind`'s `field`, its parameters and the names of the columns it reads,
    built once per process, the query text left as _QUERY_STANDIN and the ids as _IDS_STANDIN:
    only what a hit shows and that field's headline, for the hits given by id.

    It names no user (the ids are of hits already found among what the user may see), so one
    statement serves everyone. Built afresh each time, its expressions cost a search more CPU to
    compile than PostgreSQL spent headlining (bench/README.md, "Session 12")."""
    kept = _SNIPPETS.get((kind, field))
    if kept is not None:
        return kept
    spec = SPECS[kind]
    # Original text is analysed in its own language; everything else is English.
    config = _TsConfig(F(spec.language_field)) if field == "original_text" else "english"
    headline = SearchHeadline(
        Coalesce(F(field), Value("")),
        _ParsedQuery(_QUERY_STANDIN),
        config=config,
        start_sel=_START,
        stop_sel=_STOP,
        **_HEADLINE_OPTIONS,
    )
    # Only what a hit shows: not the rest of the row, whose search vector is its largest
    # column, nor the model's order (the hits are ranked here).
    columns = tuple(
        dict.fromkeys(c for c in ("pk", spec.title, *spec.fields, spec.language_field) if c)
    )
    rows = (
        _MODELS[kind]
        .objects.order_by()
        .filter(AnyOf("pk", [_IDS_STANDIN]))
        .annotate(_headline=headline)
        .values_list(*columns, "_headline")
    )
    sql, params = rows.query.sql_with_params()
    kept = _SNIPPETS[kind, field] = (sql, params, columns)
    return kept


def _postgres_hits(kind: str, user, tsquery: str, limit: int) -> list[Hit]:
    spec = SPECS[kind]
    statement = _candidates_statement(kind, user)
    if not tsquery or statement is None:
        return []  # only stop words, or nothing of this kind the user may see
    # 1. The newest matches the user may see, with their rank; 2. the best of them (here: they
    # are few); 3. only those read in full and headlined, by id.
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery if p == _QUERY_STANDIN else p for p in params])
        candidates = cursor.fetchall()
    best = sorted(candidates, key=lambda row: (-row[1], row[0]))[:limit]
    if not best:
        return []
    pending = [pk for pk, _rank in best]
    rows: dict[int, dict[str, Any]] = {}
    headlines: dict[tuple[int, str], str] = {}
    snippet_field: dict[int, str] = {}
    for field in spec.fields:
        # A snippet from the first field (in preference order) with a match: headlines one field
        # at a time, each only for the hits still without one (usually all found in the first).
        if not pending:
            break
        sql, params, columns = _snippets_statement(kind, field)
        ids = AnyOf.array(pending)
        values = [tsquery if p == _QUERY_STANDIN else ids if p == _IDS_PARAM else p for p in params]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            for *shown, headline in cursor.fetchall():
                row = rows.setdefault(shown[0], dict(zip(columns, shown, strict=True)))
                headlines[row["pk"], field] = headline
                if _START in headline:
                    snippet_field[row["pk"]] = field
        pending = [pk for pk in pending if pk not in snippet_field]
    hits = []
    for pk, rank in best:
        row = rows[pk]
        # No field with a match (the words were in no snippet field): the first non-empty one.
        field = snippet_field.get(pk) or next((f for f in spec.fields if row[f]), spec.title)
        language = row[spec.language_field] if field == "original_text" else "en"
        hits.append(
            Hit(
                kind=kind,
                id=pk,
                title=row[spec.title],
                snippet=_mark(headlines.get((pk, field)) or row[field]),
                rank=float(rank),
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
    """Ranked hits for `q` among what `user` may see: on PostgreSQL one query to parse `q`,
    then per kind one for the ranked candidates and, when there are some, one for the snippets
    (more only for hits whose preferred field has no match)."""
    # PostgreSQL refuses NUL in text, and a query needs no control characters at all.
    q = "".join(ch for ch in q if ch.isprintable()).strip()[:MAX_QUERY_LENGTH]
    if not q:
        return []
    if connection.vendor != "postgresql":
        hits = [
            hit for kind in kinds for hit in _fallback_hits(kind, _VISIBLE[kind](user), q, limit)
        ]
        return sorted(hits, key=lambda h: -h.rank)[:limit]
    # No transaction around these: each statement reads committed data under the visibility
    # rules it carries, and a BEGIN and COMMIT would be two more round trips per search.
    tsquery = _tsquery(q)
    hits = [hit for kind in kinds for hit in _postgres_hits(kind, user, tsquery, limit)]
    return sorted(hits, key=lambda h: -h.rank)[:limit]
