"""The case-file format: its sections, their fields, and every check that needs no database.

docs/casefile.md describes the same format for people; the two must agree. Field names are the
model field names; a reference names the key of another entry (`source: cnn`), never an id.
Scales come from evidence.choices and questions.choices, so a case file can hold only what the
database itself accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
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
from questions.casefile.errors import Issue
from questions.casefile.reader import InvalidDate, LocatedDict, LocatedList
from questions.choices import AchRating, Priority, Status
from questions.models import Hypothesis, Question

FORMAT_FIELD = "iqtrack_casefile"
FORMAT_VERSION = 1
MAX_TEXT_LENGTH = 50_000  # long free text; short fields take their limit from the model
KEY_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")  # Django's slug, what natural_key_field stores
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# Control characters other than tab and line breaks, UTF-16 surrogates and non-characters:
# invisible, break PostgreSQL (NUL) or terminals, and never part of honest text.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Bidirectional overrides make text display in another order than it is stored ("Trojan
# source"). Only an original-language excerpt may legitimately carry them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
IMPORTABLE_STATUSES = (Status.DRAFT.value, Status.OPEN.value)


def _shown(name: str) -> str:
    """A field name as it may appear in a message: odd ones escaped and cut short, so that a
    hostile name cannot flood or drive the terminal that prints the error."""
    if re.fullmatch(r"[-\w<>+.]{1,80}", name, flags=re.ASCII):
        return name
    return repr(name[:80]) + ("…" if len(name) > 80 else "")


class Bad(Exception):
    """A value does not fit its field; the message says what is wrong."""


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a yes/no value ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, InvalidDate):
        return f"an impossible date ({value.text})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


# ---------------------------------------------------------------------------------------------
# Field types
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    """Free text. `max_length` defaults to the model field's, else MAX_TEXT_LENGTH."""

    required: bool = False
    max_length: int = MAX_TEXT_LENGTH
    single_line: bool = False
    bidi_allowed: bool = False
    empty: Any = ""

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, bool | int | float | dt.date) else ""
            raise Bad(f"expected text, got {_kind_of(value)}{hint}")
        if self.required and not value.strip():
            raise Bad("must not be empty")
        if len(value) > self.max_length:
            raise Bad(f"is {len(value)} characters long; at most {self.max_length} are allowed")
        if bad := FORBIDDEN_CHARACTERS.search(value):
            raise Bad(f"contains the control character U+{ord(bad.group()):04X}")
        if not self.bidi_allowed and (bad := BIDI_CONTROLS.search(value)):
            raise Bad(f"contains the bidirectional control U+{ord(bad.group()):04X}")
        if self.single_line and ("\n" in value or "\r" in value):
            raise Bad("must be a single line")
        return value


@dataclass(frozen=True)
class Url(Text):
    """A web address: http or https only (no javascript: or file: links into the pages)."""

    def parse(self, value: Any) -> str:
        value = super().parse(value)
        if not value:
            return value
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise Bad("expected an http:// or https:// URL") from None
        return value


@dataclass(frozen=True)
class Key:
    """A natural key: what other entries use to refer to this one."""

    max_length: int = 80
    required: bool = True
    empty: Any = ""

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Bad(f"expected a key (letters, digits, - and _), got {_kind_of(value)}")
        if not KEY_PATTERN.fullmatch(value):
            raise Bad(f"{value[:100]!r} is not a key: use only letters, digits, - and _")
        if len(value) > self.max_length:
            raise Bad(f"is {len(value)} characters long; at most {self.max_length} are allowed")
        return value


@dataclass(frozen=True)
class Choice:
    """One value of a scale; `allowed` narrows the scale (questions: draft or open only)."""

    choices: type[models.Choices]
    required: bool = True
    allowed: tuple[Any, ...] = ()
    default: Any = ""
    why: str = ""

    @property
    def empty(self) -> Any:
        return self.default

    @property
    def values(self) -> tuple[Any, ...]:
        return self.allowed or tuple(self.choices.values)

    def parse(self, value: Any) -> Any:
        numeric = issubclass(self.choices, models.IntegerChoices)
        if isinstance(value, bool) or not isinstance(value, int if numeric else str):
            raise Bad(f"expected one of {self._listed()}, got {_kind_of(value)}")
        if value not in self.values:
            shown = repr(value[:100]) if isinstance(value, str) else value
            raise Bad(f"{shown} is not one of {self._listed()}{self.why}")
        return value

    def _listed(self) -> str:
        return ", ".join(str(value) for value in self.values)


@dataclass(frozen=True)
class Date:
    """A calendar day, written 2023-03-16 (in JSON: "2023-03-16")."""

    required: bool = False
    empty: Any = None

    def parse(self, value: Any) -> dt.date:
        if isinstance(value, str) and DATE_PATTERN.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise Bad(f"{value} is not a real date") from None
        if isinstance(value, InvalidDate):
            raise Bad(f"{value.text} is not a real date")
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise Bad(f"expected a date written YYYY-MM-DD, got {_kind_of(value)}")


@dataclass(frozen=True)
class Integer:
    low: int
    high: int
    required: bool = False
    empty: Any = None  # None: the entry's position in its list

    def parse(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Bad(f"expected a whole number, got {_kind_of(value)}")
        if not self.low <= value <= self.high:
            raise Bad(f"{value} is outside {self.low}–{self.high}")
        return value


@dataclass(frozen=True)
class Ref:
    """The key of an entry in another section (`section`) of the same file."""

    section: str
    required: bool = False
    empty: Any = None

    def parse(self, value: Any) -> str:
        return Key().parse(value)


@dataclass(frozen=True)
class Refs:
    """A list of keys of entries in `section`, each at most once."""

    section: str
    required: bool = False

    @property
    def empty(self) -> list[str]:
        return []

    def parse(self, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise Bad(f"expected a list of keys, got {_kind_of(value)}")
        keys = [Key().parse(item) for item in value]
        if duplicate := next((k for i, k in enumerate(keys) if k in keys[:i]), None):
            raise Bad(f"lists {duplicate!r} twice")
        return keys


@dataclass(frozen=True)
class Nested:
    """A list of entries that belong to their parent entry (a question's hypotheses)."""

    spec: Spec
    required: bool = False

    @property
    def empty(self) -> list:
        return []


FieldType = Text | Url | Key | Choice | Date | Integer | Ref | Refs | Nested


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
        "tlp": Choice(Tlp),
        "owner_team": Ref("teams"),
        "derived_from": Ref("evidence"),
        "actors": Refs("actors"),
        "notes": Text(),
    },
    rules=(_date_rules("happened", "reported"), _original_needs_language),
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
        "tlp": Choice(Tlp),
        "hypotheses": Nested(HYPOTHESIS),
        "evidence_links": Nested(EVIDENCE_LINK),
    },
)

# In dependency order: what a section refers to comes before it.
SECTIONS: tuple[Spec, ...] = (TEAM, SOURCE, ACTOR, EVIDENCE, EVENT, QUESTION)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
@dataclass
class Record:
    """One validated entry: model-ready values (references still as keys) and where it was."""

    spec: Spec
    path: str
    line: int | None
    values: dict[str, Any]
    places: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    ok: bool = True  # False when a field failed (the import is refused anyway)

    @property
    def key(self) -> str:
        return self.values[self.spec.key] if self.spec.key else ""

    def place(self, name: str) -> tuple[str, int | None]:
        return self.places.get(name, (f"{self.path}.{name}", self.line))


@dataclass
class CaseData:
    """A whole case file that passed validation: records by section name, in file order."""

    sections: dict[str, list[Record]]

    def __getitem__(self, name: str) -> list[Record]:
        return self.sections[name]

    def all_records(self) -> Iterable[Record]:
        for records in self.sections.values():
            for record in records:
                yield from _with_nested(record)

    def count(self) -> int:
        return sum(1 for _ in self.all_records())


def _with_nested(record: Record) -> Iterable[Record]:
    yield record
    for name, field_type in record.spec.fields.items():
        if isinstance(field_type, Nested):
            for child in record.values[name]:
                yield from _with_nested(child)


class _Validator:
    def __init__(self, file: Path) -> None:
        self.file = file
        self.issues: list[Issue] = []

    def error(self, line: int | None, where: str, what: str) -> None:
        self.issues.append(Issue(self.file, line, where, what))

    def mapping_problems(self, node: LocatedDict, path: str) -> None:
        for key, line, first_line in node.duplicates:
            also = f" (first on line {first_line})" if first_line else ""
            self.error(
                line, f"{path}.{_shown(key)}" if path else _shown(key), f"is given twice{also}"
            )
        for what, line in node.bad_keys:
            self.error(line, path or "top level", what)

    def document(self, tree: Any) -> CaseData | None:
        if not isinstance(tree, LocatedDict):
            self.error(getattr(tree, "line", 1), "top level", "expected a mapping of sections")
            return None
        self.mapping_problems(tree, "")
        allowed = [FORMAT_FIELD, *(spec.name for spec in SECTIONS)]
        for name in tree:
            if name not in allowed:
                self.error(
                    tree.line_of(name),
                    _shown(name),
                    f"unknown section (allowed: {', '.join(allowed)})",
                )
        version = tree.get(FORMAT_FIELD)
        if version != FORMAT_VERSION or isinstance(version, bool):
            what = "is missing" if FORMAT_FIELD not in tree else f"is {version!r}"
            self.error(
                tree.line_of(FORMAT_FIELD),
                FORMAT_FIELD,
                f"{what}; this iqtrack reads format {FORMAT_VERSION}",
            )
        sections = {}
        for spec in SECTIONS:
            value = tree.get(spec.name)
            if value is None:
                sections[spec.name] = []
                continue
            sections[spec.name] = self.entries(spec, value, spec.name, tree.line_of(spec.name))
        return CaseData(sections)

    def entries(self, spec: Spec, value: Any, path: str, line: int | None) -> list[Record]:
        if not isinstance(value, LocatedList):
            self.error(line, path, f"expected a list of entries, got {_kind_of(value)}")
            return []
        records = []
        for index, item in enumerate(value):
            record = self.entry(spec, item, f"{path}[{index}]", value.line_of(index), index)
            if record is not None:
                records.append(record)
        self.unique(spec, records)
        return records

    def entry(self, spec: Spec, node: Any, path: str, line: int | None, index: int):
        if not isinstance(node, LocatedDict):
            self.error(line, path, f"expected a mapping of fields, got {_kind_of(node)}")
            return None
        self.mapping_problems(node, path)
        line = node.line or line
        for name in node:
            if name not in spec.fields:
                self.error(
                    node.line_of(name),
                    f"{path}.{_shown(name)}",
                    f"unknown field (allowed: {', '.join(spec.fields)})",
                )
        # A field that fails keeps its empty value: the entry still counts for keys and
        # references, so one bad value does not also report every reference to the entry.
        record = Record(spec, path, line, {})
        for name, field_type in spec.fields.items():
            where, field_line = f"{path}.{name}", node.line_of(name)
            record.places[name] = (where, field_line)
            record.values[name] = field_type.empty
            if name not in node or (node[name] is None and not field_type.required):
                if field_type.required:
                    self.error(line, where, "is required")
                    record.ok = False
            elif isinstance(field_type, Nested):
                record.values[name] = self.entries(field_type.spec, node[name], where, field_line)
            else:
                try:
                    record.values[name] = field_type.parse(node[name])
                except Bad as bad:
                    self.error(field_line, where, str(bad))
                    record.ok = False
        if "position" in spec.fields and record.values["position"] is None:
            record.values["position"] = index
        for rule in spec.rules if record.ok else ():
            for name, what in rule(record.values):
                where, field_line = record.places[name]
                self.error(field_line, where, what)
        return record

    def unique(self, spec: Spec, records: list[Record]) -> None:
        name = spec.key or spec.unique_by
        seen: dict[Any, Record] = {}
        for record in records:
            value = record.values[name]
            if value in seen:
                where, line = record.place(name)
                self.error(line, where, f"{value!r} is already used by {seen[value].path}")
            else:
                seen[value] = record


def validate_tree(tree: Any, file: Path) -> tuple[CaseData | None, list[Issue]]:
    """Check types, required fields, scales, dates and keys; then references and cycles."""
    validator = _Validator(file)
    data = validator.document(tree)
    if data is not None:
        validator.issues.extend(check_references(data, file))
        validator.issues.extend(_unique_across_questions(data, file))
    return data, validator.issues


def _unique_across_questions(data: CaseData, file: Path) -> list[Issue]:
    """Hypothesis keys are unique in the database, not only within their question."""
    issues, seen = [], {}
    for question in data["questions"]:
        for hypothesis in question.values["hypotheses"]:
            if hypothesis.key in seen and seen[hypothesis.key] is not question:
                where, line = hypothesis.place("key")
                issues.append(Issue(file, line, where, f"{hypothesis.key!r} is already used"))
            seen.setdefault(hypothesis.key, question)
    return issues


def check_references(data: CaseData, file: Path) -> list[Issue]:
    keys = {spec.name: {r.key for r in data[spec.name]} for spec in SECTIONS}
    issues = []
    for record in data.all_records():
        for name, field_type in record.spec.fields.items():
            if not isinstance(field_type, Ref | Refs):
                continue
            value = record.values.get(name)
            wanted = value if isinstance(value, list) else [] if value is None else [value]
            for key in wanted:
                if key not in keys[field_type.section]:
                    where, line = record.place(name)
                    issues.append(
                        Issue(
                            file, line, where, f"no entry in {field_type.section} has key {key!r}"
                        )
                    )
    issues += _cycles(data["questions"], "parent", file)
    issues += _cycles(data["evidence"], "derived_from", file)
    return issues


def _cycles(records: list[Record], name: str, file: Path) -> list[Issue]:
    """One issue per loop in a parent-like reference (a question that is its own ancestor)."""
    by_key = {record.key: record for record in records}
    issues, reported = [], set()
    for record in records:
        chain, current = [], record
        while current is not None and current.key not in chain:
            chain.append(current.key)
            current = by_key.get(current.values[name])
        if current is None or current.key in reported:
            continue
        loop = chain[chain.index(current.key) :]
        reported.update(loop)
        where, line = current.place(name)
        issues.append(Issue(file, line, where, f"makes a loop: {' → '.join([*loop, loop[0]])}"))
    return issues
