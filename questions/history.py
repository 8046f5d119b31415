"""A question's whole story, in time order: who did what, when, and why.

`question_history(question)` merges, into one list of `Entry`:
- each workflow step (Transition), with the field changes it made (assignment, version state,
  signature) and, for approve and return, the review it recorded;
- comments;
- every other edit recorded by django-simple-history on the question, its hypotheses, its ACH
  ratings, its assessment versions (cited evidence included), its evidence links and the
  evidence linked to it (from the time it was linked), with before and after values.
The workflow stamps a step's Transition, Review and history rows with one instant, which is how
they are gathered into one entry here.

The story is told to a `viewer` and holds only what they may see (questions.visibility): the
versions, reviews, ratings, links and evidence edits of items hidden from them are left out, and
so is any change whose before or after names such an item — not even its existence is told.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet

from evidence.models import Evidence
from questions.choices import Action, Status
from questions.models import (
    Assessment,
    Comment,
    EvidenceLink,
    Hypothesis,
    HypothesisRating,
    Question,
)
from questions.visibility import (
    visible_assessments,
    visible_evidence,
    visible_questions,
    visible_reviews,
    visible_transitions,
)

EMPTY = "—"
# Bookkeeping, not content: the step's own time and row ids say all there is to say.
# Bookkeeping, not content; search_vector is derived by the database and not kept in history.
NOISE = {
    "id",
    "created_at",
    "updated_at",
    "status_changed_at",
    "submitted_at",
    "approved_at",
    "search_vector",
}


@dataclass(frozen=True)
class Change:
    subject: str  # "question", "assessment v2", "hypothesis “…”"
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ReviewNote:
    version: int
    decision: str
    content_hash: str


@dataclass
class Entry:
    at: datetime
    actor: Any  # the user, or None when nobody was recorded
    kind: str  # transition | comment | review | created | changed | deleted
    subject: str
    summary: str
    comment: str = ""
    action: str = ""  # an Action value, for transitions
    from_status: str = ""
    to_status: str = ""
    changes: list[Change] = field(default_factory=list)
    review: ReviewNote | None = None
    version: int | None = None  # the assessment version a step submitted, approved or returned

    @property
    def actor_name(self) -> str:
        return display_user(self.actor)


def display_user(user) -> str:
    if user is None:
        return "someone (not recorded)"
    return user.get_full_name() or user.get_username()


def question_history(
    question: Question, viewer, *, versions: QuerySet[Assessment] | None = None
) -> list[Entry]:
    """`question`'s story as `viewer` may see it (the caller has checked they see `question`).
    `versions`: what visible_assessments(viewer, question) answered, when the caller has it."""
    story = _Story(question, viewer, versions)
    story.add_transitions()
    story.add_reviews()
    story.add_comments()
    story.add_records()
    for step in story.steps.values():
        step.summary = _step_summary(step)
    return sorted(story.entries, key=lambda entry: (entry.at, entry.kind != "transition"))


# ---------------------------------------------------------------------------------------------


class _Labels:
    """Readable values for history, looking each related object up once.

    An evidence item or question out of the viewer's sight gets no label: `hides` tells the
    story to leave out whatever would name it.
    """

    def __init__(self, visible: dict[type[models.Model], QuerySet]) -> None:
        self._cache: dict[tuple[type, Any], str] = {}
        self._visible = visible  # the models whose objects may be out of the viewer's sight
        self.hidden: set[tuple[type, Any]] = set()

    def hides(self, model: type[models.Model], pk: Any) -> bool:
        if pk is not None and (model, pk) not in self._cache:
            self.prime(model, {pk})
        return (model, pk) in self.hidden

    def related(self, model: type[models.Model], pk: Any) -> str:
        if pk is None:
            return EMPTY
        if (model, pk) not in self._cache:
            self.prime(model, {pk})
        return self._cache[(model, pk)]

    def prime(self, model: type[models.Model], pks: Iterable[Any]) -> None:
        """Look up every label of `model` among `pks` not yet known, in one query."""
        missing = {pk for pk in pks if pk is not None and (model, pk) not in self._cache}
        if not missing:
            return
        found = model._default_manager.in_bulk(missing)
        if model in self._visible:
            seen = set(self._visible[model].filter(pk__in=missing).values_list("pk", flat=True))
            self.hidden |= {(model, pk) for pk in missing if pk in found and pk not in seen}
        for pk in missing:
            obj = found.get(pk)
            if (model, pk) in self.hidden:
                label = EMPTY
            elif obj is None:
                label = f"#{pk} (deleted)"
            elif model is get_user_model():
                label = display_user(obj)
            else:
                label = str(obj)
            self._cache[(model, pk)] = label

    def prime_records(self, model: type[models.Model], records: list[Any]) -> None:
        """Every label the history rows of `model` may show, one query per related model."""
        for f in model._meta.concrete_fields:
            if f.is_relation:
                self.prime(f.related_model, {getattr(r, f.attname) for r in records})

    def value(self, model_field: models.Field, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if model_field.is_relation:
            return self.related(model_field.related_model, value)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M UTC")
        return str(value)


@dataclass
class _Track:
    """How one model's history rows belong to the story."""

    model: type[models.Model]
    records: QuerySet
    subject: Callable[[Any], str]
    skip: set[str] = field(default_factory=set)
    tell_creation: bool = True
    # Per object: rows before this instant are only the baseline for the first change told.
    since: dict[Any, datetime] | None = None


class _Story:
    def __init__(self, question: Question, viewer, versions: QuerySet | None = None) -> None:
        self.question = question
        self.viewer = viewer
        self.seen_evidence = visible_evidence(viewer, among=self._evidence_ids(question))
        self.labels = _Labels({Evidence: self.seen_evidence, Question: visible_questions(viewer)})
        self.assessments = visible_assessments(viewer, question) if versions is None else versions
        self.entries: list[Entry] = []
        # (instant, actor id) of each workflow step → its entry, to gather what it changed.
        self.steps: dict[tuple[datetime, Any], Entry] = {}

    @staticmethod
    def _evidence_ids(question: Question) -> list[int]:
        """Every item the story may name: linked to the question at any time, rated against or
        cited by it, or derived from by one of those (the only evidence it labels)."""
        linked = set(
            EvidenceLink.history.filter(question_id=question.pk).values_list(
                "evidence_id", flat=True
            )
        )
        cited = Assessment.history.model.cited_evidence.model.objects.filter(
            history__question_id=question.pk
        ).values_list("evidence_id", flat=True)
        hypotheses = Hypothesis.history.filter(question_id=question.pk).values("id")
        rated = HypothesisRating.history.filter(hypothesis_id__in=hypotheses).values_list(
            "evidence_id", flat=True
        )
        ids = linked | set(cited) | set(rated)
        derived = Evidence.history.filter(id__in=ids).values_list("derived_from_id", flat=True)
        return sorted(ids | {pk for pk in derived if pk is not None})

    # -- workflow steps, reviews, comments -----------------------------------------------------

    def add_transitions(self) -> None:
        transitions = visible_transitions(self.viewer, self.question, versions=self.assessments)
        for t in transitions.select_related("actor"):
            entry = Entry(
                at=t.created_at,
                actor=t.actor,
                kind="transition",
                subject="question",
                summary="",
                comment=t.comment,
                action=t.action,
                from_status=t.from_status,
                to_status=t.to_status,
            )
            self.steps[(t.created_at, t.actor_id)] = entry
            self.entries.append(entry)

    def add_reviews(self) -> None:
        reviews = visible_reviews(self.viewer, self.question, versions=self.assessments)
        reviews = reviews.select_related("assessment", "reviewer")
        for review in reviews:
            note = ReviewNote(review.assessment.version, review.decision, review.content_hash)
            step = self.steps.get((review.created_at, review.reviewer_id))
            if step is not None:
                step.review = note
                step.version = note.version
                continue
            self.entries.append(
                Entry(
                    at=review.created_at,
                    actor=review.reviewer,
                    kind="review",
                    subject=f"assessment v{note.version}",
                    summary=f"{display_user(review.reviewer)} recorded a review "
                    f"({review.get_decision_display().lower()}) of version {note.version}",
                    comment=review.comment,
                    review=note,
                )
            )

    def add_comments(self) -> None:
        records = Comment.history.filter(question_id=self.question.pk).select_related(
            "history_user"
        )
        for record in records.order_by("history_date", "history_id"):
            if record.history_type == "+":
                self.entries.append(
                    Entry(
                        at=record.history_date,
                        actor=record.history_user,
                        kind="comment",
                        subject="question",
                        summary=f"{display_user(record.history_user)} commented",
                        comment=record.body,
                    )
                )
        # Edits and deletions of comments are told like any other edit (add_records).

    # -- field-level history -------------------------------------------------------------------

    def add_records(self) -> None:
        q = self.question
        hypothesis_ids = set(
            Hypothesis.history.filter(question_id=q.pk).values_list("id", flat=True)
        )
        seen_evidence = self.seen_evidence.values("pk")
        links = EvidenceLink.history.filter(question_id=q.pk, evidence_id__in=seen_evidence)
        linked_since: dict[int, datetime] = {}
        for evidence_id, at in links.values_list("evidence_id", "history_date"):
            linked_since[evidence_id] = min(at, linked_since.get(evidence_id, at))
        tracks = [
            _Track(Question, q.history.all(), lambda r: "question"),
            _Track(
                Hypothesis,
                Hypothesis.history.filter(question_id=q.pk),
                lambda r: f"hypothesis “{r.title}”",
                skip={"question"},
            ),
            _Track(
                HypothesisRating,
                HypothesisRating.history.filter(
                    hypothesis_id__in=hypothesis_ids, evidence_id__in=seen_evidence
                ),
                lambda r: (
                    "ACH rating of "
                    f"“{self.labels.related(Evidence, r.evidence_id)}” against "
                    f"“{self.labels.related(Hypothesis, r.hypothesis_id)}”"
                ),
                skip={"hypothesis", "evidence"},
            ),
            _Track(
                Assessment,
                Assessment.history.filter(id__in=self.assessments.values("pk")),
                lambda r: f"assessment v{r.version}",
                skip={"question"},
            ),
            _Track(
                EvidenceLink,
                links,
                lambda r: f"evidence link to “{self.labels.related(Evidence, r.evidence_id)}”",
                skip={"question"},
            ),
            _Track(
                Evidence,
                Evidence.history.filter(id__in=linked_since),
                lambda r: f"evidence “{self.labels.related(Evidence, r.id)}”",
                since=linked_since,
            ),
            _Track(
                Comment,
                Comment.history.filter(question_id=q.pk),
                lambda r: "comment",
                skip={"question"},
                tell_creation=False,  # add_comments tells new comments
            ),
        ]
        for track in tracks:
            self._add_track(track)

    def _add_track(self, track: _Track) -> None:
        records = sorted(
            track.records.select_related("history_user"),
            key=lambda r: (r.history_date, r.history_id),
        )
        # Labels for every related object these rows name, fetched up front: the story's query
        # count depends on the kinds of things in it, not on how many edits it tells.
        self.labels.prime_records(track.model, records)
        if track.model is Evidence:
            self.labels.prime(Evidence, {r.id for r in records})
        cited = _cited_evidence(records) if track.model is Assessment else {}
        self.labels.prime(Evidence, set().union(*cited.values()))
        by_object: dict[Any, list[Any]] = defaultdict(list)
        for record in records:
            by_object[record.id].append(record)
        fields = [
            f
            for f in track.model._meta.concrete_fields
            if f.name not in NOISE and f.name not in track.skip
        ]
        for object_records in by_object.values():
            previous = None
            for group in _same_moment_groups(object_records):
                last = group[-1]
                kinds = {r.history_type for r in group}
                changes = self._diff(track, fields, previous, last, cited)
                previous = last
                kind = "deleted" if "-" in kinds else "created" if "+" in kinds else "changed"
                if kind == "created" and not track.tell_creation:
                    continue
                if track.since is not None and last.history_date < track.since[last.id]:
                    continue
                self._place(track.subject(last), kind, last, changes)

    def _diff(self, track, fields, before, after, cited) -> list[Change]:
        subject = track.subject(after)
        changes = []
        for f in fields:
            old = getattr(before, f.attname) if before is not None else None
            new = getattr(after, f.attname)
            if f.is_relation and any(self.labels.hides(f.related_model, pk) for pk in (old, new)):
                continue  # it would name an item the viewer may not see
            if old != new and not (before is None and new in (None, "")):
                changes.append(
                    Change(
                        subject,
                        f.name,
                        str(f.verbose_name),
                        self.labels.value(f, old),
                        self.labels.value(f, new),
                    )
                )
        if cited:
            old_ids = cited.get(before.history_id, set()) if before is not None else set()
            new_ids = cited.get(after.history_id, set())
            hidden = any(self.labels.hides(Evidence, pk) for pk in old_ids | new_ids)
            if old_ids != new_ids and not hidden:
                changes.append(
                    Change(
                        subject,
                        "cited_evidence",
                        "cited evidence",
                        self._evidence_list(old_ids),
                        self._evidence_list(new_ids),
                    )
                )
        return changes

    def _evidence_list(self, ids: set[int]) -> str:
        if not ids:
            return EMPTY
        return "; ".join(sorted(self.labels.related(Evidence, pk) for pk in ids))

    def _place(self, subject: str, kind: str, record, changes: list[Change]) -> None:
        """Gather the change into its workflow step, or tell it as an edit of its own."""
        step = self.steps.get((record.history_date, record.history_user_id))
        if step is not None and kind == "changed":
            if subject == "question":  # the step itself tells the status change
                changes = [c for c in changes if c.field != "status"]
            if record.instance_type is Assessment:
                step.version = record.version
            step.changes.extend(changes)
            return
        if kind == "changed" and not changes:
            return  # a save that changed nothing worth telling
        verb = {"created": "created", "changed": "changed", "deleted": "deleted"}[kind]
        reason = record.history_change_reason or ""
        self.entries.append(
            Entry(
                at=record.history_date,
                actor=record.history_user,
                kind=kind,
                subject=subject,
                summary=f"{display_user(record.history_user)} {verb} {subject}",
                comment=reason if reason not in ("", "commented") else "",
                changes=changes,
            )
        )


def _same_moment_groups(records: list[Any]) -> list[list[Any]]:
    """Consecutive rows written at one instant by one person tell one event (a save + its m2m)."""
    groups: list[list[Any]] = []
    for record in records:
        if groups and (groups[-1][-1].history_date, groups[-1][-1].history_user_id) == (
            record.history_date,
            record.history_user_id,
        ):
            groups[-1].append(record)
        else:
            groups.append([record])
    return groups


def _cited_evidence(records: list[Any]) -> dict[int, set[int]]:
    """Cited evidence ids as of each assessment history row."""
    if not records:
        return {}
    through = Assessment.history.model.cited_evidence.model
    cited: dict[int, set[int]] = {r.history_id: set() for r in records}
    rows = through.objects.filter(history_id__in=cited).values_list("history_id", "evidence_id")
    for history_id, evidence_id in rows:
        cited[history_id].add(evidence_id)
    return cited


def _step_summary(entry: Entry) -> str:
    who = display_user(entry.actor)
    version = f"version {entry.version}" if entry.version else "the assessment"
    what = {
        Action.PUBLISH: "published the question",
        Action.ASSIGN: (
            "reassigned the question"
            if entry.from_status == entry.to_status
            else "assigned the question"
        ),
        Action.START: "started the analysis",
        Action.SUBMIT: f"submitted {version} for review",
        Action.APPROVE: f"approved {version}",
        Action.RETURN: f"returned {version} to the analyst",
        Action.REOPEN: "reopened the question",
        Action.CLOSE: "closed the question",
    }.get(entry.action, entry.action)
    moved = (
        f" ({Status(entry.from_status).label.lower()} → {Status(entry.to_status).label.lower()})"
        if entry.from_status != entry.to_status
        else ""
    )
    return f"{who} {what}{moved}"
