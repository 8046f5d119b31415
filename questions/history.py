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
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Team
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
    question: Question,
    viewer,
    *,
    versions: Iterable[Assessment] | None = None,
    seen_questions: Iterable[Question] = (),
) -> list[Entry]:
    """`question`'s story as `viewer` may see it (the caller has checked they see `question`).
    `versions`: what visible_assessments(viewer, question) answered (a queryset or the list of
    its rows), when the caller has it. `seen_questions`: other questions the caller has read
    through visible_questions(viewer), such as its key question, which the story then names
    without looking them up.

    A fixed number of queries whatever the story's length, and few: each history table is read
    once (a question's page reads the story on every view, and for most questions it is short, so
    the cost was the queries, not the rows: bench/RESULTS.md)."""
    story = _Story(question, viewer, versions, seen_questions)
    story.add_transitions()
    story.add_reviews()
    story.add_comments()
    story.add_records()
    for step in story.steps.values():
        step.summary = _step_summary(step)
    return sorted(story.entries, key=lambda entry: (entry.at, entry.kind != "transition"))


# ---------------------------------------------------------------------------------------------


@cache
def _historical(model: type[models.Model]) -> type[models.Model]:
    return model.history.model


@cache
def _cited_through() -> type[models.Model]:
    """The history of assessments' cited evidence (a descriptor of simple_history's, which builds
    a manager on each access, like `Model.history`)."""
    return _historical(Assessment).cited_evidence.model


def _records(model: type[models.Model]) -> QuerySet:
    """Every history row of `model`, through the historical model's own manager: `Model.history`
    builds a manager class on each access (simple_history's descriptor: a fraction of a
    millisecond each, a dozen times per story)."""
    return _historical(model)._default_manager.order_by()


class _Labels:
    """Readable values for history: every related object the story names, looked up in one query
    per model once the story's rows are read (`want`, then `fetch`).

    An evidence item or question out of the viewer's sight gets no label: `hides` tells the
    story to leave out whatever would name it. `seen_evidence` holds the items the viewer may
    see among those the story may name.
    """

    def __init__(self, seen_evidence: set[int], viewer) -> None:
        self._seen_evidence = seen_evidence
        self._viewer = viewer
        self._wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self._cache: dict[tuple[type, Any], str] = {}
        self.objects: dict[tuple[type, Any], models.Model] = {}
        self.hidden: set[tuple[type, Any]] = set()

    def know(self, obj: models.Model) -> None:
        """Label `obj`, already read, without a query: a question only when the viewer sees it
        (read through visible_questions), never an evidence item (whether the viewer sees one is
        asked with the label)."""
        model = obj.__class__  # the model of a lazily loaded request.user too
        self._cache[(model, obj.pk)] = display_user(obj) if model is get_user_model() else str(obj)
        self.objects[(model, obj.pk)] = obj

    def want(self, model: type[models.Model], pks: Iterable[Any]) -> None:
        self._wanted[model].update(pk for pk in pks if pk is not None)

    def fetch(self) -> None:
        """Look up every wanted label not yet known, one query per model."""
        wanted, self._wanted = self._wanted, defaultdict(set)
        for model, pks in wanted.items():
            missing = {pk for pk in pks if (model, pk) not in self._cache}
            if missing:
                self._fetch(model, missing)

    def _fetch(self, model: type[models.Model], missing: set[Any]) -> None:
        rows = model._default_manager.filter(pk__in=missing).order_by()
        if model is Question:
            # Whether the viewer sees each one, asked in the same query.
            seen = visible_questions(self._viewer).filter(pk=OuterRef("pk"))
            rows = rows.annotate(_history_seen=Exists(seen))
        found = {obj.pk: obj for obj in rows}
        for pk in missing:
            obj = found.get(pk)
            if obj is not None and not self._sees(model, obj):
                self.hidden.add((model, pk))
                label = EMPTY
            elif obj is None:
                label = f"#{pk} (deleted)"
            elif model is get_user_model():
                label = display_user(obj)
            else:
                label = str(obj)
            if obj is not None:
                self.objects[(model, pk)] = obj
            self._cache[(model, pk)] = label

    def _sees(self, model: type[models.Model], obj: models.Model) -> bool:
        if model is Evidence:
            return obj.pk in self._seen_evidence
        if model is Question:
            return obj._history_seen
        return True

    def _known(self, model: type[models.Model], pk: Any) -> None:
        if (model, pk) not in self._cache:  # not wanted up front: looked up on its own
            self._fetch(model, {pk})

    def hides(self, model: type[models.Model], pk: Any) -> bool:
        if pk is None or model not in (Evidence, Question):
            return False
        self._known(model, pk)
        return (model, pk) in self.hidden

    def related(self, model: type[models.Model], pk: Any) -> str:
        if pk is None:
            return EMPTY
        self._known(model, pk)
        return self._cache[(model, pk)]

    def user(self, pk: Any):
        """The user `pk` (None for None or a deleted user)."""
        if pk is None:
            return None
        User = get_user_model()
        self._known(User, pk)
        return self.objects.get((User, pk))

    def value(self, model_field: models.Field, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if model_field.is_relation:
            return self.related(model_field.related_model, value)
        if model_field.choices:
            return str(_choices(model_field).get(value, value))
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M UTC")
        return str(value)


@cache
def _choices(model_field: models.Field) -> dict:
    return dict(model_field.flatchoices)


@dataclass
class _Track:
    """How one model's history rows belong to the story."""

    model: type[models.Model]
    records: list[Any]  # its rows, oldest first
    subject: Callable[[Any], str]
    skip: set[str] = field(default_factory=set)
    tell_creation: bool = True
    # Per object: rows before this instant are only the baseline for the first change told.
    since: dict[Any, datetime] | None = None
    cited: dict[int, set[int]] = field(default_factory=dict)  # assessments: history id → items

    @property
    def fields(self) -> list[models.Field]:
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in NOISE and f.name not in self.skip
        ]


def _read_with(question: Question, viewer) -> list[models.Model]:
    """The viewer, and the team and people the caller read with the question (its lead, analyst,
    reviewer, author): most of those a story names, labelled without a query."""
    User = get_user_model()
    read = [viewer] if isinstance(viewer, User) else []
    for relation in (Question.team, Question.assignee, Question.reviewer, Question.created_by):
        if relation.is_cached(question) and (obj := getattr(question, relation.field.name)):
            read.append(obj)
    if Question.team.is_cached(question) and Team.lead.is_cached(question.team):
        read.append(question.team.lead)
    return [obj for obj in read if obj is not None]


def _oldest_first(records: Iterable[Any]) -> list[Any]:
    return sorted(records, key=lambda r: (r.history_date, r.history_id))


class _Story:
    """Reads every row the story tells first (each table once), then every label those rows
    name (one query per kind of thing), then tells it."""

    def __init__(
        self,
        question: Question,
        viewer,
        versions: Iterable[Assessment] | None,
        seen_questions: Iterable[Question] = (),
    ) -> None:
        self.question = question
        self.seen_questions = [question, *seen_questions]
        self.viewer = viewer
        if versions is None:
            versions = visible_assessments(viewer, question)
        self.versions = {v.pk: v for v in versions}
        # The visible versions, for the visibility rules that take them as a queryset.
        self.assessments = Assessment.objects.filter(pk__in=list(self.versions))
        self.entries: list[Entry] = []
        # (instant, actor id) of each workflow step → its entry, to gather what it changed.
        self.steps: dict[tuple[datetime, Any], Entry] = {}
        self._read()

    def _read(self) -> None:
        q = self.question
        self.transitions = list(
            visible_transitions(self.viewer, q, versions=self.assessments).order_by(
                "created_at", "id"
            )
        )
        # In Review's own order (by version, newest first, then time), without the join that
        # ordering by the version would take. Reviews follow their version: none visible, none
        # to read.
        reviews = visible_reviews(self.viewer, q, versions=self.assessments)
        self.reviews = (
            sorted(
                reviews.order_by("created_at", "id"),
                key=lambda r: (-self.versions[r.assessment_id].version, r.created_at),
            )
            if self.versions
            else []
        )
        hypotheses = _oldest_first(_records(Hypothesis).filter(question_id=q.pk))
        hypothesis_ids = {r.id for r in hypotheses}
        rated = (
            _oldest_first(_records(HypothesisRating).filter(hypothesis_id__in=hypothesis_ids))
            if hypothesis_ids
            else []
        )
        links = _oldest_first(_records(EvidenceLink).filter(question_id=q.pk))
        cited: dict[int, set[int]] = defaultdict(set)
        for history_id, evidence_id in (
            _cited_through()
            .objects.filter(history__question_id=q.pk)
            .values_list("history_id", "evidence_id")
        ):
            cited[history_id].add(evidence_id)
        # Every item the story may name: linked to the question at any time, rated against or
        # cited by it, or derived from by one of those (the only evidence it labels).
        ids = {r.evidence_id for r in links}.union(*cited.values(), (r.evidence_id for r in rated))
        items = _oldest_first(_records(Evidence).filter(id__in=ids)) if ids else []
        ids |= {r.derived_from_id for r in items if r.derived_from_id is not None}
        seen = (
            set(visible_evidence(self.viewer, among=sorted(ids)).values_list("pk", flat=True))
            if ids
            else set()
        )
        self.labels = _Labels(seen, self.viewer)
        for obj in [*self.seen_questions, *_read_with(q, self.viewer)]:
            self.labels.know(obj)

        linked_since: dict[int, datetime] = {}
        for r in links:
            if r.evidence_id in seen:
                linked_since[r.evidence_id] = min(
                    r.history_date, linked_since.get(r.evidence_id, r.history_date)
                )
        comments = _oldest_first(_records(Comment).filter(question_id=q.pk))
        self.comments = [r for r in comments if r.history_type == "+"]
        ratings = [r for r in rated if r.evidence_id in seen]
        versions = self.versions
        assessments = (
            _oldest_first(_records(Assessment).filter(id__in=list(versions))) if versions else []
        )
        labels = self.labels
        self.tracks = [
            _Track(
                Question, _oldest_first(_records(Question).filter(id=q.pk)), lambda r: "question"
            ),
            _Track(
                Hypothesis,
                hypotheses,
                lambda r: f"hypothesis “{r.title}”",
                skip={"question"},
            ),
            _Track(
                HypothesisRating,
                ratings,
                lambda r: (
                    "ACH rating of "
                    f"“{labels.related(Evidence, r.evidence_id)}” against "
                    f"“{labels.related(Hypothesis, r.hypothesis_id)}”"
                ),
                skip={"hypothesis", "evidence"},
            ),
            _Track(
                Assessment,
                assessments,
                lambda r: f"assessment v{r.version}",
                skip={"question"},
                cited={r.history_id: cited.get(r.history_id, set()) for r in assessments},
            ),
            _Track(
                EvidenceLink,
                [r for r in links if r.evidence_id in seen],
                lambda r: f"evidence link to “{labels.related(Evidence, r.evidence_id)}”",
                skip={"question"},
            ),
            _Track(
                Evidence,
                [r for r in items if r.id in linked_since],
                lambda r: f"evidence “{labels.related(Evidence, r.id)}”",
                since=linked_since,
            ),
            _Track(
                Comment,
                comments,
                lambda r: "comment",
                skip={"question"},
                tell_creation=False,  # add_comments tells new comments
            ),
        ]
        # Every label the story may show, and every person it names, fetched up front: the
        # story's query count depends on the kinds of things in it, not on how many edits it
        # tells.
        User = get_user_model()
        labels.want(User, (t.actor_id for t in self.transitions))
        labels.want(User, (r.reviewer_id for r in self.reviews))
        for track in self.tracks:
            labels.want(User, (r.history_user_id for r in track.records))
            for f in track.fields:
                if f.is_relation:
                    labels.want(f.related_model, (getattr(r, f.attname) for r in track.records))
        labels.want(Evidence, (r.evidence_id for r in ratings))
        labels.want(Hypothesis, (r.hypothesis_id for r in ratings))
        labels.want(Evidence, set().union(*cited.values()))
        labels.want(Evidence, linked_since)
        labels.fetch()

    # -- workflow steps, reviews, comments -----------------------------------------------------

    def add_transitions(self) -> None:
        for t in self.transitions:
            entry = Entry(
                at=t.created_at,
                actor=self.labels.user(t.actor_id),
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
        for review in self.reviews:
            version = self.versions[review.assessment_id].version
            note = ReviewNote(version, review.decision, review.content_hash)
            step = self.steps.get((review.created_at, review.reviewer_id))
            if step is not None:
                step.review = note
                step.version = note.version
                continue
            reviewer = self.labels.user(review.reviewer_id)
            self.entries.append(
                Entry(
                    at=review.created_at,
                    actor=reviewer,
                    kind="review",
                    subject=f"assessment v{note.version}",
                    summary=f"{display_user(reviewer)} recorded a review "
                    f"({review.get_decision_display().lower()}) of version {note.version}",
                    comment=review.comment,
                    review=note,
                )
            )

    def add_comments(self) -> None:
        for record in self.comments:
            author = self.labels.user(record.history_user_id)
            self.entries.append(
                Entry(
                    at=record.history_date,
                    actor=author,
                    kind="comment",
                    subject="question",
                    summary=f"{display_user(author)} commented",
                    comment=record.body,
                )
            )
        # Edits and deletions of comments are told like any other edit (add_records).

    # -- field-level history -------------------------------------------------------------------

    def add_records(self) -> None:
        for track in self.tracks:
            self._add_track(track)

    def _add_track(self, track: _Track) -> None:
        by_object: dict[Any, list[Any]] = defaultdict(list)
        for record in track.records:
            by_object[record.id].append(record)
        fields = track.fields
        for object_records in by_object.values():
            previous = None
            for group in _same_moment_groups(object_records):
                last = group[-1]
                kinds = {r.history_type for r in group}
                changes = self._diff(track, fields, previous, last)
                previous = last
                kind = "deleted" if "-" in kinds else "created" if "+" in kinds else "changed"
                if kind == "created" and not track.tell_creation:
                    continue
                if track.since is not None and last.history_date < track.since[last.id]:
                    continue
                self._place(track.subject(last), kind, last, changes)

    def _diff(self, track: _Track, fields, before, after) -> list[Change]:
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
        cited = track.cited
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
        actor = self.labels.user(record.history_user_id)
        self.entries.append(
            Entry(
                at=record.history_date,
                actor=actor,
                kind=kind,
                subject=subject,
                summary=f"{display_user(actor)} {verb} {subject}",
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
