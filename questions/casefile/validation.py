"""Validate a parsed case file whole: every entry, then keys, references and loops.

Nothing here touches the database; importer.check_against_database does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from questions.casefile.errors import Issue
from questions.casefile.fields import Bad, Nested, Ref, Refs, kind_of
from questions.casefile.reader import LocatedDict, LocatedList
from questions.casefile.schema import FORMAT_FIELD, FORMAT_VERSION, SECTIONS, Spec


def _shown(name: str) -> str:
    """A field name as it may appear in a message: odd ones escaped and cut short, so that a
    hostile name cannot flood or drive the terminal that prints the error."""
    if re.fullmatch(r"[-\w<>+.]{1,80}", name, flags=re.ASCII):
        return name
    return repr(name[:80]) + ("…" if len(name) > 80 else "")


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
    # The line of each field as written (YAML only) and of the mapping, for `place`: kept as
    # read, so that a valid entry costs no bookkeeping per field.
    field_lines: dict[str, int] = field(default_factory=dict)
    mapping_line: int | None = None
    ok: bool = True  # False when a field failed (the import is refused anyway)

    @property
    def key(self) -> str:
        return self.values[self.spec.key] if self.spec.key else ""

    def place(self, name: str) -> tuple[str, int | None]:
        """Where field `name` is: its path in the document and its line."""
        return f"{self.path}.{name}", self.field_lines.get(name, self.mapping_line)


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
            self.error(line, path, f"expected a list of entries, got {kind_of(value)}")
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
            self.error(line, path, f"expected a mapping of fields, got {kind_of(node)}")
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
        record = Record(spec, path, line, {}, node.key_lines, node.line)
        values = record.values
        for name, field_type in spec.fields.items():
            value = node.get(name)
            if value is None and (name not in node or not field_type.required):
                values[name] = field_type.empty
                if field_type.required:
                    self.error(line, f"{path}.{name}", "is required")
                    record.ok = False
            elif isinstance(field_type, Nested):
                where, field_line = record.place(name)
                values[name] = self.entries(field_type.spec, value, where, field_line)
            else:
                try:
                    values[name] = field_type.parse(value)
                except Bad as bad:
                    values[name] = field_type.empty
                    where, field_line = record.place(name)
                    self.error(field_line, where, str(bad))
                    record.ok = False
        if "position" in spec.fields and values["position"] is None:
            values["position"] = index
        for rule in spec.rules if record.ok else ():
            for name, what in rule(values):
                where, field_line = record.place(name)
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
        validator.issues.extend(_ratings_of_linked_evidence(data, file))
    return data, validator.issues


def _ratings_of_linked_evidence(data: CaseData, file: Path) -> list[Issue]:
    """ACH rates a question's own evidence: a rated item must be linked to the question."""
    issues = []
    for question in data["questions"]:
        linked = {link.values["evidence"] for link in question.values["evidence_links"]}
        for hypothesis in question.values["hypotheses"]:
            for rating in hypothesis.values["ratings"]:
                if rating.values["evidence"] not in linked:
                    where, line = rating.place("evidence")
                    issues.append(
                        Issue(
                            file,
                            line,
                            where,
                            f"rates {rating.values['evidence']!r}, which question "
                            f"{question.key!r} does not link (add it to its evidence_links)",
                        )
                    )
    return issues


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
    references: dict[str, list[tuple[str, Ref | Refs]]] = {}  # by spec: its reference fields
    for record in data.all_records():
        spec = record.spec
        if spec.name not in references:
            references[spec.name] = [
                (name, field_type)
                for name, field_type in spec.fields.items()
                if isinstance(field_type, Ref | Refs)
            ]
        for name, field_type in references[spec.name]:
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
