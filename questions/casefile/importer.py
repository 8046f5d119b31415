"""Import a case file: validate all of it, then write all of it in one transaction.

Entries are matched on their natural key (`key`, a team's `slug`): a new key creates, a known
key updates the fields that differ, and nothing else is touched. Import never deletes: not
entries missing from the file, not relations (an actor on an event) that the file does not list.
So importing the same file twice changes nothing and writes no history, and importing an extract
of a case back into the database it came from is harmless.

django-simple-history records each creation and change, with the file named as the reason: a
change goes through the model's save() (or a related manager's add()); new entries of a section
are inserted in batches, their relations with them, and their creation records (with the
relations they were created with) written in one batch too — per-row saves made a 10,000-item
file take half a minute (bench/RESULTS.md).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from tqdm import tqdm

from accounts.models import Team
from evidence.models import Actor, Event, Evidence, Source
from questions.casefile.errors import CasefileError, Issue
from questions.casefile.fields import Nested, Ref, Refs
from questions.casefile.reader import read_document
from questions.casefile.validation import CaseData, Record, validate_tree
from questions.models import EvidenceLink, Hypothesis, HypothesisRating, Question

# Below this many entries the import is over before a progress bar would tell anything.
PROGRESS_THRESHOLD = 500
# New entries are inserted this many at a time.
BATCH_SIZE = 1000

MODELS: dict[str, type[models.Model]] = {
    "teams": Team,
    "sources": Source,
    "actors": Actor,
    "evidence": Evidence,
    "events": Event,
    "questions": Question,
    "hypotheses": Hypothesis,
}
KINDS = (*MODELS, "evidence_links", "ratings")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """What an import did: the teams the file names, and per kind what was created or changed."""

    path: Path
    teams: list[str] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=lambda: {kind: Counts() for kind in KINDS})

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{kind}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
            for kind, c in self.counts.items()
        ]


def load_casefile(path: Path) -> CaseData:
    """Read and validate a case file without touching the database, or raise CasefileError."""
    tree, issues = read_document(path)
    if issues:
        raise CasefileError(issues)
    data, issues = validate_tree(tree, path)
    if issues or data is None:
        raise CasefileError(issues)
    return data


def import_casefile(path: Path, *, progress: bool = False) -> ImportReport:
    """Import the case file at `path`; on any problem raise CasefileError and write nothing."""
    path = Path(path)
    data = load_casefile(path)
    total = data.count()
    bar = tqdm(
        total=total,
        desc=f"importing {path.name}",
        unit=" entries",
        file=sys.stderr,
        disable=not progress or total < PROGRESS_THRESHOLD,
    )
    try:
        with bar, transaction.atomic():
            issues = check_against_database(data, path)
            if issues:
                raise CasefileError(issues)
            return _Writer(data, path, bar).write()
    except DatabaseError as exc:
        # Validation should have caught it; if the database still refuses, say so plainly.
        raise CasefileError([Issue(path, None, "database", f"refused the import: {exc}")]) from exc


def check_against_database(data: CaseData, path: Path) -> list[Issue]:
    """Conflicts with what is already stored that an update-by-key would turn into damage."""
    issues = []
    names = {r.values["name"]: r for r in data["teams"]}
    for name, slug in Team.objects.filter(name__in=names).values_list("name", "slug"):
        record = names[name]
        if slug != record.key:
            where, line = record.place("name")
            issues.append(Issue(path, line, where, f"team {slug!r} already has this name"))
    hypotheses = {h.key: (h, q.key) for q in data["questions"] for h in q.values["hypotheses"]}
    stored = Hypothesis.objects.filter(key__in=hypotheses).values_list("key", "question__key")
    for key, question_key in stored:
        record, wanted = hypotheses[key]
        if question_key != wanted:
            where, line = record.place("key")
            issues.append(
                Issue(path, line, where, f"belongs to question {question_key!r}; it cannot move")
            )
    return issues


def _current_relations(model: type[models.Model], pks: list[int]) -> dict[int, dict[str, set[int]]]:
    """For each stored object, the ids in each of its many-to-many relations (one query each)."""
    current: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for relation in model._meta.many_to_many:
        if not pks:
            break
        source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        rows = relation.remote_field.through.objects.filter(**{f"{source}_id__in": pks})
        for owner, related in rows.values_list(f"{source}_id", f"{target}_id"):
            current[owner][relation.name].add(related)
    return current


def _parent_first(records: list[Record], name: str) -> list[Record]:
    """Records ordered so that the one referred to by `name` is written first (no loops here)."""
    by_key = {record.key: record for record in records}
    ordered: list[Record] = []
    seen: set[str] = set()
    for record in records:
        chain = []
        while record is not None and record.key not in seen:
            chain.append(record)
            seen.add(record.key)
            record = by_key.get(record.values[name])
        ordered.extend(reversed(chain))
    return ordered


class _Writer:
    def __init__(self, data: CaseData, path: Path, bar: tqdm) -> None:
        self.data = data
        self.bar = bar
        self.reason = f"case file {path.name}"
        self.ids: dict[str, dict[str, int]] = defaultdict(dict)
        self.report = ImportReport(path, teams=[r.key for r in data["teams"]])

    def write(self) -> ImportReport:
        self.section("teams", self.data["teams"], lookup="slug")
        self.section("sources", self.data["sources"])
        self.section("actors", self.data["actors"])
        self.section("evidence", _parent_first(self.data["evidence"], "derived_from"))
        self.section("events", self.data["events"])
        questions = _parent_first(self.data["questions"], "parent")
        self.section("questions", questions)
        for question in questions:
            question_id = self.ids["questions"][question.key]
            self.section(
                "hypotheses", question.values["hypotheses"], extra={"question_id": question_id}
            )
            self.pairs("evidence_links", EvidenceLink, "question_id", question_id, question)
        for question in questions:
            for hypothesis in question.values["hypotheses"]:
                hypothesis_id = self.ids["hypotheses"][hypothesis.key]
                self.pairs("ratings", HypothesisRating, "hypothesis_id", hypothesis_id, hypothesis)
        return self.report

    # -- entries with a natural key ---------------------------------------------------------
    def section(
        self,
        kind: str,
        records: list[Record],
        *,
        lookup: str = "key",
        extra: dict[str, Any] | None = None,
    ) -> None:
        model = MODELS[kind]
        existing = model.objects.in_bulk([r.key for r in records], field_name=lookup)
        current = _current_relations(model, [obj.pk for obj in existing.values()])
        saved: list[tuple[Record, models.Model, str]] = []
        new: list[tuple[Record, models.Model]] = []
        pending: dict[str, models.Model] = {}  # new entries not yet inserted, by key
        for record in records:
            # An entry that refers to a pending one of its own section (an item derived from
            # an item further up) needs that one's id: insert what is pending first.
            if len(pending) >= BATCH_SIZE or any(
                isinstance(field_type, Ref)
                and field_type.section == kind
                and record.values[name] in pending
                for name, field_type in record.spec.fields.items()
            ):
                self.insert(kind, pending)
            if record.key in existing:
                values = self.columns(record) | (extra or {})
                obj, state = self.save(kind, model, existing[record.key], values)
                self.ids[kind][record.key] = obj.pk
                saved.append((record, obj, state))
                continue
            obj = model(**(self.columns(record) | (extra or {})))
            if kind == "questions":
                obj.status_changed_at = timezone.now()
            obj._change_reason = self.reason
            pending[record.key] = obj
            new.append((record, obj))
        self.insert(kind, pending)
        # Relations are added once the whole section exists: an actor's affiliations may name
        # actors further down the file.
        for record, obj, state in saved:
            added = self.relate(obj, self.relations(record), current.get(obj.pk, {}))
            self.count(kind, "updated" if added and state == "unchanged" else state)
        self.created(kind, model, new)

    # -- new entries, in batches ------------------------------------------------------------
    def insert(self, kind: str, pending: dict[str, models.Model]) -> None:
        """Insert the pending new entries in one statement and learn their ids."""
        if not pending:
            return
        objs = list(pending.values())
        type(objs[0]).objects.bulk_create(objs)
        for key, obj in pending.items():
            self.ids[kind][key] = obj.pk
        pending.clear()

    def created(self, kind: str, model, new: list[tuple[Record, models.Model]]) -> None:
        """The new entries' relations, then their creation records (relations included)."""
        if not new:
            return
        rows: dict[str, list[models.Model]] = defaultdict(list)
        for record, obj in new:
            for name, ids in self.relations(record).items():
                relation = model._meta.get_field(name)
                through = relation.remote_field.through
                source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
                rows[name] += [
                    through(**{f"{source}_id": obj.pk, f"{target}_id": pk})
                    for pk in dict.fromkeys(ids)
                ]
        made = {
            name: type(items[0]).objects.bulk_create(items, batch_size=BATCH_SIZE)
            for name, items in rows.items()
            if items
        }
        if hasattr(model, "history"):  # teams keep no history
            objs = [obj for _, obj in new]
            history = model.history.bulk_history_create(objs, batch_size=BATCH_SIZE)
            self.record_relations(model, history, made)
        for _ in new:
            self.count(kind, "created")

    def record_relations(self, model, history: list, made: dict[str, list]) -> None:
        """What django-simple-history's m2m tracking writes with a record: the relation rows
        as they stood, in the relation's historical table."""
        record_of = {row.id: row for row in history}  # a historical row keeps its object's id
        for relation in getattr(model.history.model, "_history_m2m_fields", []):
            through_rows = made.get(relation.name, [])
            if not through_rows:
                continue
            historical = HistoricalRecords.m2m_models[relation]
            source = relation.m2m_field_name()
            names = [f.attname for f in through_rows[0]._meta.fields]
            historical.objects.bulk_create(
                [
                    historical(
                        history=record_of[getattr(row, f"{source}_id")],
                        **{name: getattr(row, name) for name in names},
                    )
                    for row in through_rows
                ],
                batch_size=BATCH_SIZE,
            )

    def columns(self, record: Record) -> dict[str, Any]:
        """Model-ready column values: references become the ids of entries already written."""
        values: dict[str, Any] = {}
        for name, field_type in record.spec.fields.items():
            value = record.values[name]
            if isinstance(field_type, Ref):
                values[f"{name}_id"] = self.ids[field_type.section][value] if value else None
            elif not isinstance(field_type, Refs | Nested):
                values[name] = value
        return values

    def relations(self, record: Record) -> dict[str, list[int]]:
        """The many-to-many relations as lists of ids."""
        return {
            name: [self.ids[field_type.section][key] for key in record.values[name]]
            for name, field_type in record.spec.fields.items()
            if isinstance(field_type, Refs)
        }

    def save(self, kind, model, obj, values: dict[str, Any]) -> tuple[models.Model, str]:
        if obj is None:
            obj = model(**values)
            if kind == "questions":
                obj.status_changed_at = timezone.now()
            obj._change_reason = self.reason
            obj.save()
            return obj, "created"
        if kind == "questions":
            # The workflow owns the status of a question that exists: import never moves it.
            values = {k: v for k, v in values.items() if k != "status"}
        changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
        if not changed:
            return obj, "unchanged"
        for name, value in changed.items():
            setattr(obj, name, value)
        obj._change_reason = self.reason
        obj.save()
        return obj, "updated"

    def relate(self, obj, relations: dict[str, list[int]], have: dict[str, set[int]]) -> bool:
        """Add the related ids the object lacks; never remove any. True if it added some."""
        added = False
        for name, ids in relations.items():
            missing = [pk for pk in ids if pk not in have.get(name, set())]
            if missing:
                obj._change_reason = self.reason
                getattr(obj, name).add(*missing)
                added = True
        return added

    # -- entries identified by a pair (a question's evidence links, a hypothesis's ratings) --
    def pairs(self, kind, model, owner_field: str, owner_id: int, owner: Record) -> None:
        existing = {
            item.evidence_id: item for item in model.objects.filter(**{owner_field: owner_id})
        }
        for record in owner.values[kind]:
            values = self.columns(record) | {owner_field: owner_id}
            _, state = self.save(kind, model, existing.get(values["evidence_id"]), values)
            self.count(kind, state)

    def count(self, kind: str, state: str) -> None:
        counts = self.report.counts[kind]
        if state == "created":
            counts.created += 1
        elif state == "updated":
            counts.updated += 1
        else:
            counts.unchanged += 1
        self.bar.update(1)
