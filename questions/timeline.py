"""A chronology of events and evidence: for a question (with its sub-questions), a team, an actor,
or everything a user may see.

Entries come only from the visibility querysets, so a timeline never shows an item the user may
not see; an event lists only its visible evidence. Dates keep the precision the reporting gave
(`format_fuzzy`): "2023-10", "2006", "c. 2023-10-07". Undated items come last.

A case's or an actor's timeline is read whole (`timeline`): tens or hundreds of entries. A team's,
or everything a user may see, runs to hundreds of thousands at a national team's scale, so it is
read a page at a time (`timeline_page`): the PAGE_SIZE entries after (or before) a position in
the timeline's order, each source walked in that order from the position and stopped once it has
enough (the evidence's `(happened_on, id)` index), never read whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Prefetch, Q, QuerySet

from evidence.choices import DatePrecision
from evidence.models import ROW_UNREAD, Actor, Event, Evidence
from questions import visibility
from questions.models import EvidenceLink, Question

Kind = Literal["event", "evidence"]


@dataclass(frozen=True)
class TimelineEntry:
    kind: Kind
    id: int
    title: str
    on: dt.date | None  # earliest day the reporting allows, for ordering
    precision: str  # evidence.choices.DatePrecision, "" when undated
    display: str  # the date as precise as the reporting, e.g. "2023-10" or "c. 2023-10-07"
    item: Event | Evidence = field(compare=False, repr=False)
    actors: tuple[Actor, ...] = field(default=(), compare=False, repr=False)
    evidence: tuple[Evidence, ...] = field(default=(), compare=False, repr=False)  # of an event

    @property
    def approximate(self) -> bool:
        return self.on is not None and self.precision == DatePrecision.APPROXIMATE

    @property
    def position(self) -> Position:
        return Position(self.on, self.kind, self.id)


@dataclass(frozen=True)
class Position:
    """Where an entry sits in a timeline's order: by date, undated last; on one day the event
    before the reporting about it; then by id. As a token (`?after=` / `?before=` of the team
    timeline): "2023-10-07.event.12" or "undated.evidence.40"."""

    on: dt.date | None
    kind: Kind
    id: int

    @property
    def key(self) -> tuple:
        return (self.on is None, self.on or dt.date.min, self.kind != "event", self.id)

    @property
    def token(self) -> str:
        return f"{self.on.isoformat() if self.on else 'undated'}.{self.kind}.{self.id}"

    @classmethod
    def parse(cls, token: str) -> Position:
        """The position a token names; ValueError if it names none."""
        on, kind, pk = token.split(".")  # ValueError unless three parts
        # An id past PostgreSQL's bigint would fail the query, not just find nothing.
        if kind not in ("event", "evidence") or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
            raise ValueError(token)
        day = None if on == "undated" else dt.date.fromisoformat(on)
        return cls(day, kind, int(pk))

    @classmethod
    def start_of(cls, day: dt.date) -> Position:
        """Just before everything on `day`: the page after it begins with that day."""
        return cls(day, "event", 0)


# Entries per page of a team's timeline (or of everything a user may see).
PAGE_SIZE = 100
# What an entry shows of an actor it names.
ENTRY_ACTOR_COLUMNS = ("id", "key", "name", "kind")


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    earlier: Position | None  # the first entry's, when there is something before it
    later: Position | None  # the last entry's, when there is something after it


def case_questions(question: Question, user) -> QuerySet[Question]:
    """The question and its visible sub-questions: a key question's whole case."""
    return visibility.visible_questions(user).filter(Q(pk=question.pk) | Q(parent=question))


def _sources(
    user,
    *,
    questions: QuerySet[Question] | None = None,
    team=None,
    actor: Actor | None = None,
    walked: bool = False,
) -> tuple[QuerySet[Evidence], QuerySet[Event]]:
    """The visible evidence and events of a timeline's scope (see `timeline`), unordered.

    The scope narrows by subqueries, not joins, so no row comes twice and nothing needs
    DISTINCT (which, over every visible item, cost the team timeline seconds). `walked`: for a
    walk in date order that stops after a page, each item's visibility is checked as it is read
    (visible_evidence_of); otherwise the scope's items are checked as one set (visible_evidence
    with `among`)."""
    candidates = Evidence.objects.all()
    links = EvidenceLink.objects.values("evidence_id")
    if questions is not None:
        candidates = candidates.filter(pk__in=links.filter(question__in=questions))
    if team is not None:
        candidates = candidates.filter(
            Q(owner_team=team) | Q(pk__in=links.filter(question__team=team))
        )
    if actor is not None:
        appearances = Evidence.actors.through.objects.filter(actor=actor).values("evidence_id")
        candidates = candidates.filter(pk__in=appearances)
    if walked:
        evidence = visibility.visible_evidence_of(user, candidates)
    elif candidates.query.has_filters():
        evidence = visibility.visible_evidence(user, among=candidates.values("pk"))
    else:
        evidence = visibility.visible_evidence(user)
    events = visibility.visible_events(user)
    if actor is not None:
        events = events.filter(actors=actor)
    elif questions is not None or team is not None:
        reported = Event.evidence.through.objects.filter(evidence__in=evidence.values("pk"))
        events = events.filter(pk__in=reported.values("event_id"))
    return evidence, events


def _readable(
    user, evidence: QuerySet[Evidence], events: QuerySet[Event]
) -> tuple[QuerySet[Evidence], QuerySet[Event]]:
    """These rows read with what an entry shows of them: a source, actors, an event's visible
    evidence."""
    # Actors as plain lists (to_attr): a prefetch into the related manager builds two managers
    # and a queryset per row, work that drawing a page of 100 entries does not need.
    # Only the columns an entry shows (questions/templatetags/chronology_ui.py and the API's
    # TimelineEntrySerializer), not an item's long texts, an event's description or an
    # actor's: the timeline of everything's item query took 4.4 ms with them, 3.6 without.
    actors = Prefetch(
        "actors", queryset=Actor.objects.only(*ENTRY_ACTOR_COLUMNS), to_attr="actor_list"
    )
    evidence = evidence.select_related("source").defer(*ROW_UNREAD).prefetch_related(actors)
    events = events.defer("description").prefetch_related(
        actors,
        Prefetch(
            "evidence",
            queryset=visibility.visible_evidence(user).only("id", "summary"),
            to_attr="visible_evidence",
        ),
    )
    return evidence, events


def _entries(evidence: Iterable[Evidence], events: Iterable[Event]) -> list[TimelineEntry]:
    """Entries for these rows (read by `_readable`), in timeline order."""
    entries = [
        TimelineEntry(
            "evidence",
            e.pk,
            e.summary,
            e.happened_on,
            e.happened_precision,
            e.happened_display,
            e,
            tuple(e.actor_list),
        )
        for e in evidence
    ] + [
        TimelineEntry(
            "event",
            e.pk,
            e.title,
            e.happened_on,
            e.happened_precision,
            e.happened_display,
            e,
            tuple(e.actor_list),
            tuple(e.visible_evidence),
        )
        for e in events
    ]
    return sorted(entries, key=lambda entry: entry.position.key)


def timeline(
    user,
    *,
    questions: QuerySet[Question] | None = None,
    team=None,
    actor: Actor | None = None,
) -> list[TimelineEntry]:
    """Visible evidence and events, oldest first, narrowed to what concerns the given scope.

    - `questions`: evidence linked to them, and the events that evidence reports;
    - `team`: evidence recorded by the team or linked to its questions, and their events;
    - `actor`: evidence and events the actor appears in;
    - nothing: everything the user may see.

    Whole: for a case or an actor. A team's or everything is read by `timeline_page`.
    """
    sources = _sources(user, questions=questions, team=team, actor=actor)
    return _entries(*_readable(user, *sources))


def _beyond(position: Position | None, kind: Kind, later: bool) -> tuple[Q | None, Q | None]:
    """The rows of one source (`kind`) that come after `position` in timeline order (`later`),
    or before it, as two conditions: on its dated rows and on its undated ones (None: none of
    them). Apart, each is a range the date index can walk; ORed, PostgreSQL read the index from
    its start and filtered every row before the position (seconds for a recent day)."""
    if position is None:  # from the start (or the end)
        return Q(happened_on__isnull=False), Q(happened_on__isnull=True)
    undated, day, rank, pk = position.key
    mine = kind != "event"  # the rank of this kind on one day: events first
    if undated:
        if later:  # nothing dated comes after an undated position
            if mine == rank:
                return None, Q(happened_on__isnull=True, pk__gt=pk)
            return None, Q(happened_on__isnull=True) if mine > rank else None
        # every dated row comes before an undated position
        if mine == rank:
            return Q(happened_on__isnull=False), Q(happened_on__isnull=True, pk__lt=pk)
        return Q(happened_on__isnull=False), None if mine > rank else Q(happened_on__isnull=True)
    if later:
        if mine == rank:
            dated = Q(happened_on__gte=day) & (Q(happened_on__gt=day) | Q(pk__gt=pk))
        else:
            dated = Q(happened_on__gte=day) if mine > rank else Q(happened_on__gt=day)
        return dated, Q(happened_on__isnull=True)
    if mine == rank:
        dated = Q(happened_on__lte=day) & (Q(happened_on__lt=day) | Q(pk__lt=pk))
    else:
        dated = Q(happened_on__lt=day) if mine > rank else Q(happened_on__lte=day)
    return dated, None


def _walk(rows: QuerySet, kind: Kind, position: Position | None, later: bool, count: int) -> list:
    """The first `count` rows of one source from `position` on, in the direction of reading
    (oldest first when `later`): walks in the (happened_on, id) order that stop there — the
    dated rows and the undated ones, which come last, each a walk of its own."""
    dated, undated = _beyond(position, kind, later)
    parts = [(dated, "happened_on"), (undated, None)]
    found: list = []
    for condition, day in parts if later else parts[::-1]:
        if condition is None or len(found) >= count:
            continue
        order = [day, "pk"] if day else ["pk"]
        if not later:
            order = [f"-{name}" for name in order]
        found += rows.filter(condition).order_by(*order)[: count - len(found)]
    return found


def timeline_page(
    user,
    *,
    team=None,
    after: Position | None = None,
    before: Position | None = None,
    size: int | None = None,
) -> TimelinePage:
    """`size` entries of the timeline of `team` (or of everything `user` may see): the first
    ones, those after `after`, or those just before `before` (a page back), oldest first, with
    the positions that lead to the pages around it (None where there is nothing more)."""
    size = size or PAGE_SIZE
    bare = _sources(user, team=team, walked=True)
    evidence, events = _readable(user, *bare)
    later = before is None
    position = after if later else before
    # One more than a page from each source: enough to tell whether another page follows.
    sources = ((evidence, "evidence"), (events, "event"))
    pages = [_walk(rows, kind, position, later, size + 1) for rows, kind in sources]
    entries = _entries(*pages)
    more = len(entries) > size
    if later:
        entries = entries[:size]
        earlier = None
        if entries and position is not None:
            # From a date, or an entry since deleted or out of sight: is anything before it?
            first = entries[0].position
            probes = zip(bare, ("evidence", "event"), strict=True)
            if any(_walk(rows.values("pk"), kind, first, False, 1) for rows, kind in probes):
                earlier = first
        return TimelinePage(entries, earlier, entries[-1].position if more else None)
    entries = entries[-size:]
    return TimelinePage(
        entries,
        entries[0].position if more else None,
        entries[-1].position if entries else None,
    )
