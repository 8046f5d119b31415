"""Export the database, or one question's part of it, as a case file.

The output is deterministic: entries sorted by key (hypotheses by position), relations sorted,
fields in the order of questions.casefile.schema, empty fields left out, no timestamps. So
export → import into an empty database → export gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from django.db import models

from accounts.models import Team
from evidence.choices import Tlp
from evidence.models import Actor, Event, Evidence, Source
from questions.casefile.errors import CasefileError, Issue
from questions.casefile.fields import Nested, Ref, Refs
from questions.casefile.reader import JSON_SUFFIXES, YAML_SUFFIXES
from questions.casefile.schema import (
    ACTOR,
    EVENT,
    EVIDENCE,
    EVIDENCE_LINK,
    FORMAT_FIELD,
    FORMAT_VERSION,
    HYPOTHESIS,
    QUESTION,
    RATING,
    SOURCE,
    TEAM,
    Spec,
)
from questions.choices import Status
from questions.models import Question

HEADER = f"# iqtrack case file, format {FORMAT_VERSION}: see docs/casefile.md\n"


class _Selection:
    """Which rows an export holds; None means all of them."""

    def __init__(self, question_key: str | None) -> None:
        self.questions = Question.objects.all()
        self.context_questions: set[int] = set()  # ancestors: written without their contents
        self.evidence = Evidence.objects.all()
        self.sources = Source.objects.all()
        self.actors = Actor.objects.all()
        self.events = Event.objects.all()
        self.teams = Team.objects.all()
        self.kept: dict[type[models.Model], set[int]] | None = None
        if question_key is not None:
            self._limit_to(question_key)

    def _limit_to(self, question_key: str) -> None:
        root = Question.objects.filter(key=question_key).first()
        if root is None:
            raise LookupError(question_key)
        subtree, frontier = {root.pk}, {root.pk}
        while frontier:
            frontier = (
                set(Question.objects.filter(parent__in=frontier).values_list("pk", flat=True))
                - subtree
            )
            subtree |= frontier
        ancestor = root.parent
        while ancestor is not None:
            # Kept so the extract's key question keeps its parent: importing the extract back
            # must not detach it. Their own hypotheses and links stay out.
            self.context_questions.add(ancestor.pk)
            ancestor = ancestor.parent
        self.questions = Question.objects.filter(pk__in=subtree | self.context_questions)

        evidence = set(
            Evidence.objects.filter(question_links__question__in=subtree).values_list(
                "pk", flat=True
            )
        ) | set(
            Evidence.objects.filter(ratings__hypothesis__question__in=subtree).values_list(
                "pk", flat=True
            )
        )
        frontier = evidence
        while frontier:  # an item that derives from another needs that other one
            frontier = (
                set(
                    Evidence.objects.filter(
                        pk__in=frontier, derived_from__isnull=False
                    ).values_list("derived_from", flat=True)
                )
                - evidence
            )
            evidence |= frontier
        self.evidence = Evidence.objects.filter(pk__in=evidence)
        self.events = Event.objects.filter(evidence__in=evidence).distinct()
        self.sources = Source.objects.filter(evidence__in=evidence).distinct()
        self.actors = Actor.objects.filter(
            models.Q(evidence__in=evidence) | models.Q(events__in=self.events)
        ).distinct()
        self.teams = Team.objects.filter(
            models.Q(questions__in=self.questions)
            | models.Q(shared_questions__in=self.questions)
            | models.Q(evidence__in=evidence)
        ).distinct()
        self.kept = {Evidence: evidence, Actor: set(self.actors.values_list("pk", flat=True))}

    def keeps(self, obj: models.Model) -> bool:
        """Whether a related object is in the export: an extract leaves out relations to
        evidence and actors it does not hold (import only adds relations, so nothing is lost)."""
        return self.kept is None or obj.pk in self.kept.get(type(obj), {obj.pk})


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _natural_key(obj: models.Model) -> str:
    return obj.slug if isinstance(obj, Team) else obj.key


def _entry(spec: Spec, obj: models.Model, selection: _Selection, nested=None) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for name, field_type in spec.fields.items():
        if isinstance(field_type, Nested):
            value = (nested or {}).get(name, [])
        elif isinstance(field_type, Ref):
            related = getattr(obj, name)
            value = _natural_key(related) if related is not None else None
        elif isinstance(field_type, Refs):
            related = getattr(obj, name).all()
            value = sorted(_natural_key(r) for r in related if selection.keeps(r))
        else:
            value = _plain(getattr(obj, name))
        if name == "status":
            # A case file carries a question, not its workflow: anything past draft is open.
            value = Status.DRAFT.value if value == Status.DRAFT else Status.OPEN.value
        if value not in ("", None, []):
            entry[name] = value
    return entry


def _by_evidence(row: models.Model) -> str:
    return row.evidence.key


def _question(question: Question, selection: _Selection) -> dict[str, Any]:
    if question.pk in selection.context_questions:
        return _entry(QUESTION, question, selection)
    hypotheses = []
    for hypothesis in sorted(question.hypotheses.all(), key=lambda h: (h.position, h.key)):
        ratings = sorted(hypothesis.ratings.select_related("evidence"), key=_by_evidence)
        hypotheses.append(
            _entry(
                HYPOTHESIS,
                hypothesis,
                selection,
                {"ratings": [_entry(RATING, rating, selection) for rating in ratings]},
            )
        )
    links = sorted(question.evidence_links.select_related("evidence"), key=_by_evidence)
    links = [_entry(EVIDENCE_LINK, link, selection) for link in links]
    return _entry(
        QUESTION, question, selection, {"hypotheses": hypotheses, "evidence_links": links}
    )


def build_casefile(question_key: str | None = None) -> dict[str, Any]:
    """The case file as data: everything, or one question with its sub-questions and what they
    reference. Raises LookupError for an unknown question key."""
    selection = _Selection(question_key)

    def entries(spec: Spec, queryset, order: str, related: Iterable[str] = ()) -> list[dict]:
        rows = queryset.select_related(*related).order_by(order)
        return [_entry(spec, obj, selection) for obj in rows]

    data: dict[str, Any] = {FORMAT_FIELD: FORMAT_VERSION}
    sections = {
        "teams": entries(TEAM, selection.teams, "slug"),
        "sources": entries(SOURCE, selection.sources, "key"),
        "actors": entries(ACTOR, selection.actors.prefetch_related("affiliated_with"), "key"),
        "evidence": entries(
            EVIDENCE,
            selection.evidence.prefetch_related("actors"),
            "key",
            ("source", "owner_team", "derived_from"),
        ),
        "events": entries(EVENT, selection.events.prefetch_related("actors", "evidence"), "key"),
        "questions": [
            _question(q, selection)
            for q in selection.questions.select_related("parent", "team").order_by("key")
        ],
    }
    data.update({name: value for name, value in sections.items() if value})
    return data


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # repeated lists are written out, never as &anchors


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text as a literal block, readable and diffable; PyYAML falls back to quoting
    # when the text cannot be a block (trailing spaces, carriage returns).
    style = "|" if "\n" in value and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_casefile(data: dict[str, Any], *, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(data, ensure_ascii=False, indent=2, default=_json_value) + "\n"
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return HEADER + body


def _json_value(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _red_items(selection: _Selection) -> list[str]:
    """Keys of the TLP:RED questions and evidence in the selection."""
    return [
        *selection.questions.filter(tlp=Tlp.RED).order_by("key").values_list("key", flat=True),
        *selection.evidence.filter(tlp=Tlp.RED).order_by("key").values_list("key", flat=True),
    ]


def export_casefile(path: Path, *, question_key: str | None = None) -> None:
    """Write the case file to `path` (.yaml, .yml or .json). Raises CasefileError on a bad
    extension or an unknown question key."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in JSON_SUFFIXES | YAML_SUFFIXES:
        raise CasefileError([Issue(path, None, "file", "name it .yaml, .yml or .json")])
    try:
        red = _red_items(_Selection(question_key))
        if red:
            raise CasefileError(
                [
                    Issue(
                        path,
                        None,
                        key,
                        "is TLP:RED: it leaves iqtrack only to its recipients, "
                        "never in a case file (export a selection without it)",
                    )
                    for key in red
                ]
            )
        data = build_casefile(question_key)
    except LookupError:
        raise CasefileError(
            [Issue(path, None, "--question", f"no question has key {question_key!r}")]
        ) from None
    path.write_bytes(dump_casefile(data, as_json=suffix in JSON_SUFFIXES).encode("utf-8"))
