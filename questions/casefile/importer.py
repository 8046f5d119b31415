"""Import a case file: validate all of it, then write all of it in one transaction.

Entries are matched on their natural key (`key`, a team's `slug`): a new key creates, a known
key updates the fields that differ, and nothing else is touched. Import never deletes: not
entries missing from the file, not relations (an actor on an event) that the file does not list.
So importing the same file twice changes nothing and writes no history, and importing an extract
of a case back into the database it came from is harmless.

django-simple-history records each creation and change, with the file named as the reason: a
change goes through the model's save() (or a related manager's add()), so that its history and
signals are those of any edit. New entries, links and ratings are written by kind, as plain rows
in batches (questions/casefile/rows.py): the entries, their relations, then their creation
records (with the relations they were created with), what simple-history would write on save().
Lookups are by set, one query per kind, so the queries do not grow with the items; per-row
saves made a 10,000-item file take half a minute, and bulk_create's model instances still
seconds (bench/RESULTS.md).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from tqdm import tqdm

from accounts.models import Team
from evidence.models import Actor, Event, Evidence, Source
from questions.casefile.errors import CasefileError, Issue
from questions.casefile.fields import Nested, Ref, Refs
from questions.casefile.reader import read_document
from questions.casefile.rows import in_bulk, insert_copies, insert_rows
from questions.casefile.validation import CaseData, Record, validate_tree
from questions.casefile.vectors import SearchVectors, has_vector
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
# The sections with entries of their own, in the order _Writer.write() writes them.
_SECTION_ORDER = ("teams", "sources", "actors", "evidence", "events", "questions")


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
    vectors = SearchVectors() if connection.vendor == "postgresql" else None
    try:
        if vectors:
            for kind in _SECTION_ORDER:  # the order they are written in
                if has_vector(MODELS[kind]):
                    vectors.start(MODELS[kind], data[kind])
        with bar, transaction.atomic():
            issues = check_against_database(data, path)
            if issues:
                raise CasefileError(issues)
            return _Writer(data, path, bar, vectors).write()
    except DatabaseError as exc:
        # Validation should have caught it; if the database still refuses, say so plainly.
        raise CasefileError([Issue(path, None, "database", f"refused the import: {exc}")]) from exc
    finally:
        if vectors:
            vectors.close()


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
    def __init__(
        self, data: CaseData, path: Path, bar: tqdm, vectors: SearchVectors | None = None
    ) -> None:
        self.data = data
        self.vectors = vectors
        self.bar = bar
        self.reason = f"case file {path.name}"
        # One instant for what the import creates: created_at, updated_at, the history records
        # (on SQLite, bulk_create sets the timestamps itself).
        self.now = timezone.now()
        self.ids: dict[str, dict[str, int]] = defaultdict(dict)
        self.report = ImportReport(path, teams=[r.key for r in data["teams"]])

    def write(self) -> ImportReport:
        if self.vectors:
            self.vectors.give_on_this_transaction()
        self.section("teams", self.data["teams"], lookup="slug")
        self.section("sources", self.data["sources"])
        self.section("actors", self.data["actors"])
        self.section("evidence", _parent_first(self.data["evidence"], "derived_from"))
        self.section("events", self.data["events"])
        questions = _parent_first(self.data["questions"], "parent")
        self.section("questions", questions)
        question_of = {
            hypothesis.key: {"question_id": self.ids["questions"][question.key]}
            for question in questions
            for hypothesis in question.values["hypotheses"]
        }
        hypotheses = [h for q in questions for h in q.values["hypotheses"]]
        self.section("hypotheses", hypotheses, extra=question_of)
        self.pairs("evidence_links", EvidenceLink, "question_id", questions)
        self.pairs("ratings", HypothesisRating, "hypothesis_id", hypotheses)
        return self.report

    # -- entries with a natural key ---------------------------------------------------------
    def section(
        self,
        kind: str,
        records: list[Record],
        *,
        lookup: str = "key",
        extra: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Create or update the entries of one kind; `extra` holds columns the file gives
        elsewhere, by entry key (a hypothesis's question)."""
        model = MODELS[kind]
        existing = in_bulk(model, lookup, [r.key for r in records])
        current = _current_relations(model, [obj.pk for obj in existing.values()])
        saved: list[tuple[Record, models.Model, str]] = []
        new: list[Record] = []
        pending: dict[str, dict[str, Any]] = {}  # new entries' rows not yet inserted, by key
        rows: dict[str, dict[str, Any]] = {}  # every new entry's row, by key
        own = [  # references to entries of this same section (an item derived from an item)
            name
            for name, field_type in (records[0].spec.fields.items() if records else ())
            if isinstance(field_type, Ref) and field_type.section == kind
        ]
        for record in records:
            # An entry that refers to a pending one of its own section (an item derived from
            # an item further up) needs that one's id: insert what is pending first.
            if len(pending) >= BATCH_SIZE or any(record.values[name] in pending for name in own):
                self.insert(kind, model, lookup, pending)
            values = self.columns(record) | (extra or {}).get(record.key, {})
            if record.key in existing:
                obj, state = self.update(kind, existing[record.key], values)
                self.ids[kind][record.key] = obj.pk
                saved.append((record, obj, state))
                continue
            if kind == "questions":
                values["status_changed_at"] = self.now
            pending[record.key] = rows[record.key] = values
            new.append(record)
        self.insert(kind, model, lookup, pending)
        # Relations are added once the whole section exists: an actor's affiliations may name
        # actors further down the file.
        for record, obj, state in saved:
            added = self.relate(obj, self.relations(record), current.get(obj.pk, {}))
            self.count(kind, "updated" if added and state == "unchanged" else state)
        self.created(kind, model, [(record, rows[record.key]) for record in new])

    # -- new entries, in batches ------------------------------------------------------------
    def insert(self, kind: str, model, lookup: str, pending: dict[str, dict[str, Any]]) -> None:
        """Insert the pending new entries in one statement and learn their ids."""
        if not pending:
            return
        given = bool(self.vectors) and has_vector(model)
        if given:
            for key, row in pending.items():
                row["search_vector"] = self.vectors.given(model, key)
        returned = insert_rows(
            model,
            list(pending.values()),
            now=self.now,
            returning=("id", lookup),
            search_vector=given,
        )
        for pk, key in returned:
            self.ids[kind][key] = pending[key]["id"] = pk
        pending.clear()

    def created(self, kind: str, model, new: list[tuple[Record, dict[str, Any]]]) -> None:
        """The new entries' relations, then their creation records (relations included)."""
        if not new:
            return
        made: dict[str, list[dict[str, Any]]] = {}
        related = [(row["id"], self.relations(record)) for record, row in new]
        for relation in model._meta.many_to_many:
            source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
            links = [
                {f"{source}_id": pk, f"{target}_id": other}
                for pk, ids in related
                for other in dict.fromkeys(ids.get(relation.name, ()))
            ]
            if links:
                through = relation.remote_field.through
                self.insert_matched(through, links, (f"{source}_id", f"{target}_id"))
                made[relation.name] = links
        if hasattr(model, "history"):  # teams keep no history
            self.history(model, [row for _, row in new], made)
        for _ in new:
            self.count(kind, "created")

    def insert_matched(self, model, rows: list[dict[str, Any]], match: tuple[str, ...]) -> None:
        """Insert `rows` and give each its id, found by the columns in `match` (unique)."""
        returned = insert_rows(model, rows, now=self.now, returning=("id", *match))
        ids = {tuple(found[1:]): found[0] for found in returned}
        for row in rows:
            row["id"] = ids[tuple(row[name] for name in match)]

    def history(self, model, rows: list[dict[str, Any]], made: dict[str, list]) -> None:
        """A creation record per new row, as django-simple-history writes one on save(), and
        with it what its m2m tracking writes: the relation rows as they stood."""
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):  # as simple-history's own
            return
        historical = model.history.model
        user = historical.get_default_history_user(None)  # the request's, if there is one
        common = {
            "history_date": self.now,
            "history_type": "+",
            "history_change_reason": self.reason,
            "history_user_id": user.pk if user else None,
        }
        records = insert_copies(
            model,
            historical,
            rows,
            columns=[field.attname for field in historical.tracked_fields],
            extra=common,
            now=self.now,
            returning=("history_id", "id"),
        )
        record_of = {pk: history_id for history_id, pk in records}
        for relation in getattr(historical, "_history_m2m_fields", []):
            if not made.get(relation.name):
                continue
            source = f"{relation.m2m_field_name()}_id"
            insert_rows(
                HistoricalRecords.m2m_models[relation],
                [link | {"history_id": record_of[link[source]]} for link in made[relation.name]],
                now=self.now,
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

    def update(self, kind, obj, values: dict[str, Any]) -> tuple[models.Model, str]:
        """Save the fields of a stored entry that differ from `values`, through save(): its
        history record and signals (a marking change is logged: iqtrack.security) as from any
        other edit. Changes are few where items are many, so one at a time is fine here."""
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
    def pairs(self, kind, model, owner_field: str, owners: list[Record]) -> None:
        owner_ids = {owner.key: self.ids[owner.spec.name][owner.key] for owner in owners}
        existing = {
            (getattr(item, owner_field), item.evidence_id): item
            for item in model.objects.filter(**{f"{owner_field}__in": owner_ids.values()})
        }
        new = []
        for owner in owners:
            for record in owner.values[kind]:
                values = self.columns(record) | {owner_field: owner_ids[owner.key]}
                item = existing.get((values[owner_field], values["evidence_id"]))
                if item is None:
                    new.append(values)
                    continue
                _, state = self.update(kind, item, values)
                self.count(kind, state)
        if new:
            self.insert_matched(model, new, (owner_field, "evidence_id"))
            self.history(model, new, {})
        for _ in new:
            self.count(kind, "created")

    def count(self, kind: str, state: str) -> None:
        counts = self.report.counts[kind]
        if state == "created":
            counts.created += 1
        elif state == "updated":
            counts.updated += 1
        else:
            counts.unchanged += 1
        self.bar.update(1)
