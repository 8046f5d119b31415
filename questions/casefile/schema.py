"""The case-file format: its sections and their fields, in the order they are written.

docs/casefile.md describes the same format for people; the two must agree. Field names are the
model field names; a reference names the key of another entry (`source: cnn`), never an id.
Scales come from evidence.choices and questions.choices, so a case file can hold only what the
database itself accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from accounts.models import Team
from evidence.choices import (
    ActorKind,
    Corroboration,
    Credibility,
    DatePrecision,
    Language,
    Reliability,
    SourceKind,
    Tlp,
)
from evidence.models import Actor, Event, Evidence, Source
from questions.casefile.fields import (
    Choice,
    Date,
    FieldType,
    Integer,
    Key,
    Nested,
    Ref,
    Refs,
    Text,
    Url,
)
from questions.choices import AchRating, Priority, Status
from questions.markings import marking_errors
from questions.models import Hypothesis, Question

FORMAT_FIELD = "iqtrack_casefile"
FORMAT_VERSION = 1
IMPORTABLE_STATUSES = (Status.DRAFT.value, Status.OPEN.value)


def _max(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def _line_text(model: type[models.Model], name: str, *, required: bool = False) -> Text:
    return Text(required=required, max_length=_max(model, name), single_line=True)


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """One kind of entry: its fields in the order they are written, and its natural key."""

    name: str
    fields: dict[str, FieldType]
    key: str | None = "key"  # None: identified by `unique_by` within its parent
    unique_by: str | None = None
    rules: tuple[Callable[[dict[str, Any]], Iterable[tuple[str, str]]], ...] = ()


def _date_rules(*prefixes: str):
    def check(values: dict[str, Any]) -> Iterable[tuple[str, str]]:
        for prefix in prefixes:
            day, precision = values[f"{prefix}_on"], values[f"{prefix}_precision"]
            if day is None and precision:
                yield f"{prefix}_on", f"{prefix}_precision is set but the date itself is missing"
            elif day is not None and not precision:
                yield (
                    f"{prefix}_precision",
                    f"say how precise {prefix}_on is: day, month, year or approximate",
                )
            elif precision == DatePrecision.MONTH and day.day != 1:
                yield f"{prefix}_on", f"a month is written as its first day ({day:%Y-%m}-01)"
            elif precision == DatePrecision.YEAR and (day.month, day.day) != (1, 1):
                yield f"{prefix}_on", f"a year is written as its first day ({day.year}-01-01)"

    return check


def _original_needs_language(values: dict[str, Any]) -> Iterable[tuple[str, str]]:
    if values["original_text"] and not values["original_language"]:
        yield "original_language", "say which language original_text is in"


# A case file names no people, so it cannot carry a TLP:RED distribution: such an item is
# marked TLP:RED in iqtrack, where its recipients are named (questions.markings).
CASEFILE_TLP = tuple(t.value for t in Tlp if t != Tlp.RED)
_NO_RED = " (a case file names no people, so it cannot carry TLP:RED recipients: mark the item "
_NO_RED += "TLP:RED in iqtrack and name them there)"


def _marking(owning_team_field: str):
    """The marking rules of questions.markings, on the entry's values."""

    def check(values: dict[str, Any]) -> Iterable[tuple[str, str]]:
        errors = marking_errors(
            tlp=values["tlp"],
            actor=None,
            shared_with=values.get("shared_with", ()),
            owning_team=values[owning_team_field],
            owning_team_field=owning_team_field,
        )
        for field, messages in errors.items():
            yield field, " ".join(messages)

    return check


def _not_affiliated_with_itself(values: dict[str, Any]) -> Iterable[tuple[str, str]]:
    if values["key"] in values["affiliated_with"]:
        yield "affiliated_with", "an actor cannot be affiliated with itself"


def _fuzzy_date(model: type[models.Model], prefix: str) -> dict[str, FieldType]:
    return {
        f"{prefix}_text": _line_text(model, f"{prefix}_text"),
        f"{prefix}_on": Date(),
        f"{prefix}_precision": Choice(DatePrecision, required=False),
    }


TEAM = Spec(
    "teams",
    key="slug",
    fields={
        "slug": Key(max_length=_max(Team, "slug")),
        "name": _line_text(Team, "name", required=True),
        "description": Text(),
    },
)

SOURCE = Spec(
    "sources",
    fields={
        "key": Key(),
        "name": _line_text(Source, "name", required=True),
        "kind": Choice(SourceKind),
        "url": Url(max_length=_max(Source, "url"), single_line=True),
        "language": Choice(Language, required=False),
        "reliability": Choice(Reliability),
        "description": Text(),
    },
)

ACTOR = Spec(
    "actors",
    fields={
        "key": Key(),
        "name": _line_text(Actor, "name", required=True),
        "kind": Choice(ActorKind),
        "affiliation": _line_text(Actor, "affiliation"),
        "affiliated_with": Refs("actors"),
        "description": Text(),
    },
    rules=(_not_affiliated_with_itself,),
)

EVIDENCE = Spec(
    "evidence",
    fields={
        "key": Key(),
        "source": Ref("sources", required=True),
        "summary": Text(required=True),
        "original_text": Text(bidi_allowed=True),
        "original_language": Choice(Language, required=False),
        "translation": Text(),
        **_fuzzy_date(Evidence, "happened"),
        **_fuzzy_date(Evidence, "reported"),
        "credibility": Choice(Credibility),
        "corroboration": Choice(Corroboration),
        "tlp": Choice(Tlp, allowed=CASEFILE_TLP, why=_NO_RED),
        "owner_team": Ref("teams"),
        "derived_from": Ref("evidence"),
        "actors": Refs("actors"),
        "notes": Text(),
    },
    rules=(_date_rules("happened", "reported"), _original_needs_language, _marking("owner_team")),
)

EVENT = Spec(
    "events",
    fields={
        "key": Key(),
        "title": _line_text(Event, "title", required=True),
        "description": Text(),
        **_fuzzy_date(Event, "happened"),
        "place": _line_text(Event, "place"),
        "actors": Refs("actors"),
        "evidence": Refs("evidence"),
    },
    rules=(_date_rules("happened"),),
)

RATING = Spec(
    "ratings",
    key=None,
    unique_by="evidence",
    fields={
        "evidence": Ref("evidence", required=True),
        "rating": Choice(AchRating),
        "note": Text(),
    },
)

HYPOTHESIS = Spec(
    "hypotheses",
    fields={
        "key": Key(),
        "title": _line_text(Hypothesis, "title", required=True),
        "description": Text(),
        "position": Integer(0, 32767),
        "ratings": Nested(RATING),
    },
)

EVIDENCE_LINK = Spec(
    "evidence_links",
    key=None,
    unique_by="evidence",
    fields={"evidence": Ref("evidence", required=True), "relevance": Text()},
)

QUESTION = Spec(
    "questions",
    fields={
        "key": Key(),
        "title": _line_text(Question, "title", required=True),
        "body": Text(),
        "parent": Ref("questions"),
        "team": Ref("teams", required=True),
        "priority": Choice(Priority, required=False, default=Priority.MEDIUM.value),
        "status": Choice(
            Status,
            allowed=IMPORTABLE_STATUSES,
            why=" (a case file carries no workflow state beyond draft or open)",
        ),
        "tlp": Choice(Tlp, allowed=CASEFILE_TLP, why=_NO_RED),
        "shared_with": Refs("teams"),
        "hypotheses": Nested(HYPOTHESIS),
        "evidence_links": Nested(EVIDENCE_LINK),
    },
    rules=(_marking("team"),),
)

# In dependency order: what a section refers to comes before it.
SECTIONS: tuple[Spec, ...] = (TEAM, SOURCE, ACTOR, EVIDENCE, EVENT, QUESTION)
