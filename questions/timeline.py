"""A chronology of events and evidence: for a question (with its sub-questions), a team, an actor,
or everything a user may see.

Entries come only from the visibility querysets, so a timeline never shows an item the user may
not see; an event lists only its visible evidence. Dates keep the precision the reporting gave
(`format_fuzzy`): "2023-10", "2006", "c. 2023-10-07". Undated items come last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Prefetch, Q, QuerySet

from evidence.choices import DatePrecision
from evidence.models import Actor, Event, Evidence
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


def case_questions(question: Question, user) -> QuerySet[Question]:
    """The question and its visible sub-questions: a key question's whole case."""
    return visibility.visible_questions(user).filter(Q(pk=question.pk) | Q(parent=question))


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
    """
    # A question's case or an actor concerns a few dozen of the 200,000 items: name them as
    # `among` (which also narrows to them), so that visibility checks those few item by item
    # instead of building the set of every item linked to a question the user may see (an
    # actor's page at 200,000 items: 1 s of database time -> a few ms).
    among = None
    if questions is not None:
        among = EvidenceLink.objects.filter(question__in=questions).values("evidence_id")
    elif actor is not None:
        among = Evidence.actors.through.objects.filter(actor=actor).values("evidence_id")
    evidence = visibility.visible_evidence(user, among=among)
    events = visibility.visible_events(user)
    if team is not None:
        evidence = evidence.filter(Q(owner_team=team) | Q(question_links__question__team=team))
    if actor is not None:
        if questions is not None:  # `among` names the questions' items: narrow to the actor's
            evidence = evidence.filter(actors=actor)
        events = events.filter(actors=actor)
    elif questions is not None or team is not None:
        events = events.filter(evidence__in=evidence.values("pk"))
    evidence = evidence.distinct().select_related("source").prefetch_related("actors")
    events = events.distinct().prefetch_related(
        "actors",
        Prefetch(
            "evidence",
            queryset=visibility.visible_evidence(user).select_related("source"),
            to_attr="visible_evidence",
        ),
    )
    entries = [
        TimelineEntry(
            "evidence",
            e.pk,
            e.summary,
            e.happened_on,
            e.happened_precision,
            e.happened_display,
            e,
            tuple(e.actors.all()),
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
            tuple(e.actors.all()),
            tuple(e.visible_evidence),
        )
        for e in events
    ]
    # Undated last; on one day, the event before the reporting about it.
    return sorted(
        entries, key=lambda x: (x.on is None, x.on or dt.date.min, x.kind != "event", x.id)
    )
