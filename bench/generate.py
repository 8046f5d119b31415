"""Synthetic, realistic data for the benchmark, loaded with bulk inserts.

    DATABASE_URL=postgres://…/iqtrack_benchdata .venv/bin/python bench/generate.py --scale 1

At scale 1: 20 teams, 100 users, 10,000 questions (2,000 key questions with sub-questions),
20,000 sources, 200,000 evidence items in English, Russian, Arabic, Persian and Hebrew, their
links, hypotheses and ACH ratings (one question with 20 hypotheses × 300 rated items), and each
question's history as the workflow would have written it: transitions, assessment versions,
reviews, comments and a creation record. Every count scales with `--scale`; a seed fixes the RNG,
so the same arguments give the same data.

Values come from the app's scales (evidence/choices.py, questions/choices.py) and respect the
domain's rules, which the database also guards (questions/migrations/0003, 0007): the analyst is
never the reviewer, a version is inserted as a draft, submitted, then approved or returned only
after the review that decides it (by the question's reviewer, who wrote no version), one draft
per question. The search vectors are filled by the BEFORE INSERT triggers of
evidence/migrations/0003 and questions/migrations/0004, which fire for bulk inserts too.

Bulk inserts skip django-simple-history's signals: only the questions get a creation record
(written with `bulk_history_create`), which is what the history pages read first.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_USER = "bench"  # the user whose requests are measured
DATA_VERSION = 2  # bump when the generator's output changes: the runner regenerates
BATCH = 5000


@dataclass(frozen=True)
class Sizes:
    scale: float
    teams: int
    users: int
    questions: int
    key_questions: int
    sources: int
    evidence: int
    actors: int
    links_per_question: int
    ach_hypotheses: int
    ach_evidence: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(full: int, least: int) -> int:
            return max(least, round(full * scale))

        evidence = n(200_000, 400)
        return cls(
            scale=scale,
            teams=n(20, 3),
            users=n(100, 12),
            questions=n(10_000, 40),
            key_questions=n(2_000, 8),
            sources=n(20_000, 40),
            evidence=evidence,
            actors=n(1_000, 20),
            links_per_question=20,
            ach_hypotheses=20 if scale >= 0.01 else 5,
            ach_evidence=min(300, evidence // 2),
        )


def marker(sizes: Sizes, seed: int) -> str:
    """What the runner compares with the database's comment to decide whether to regenerate."""
    return f"iqtrack-bench data v{DATA_VERSION} scale={sizes.scale:g} seed={seed}"


class Progress:
    def __init__(self, out=sys.stderr) -> None:
        self.out = out
        self.started = time.monotonic()

    def step(self, what: str, count: int, since: float) -> None:
        took = time.monotonic() - since
        rate = f", {count / took:,.0f}/s" if took > 0 and count else ""
        total = time.monotonic() - self.started
        print(f"  [{total:6.1f}s] {what}: {count:,} rows in {took:.1f}s{rate}", file=self.out)
        self.out.flush()


@contextlib.contextmanager
def given_timestamps(*models) -> Iterator[None]:
    """Let bulk inserts write the historical timestamps we give instead of now()."""
    saved = []
    for model in models:
        for f in model._meta.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class Story:
    """One question's life: its steps, and the versions and reviews they imply."""

    steps: list[str] = field(default_factory=list)
    returns: int = 0
    draft_after: bool = False


class Generator:
    def __init__(self, sizes: Sizes, seed: int, progress: Progress) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.progress = progress
        self.now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

    # -----------------------------------------------------------------------------------------
    def run(self) -> None:
        from django.db import transaction

        with transaction.atomic(), given_timestamps(*self._models()):
            self.people()
            self.sources_and_actors()
            self.evidence()
            self.questions()
            self.links_hypotheses_ratings()
            self.histories()
        self.analyze()

    def _models(self):
        from accounts.models import Team
        from evidence.models import Actor, Evidence, Source
        from questions.models import (
            Assessment,
            Comment,
            EvidenceLink,
            Hypothesis,
            HypothesisRating,
            Question,
        )

        return (
            Team,
            Source,
            Actor,
            Evidence,
            Question,
            Hypothesis,
            EvidenceLink,
            HypothesisRating,
            Assessment,
            Comment,
        )

    def when(self, days_back_low: int, days_back_high: int) -> dt.datetime:
        days = self.rng.uniform(days_back_low, days_back_high)
        return self.now - dt.timedelta(days=days)

    # -----------------------------------------------------------------------------------------
    def people(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from accounts.choices import Role
        from accounts.models import Team, role_group

        t0 = time.monotonic()
        User = get_user_model()
        s = self.sizes
        password = make_password(None)  # unusable: the runner signs in with a session it makes
        users = [
            User(
                username=BENCH_USER if i == 0 else f"user{i:03d}",
                first_name=f"Person{i}",
                last_name="Bench",
                email=f"user{i}@bench.example.org",
                password=password,
                is_staff=i == 0,
            )
            for i in range(s.users)
        ]
        users = User.objects.bulk_create(users)
        self.users = [u.pk for u in users]
        lead, analyst, reviewer = (role_group(r) for r in (Role.LEAD, Role.ANALYST, Role.REVIEWER))
        # user 0 (bench) leads team 0 and is a member of teams 0-2 with every role; users 1…
        # lead the other teams; the rest are analysts (two in three) and reviewers.
        self.lead_of: dict[int, int] = {0: self.users[0]}
        for t in range(1, s.teams):
            self.lead_of[t] = self.users[t]
        workers = self.users[s.teams :]
        analysts = [u for i, u in enumerate(workers) if i % 3 != 2]
        reviewers = [u for i, u in enumerate(workers) if i % 3 == 2]
        teams = Team.objects.bulk_create(
            [
                Team(
                    name=f"Team {t:02d} — {['Levant', 'Gulf', 'Caucasus', 'Finance'][t % 4]} desk",
                    slug=f"team-{t:02d}",
                    description="Synthetic team for the benchmark.",
                    lead_id=self.lead_of[t],
                    created_at=self.when(700, 720),
                )
                for t in range(s.teams)
            ]
        )
        self.teams = [t.pk for t in teams]
        membership = Team.members.through
        rows = set()
        self.team_analysts: dict[int, list[int]] = {t: [] for t in range(s.teams)}
        self.team_reviewers: dict[int, list[int]] = {t: [] for t in range(s.teams)}
        for t in range(s.teams):
            rows.add((self.teams[t], self.lead_of[t]))
        for t in (0, 1, 2):
            rows.add((self.teams[t], self.users[0]))
            self.team_analysts[t].append(self.users[0])
        for i, u in enumerate(analysts):
            for t in (i % s.teams, (i + 1) % s.teams):
                rows.add((self.teams[t], u))
                self.team_analysts[t].append(u)
        for i, u in enumerate(reviewers):
            for t in (i % s.teams, (i + 3) % s.teams):
                rows.add((self.teams[t], u))
                self.team_reviewers[t].append(u)
        for t in range(s.teams):  # every team can staff a question with two people
            if not self.team_reviewers[t]:
                self.team_reviewers[t].append(reviewers[t % len(reviewers)])
                rows.add((self.teams[t], reviewers[t % len(reviewers)]))
        membership.objects.bulk_create([membership(team_id=t, user_id=u) for t, u in sorted(rows)])
        groups = User.groups.through
        grants = [(self.users[0], g.pk) for g in (lead, analyst, reviewer)]
        grants += [(self.lead_of[t], lead.pk) for t in range(1, s.teams)]
        grants += [(u, analyst.pk) for u in analysts]
        grants += [(u, reviewer.pk) for u in reviewers]
        groups.objects.bulk_create([groups(user_id=u, group_id=g) for u, g in grants])
        self.progress.step("users, teams, memberships, roles", len(users) + len(rows), t0)

    # -----------------------------------------------------------------------------------------
    def sources_and_actors(self) -> None:
        from bench.corpus import LANGUAGES
        from evidence.choices import ActorKind, Reliability, SourceKind
        from evidence.models import Actor, Source

        t0 = time.monotonic()
        rng, s = self.rng, self.sizes
        kinds, grades = SourceKind.values, Reliability.values
        outlets = ["Herald", "Observer", "Courier", "Gazette", "Wire", "Monitor", "Bulletin"]
        self.sources: list[int] = []
        self.source_language: list[str] = []
        for batch in chunks(range(s.sources)):
            rows = []
            for i in batch:
                language = rng.choice(LANGUAGES)
                rows.append(
                    Source(
                        key=f"src-{i:06d}",
                        name=f"{rng.choice(outlets)} {i} ({language})",
                        kind=rng.choice(kinds),
                        url=f"https://news{i}.example.org/",
                        language=language,
                        reliability=rng.choices(grades, weights=(5, 20, 30, 20, 10, 15))[0],
                        description="Synthetic source.",
                        created_at=self.when(600, 700),
                        updated_at=self.when(0, 600),
                    )
                )
            created = Source.objects.bulk_create(rows)
            self.sources += [r.pk for r in created]
            self.source_language += [r.language for r in created]
        self.progress.step("sources", s.sources, t0)
        t0 = time.monotonic()
        names = ["Lavrov", "Bogdanov", "Haniyeh", "Marzouk", "Soleimani", "Prigozhin", "Abu"]
        actors = Actor.objects.bulk_create(
            [
                Actor(
                    key=f"actor-{i:05d}",
                    name=f"{rng.choice(names)} {i}",
                    kind=rng.choice(ActorKind.values),
                    affiliation="Synthetic actor",
                    created_at=self.when(600, 700),
                    updated_at=self.when(0, 600),
                )
                for i in range(s.actors)
            ]
        )
        self.actors = [a.pk for a in actors]
        self.progress.step("actors", s.actors, t0)

    # -----------------------------------------------------------------------------------------
    def evidence(self) -> None:
        from evidence.choices import DatePrecision
        from evidence.models import Evidence

        t0 = time.monotonic()
        rng, s = self.rng, self.sizes
        through = Evidence.actors.through
        precisions = DatePrecision.values
        with self.without_search_index(Evidence):
            self._evidence_rows(rng, s, through, precisions, t0)

    @contextlib.contextmanager
    def without_search_index(self, model) -> Iterator[None]:
        """Build the GIN index of the search vectors once, after the rows, rather than row by
        row: the same index (its definition is read back from the database), made faster."""
        from django.db import connection

        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexdef LIKE '%%USING gin (search_vector)%%'",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        yield
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            # Django's foreign keys are checked at commit; check them now, or PostgreSQL will not
            # build an index on a table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.progress.step(f"search index of {table}", len(indexes), t0)

    def _evidence_rows(self, rng, s, through, precisions, t0) -> None:
        from bench.corpus import LANGUAGES, sentence
        from evidence.choices import Corroboration, Credibility, DatePrecision, Tlp
        from evidence.models import Evidence

        self.evidence_ids: list[int] = []
        actor_rows = 0
        for batch in chunks(range(s.evidence)):
            rows = []
            for i in batch:
                # Two in five items are English; the rest split evenly over ru, ar, fa, he.
                language = "en" if rng.random() < 0.4 else rng.choice(LANGUAGES[1:])
                parts = [sentence(rng, language) for _ in range(rng.randint(1, 3))]
                original = " ".join(p[0] for p in parts)
                english = " ".join(p[1] for p in parts)
                happened = (self.now - dt.timedelta(days=rng.randint(30, 2500))).date()
                precision = rng.choices(precisions, weights=(60, 20, 5, 15))[0]
                if precision == DatePrecision.MONTH:
                    happened = happened.replace(day=1)
                elif precision == DatePrecision.YEAR:
                    happened = happened.replace(month=1, day=1)
                created = self.when(0, 700)
                derived = (
                    rng.choice(self.evidence_ids)
                    if self.evidence_ids and rng.random() < 0.02
                    else None
                )
                rows.append(
                    Evidence(
                        key=f"ev-{i:07d}",
                        source_id=rng.choice(self.sources),
                        summary=english,
                        original_text=original,
                        original_language=language,
                        translation="" if language == "en" else english,
                        happened_on=happened,
                        happened_precision=precision,
                        happened_text="" if precision == DatePrecision.DAY else "as reported",
                        reported_on=happened + dt.timedelta(days=rng.randint(0, 30)),
                        reported_precision=DatePrecision.DAY,
                        credibility=rng.choice(Credibility.values),
                        corroboration=rng.choice(Corroboration.values),
                        tlp=rng.choices(Tlp.values, weights=(20, 30, 35, 10, 5))[0],
                        owner_team_id=rng.choice(self.teams),
                        derived_from_id=derived,
                        created_by_id=rng.choice(self.users),
                        created_at=created,
                        updated_at=created,
                    )
                )
            made = Evidence.objects.bulk_create(rows)
            # A TLP:RED item names who recorded it and its team's lead (questions.markings).
            named = Evidence.recipients.through
            named.objects.bulk_create(
                named(evidence_id=e.pk, user_id=person)
                for e in made
                if e.tlp == Tlp.RED
                for person in {e.created_by_id, self.lead_of[self.teams.index(e.owner_team_id)]}
            )
            ids = [e.pk for e in made]
            self.evidence_ids += ids
            links = [
                through(evidence_id=e, actor_id=rng.choice(self.actors))
                for e in ids
                if rng.random() < 0.3
            ]
            through.objects.bulk_create(links, ignore_conflicts=True)
            actor_rows += len(links)
            done = len(self.evidence_ids)
            if done % 50_000 < BATCH or done == s.evidence:
                self.progress.step(f"evidence ({done:,}/{s.evidence:,})", done, t0)
        self.progress.step("evidence actors", actor_rows, t0)

    # -----------------------------------------------------------------------------------------
    def stories(self, n: int) -> list[tuple[str, Story]]:
        """Each question's final status and how it got there."""
        from questions.choices import Status

        rng = self.rng
        statuses = (
            Status.DRAFT,
            Status.OPEN,
            Status.ASSIGNED,
            Status.IN_ANALYSIS,
            Status.IN_REVIEW,
            Status.ASSESSED,
            Status.CLOSED,
        )
        result = []
        for _ in range(n):
            status = rng.choices(statuses, weights=(5, 10, 15, 30, 10, 20, 10))[0]
            story = Story()
            start = ["publish", "assign", "start"]
            returns = rng.choices((0, 1, 2), weights=(65, 28, 7))[0]
            cycle = ["submit", "return"] * returns
            if status == Status.DRAFT:
                pass
            elif status == Status.OPEN:
                story.steps = ["publish"]
            elif status == Status.ASSIGNED:
                story.steps = ["publish", "assign"]
            elif status == Status.IN_ANALYSIS:
                story.steps = start + cycle
                story.returns = returns
                story.draft_after = rng.random() < 0.6
            elif status == Status.IN_REVIEW:
                story.steps = [*start, *cycle, "submit"]
                story.returns = returns
            elif status == Status.ASSESSED:
                story.steps = [*start, *cycle, "submit", "approve"]
                story.returns = returns
            elif rng.random() < 0.2:  # closed: withdrawn before analysis
                story.steps = ["publish", "close"]
            else:
                story.steps = [*start, *cycle, "submit", "approve", "close"]
                story.returns = returns
            result.append((status, story))
        return result

    def questions(self) -> None:
        from bench.corpus import question_title
        from evidence.choices import Tlp
        from questions.choices import UNFINISHED, Priority
        from questions.models import Question

        t0 = time.monotonic()
        rng, s = self.rng, self.sizes
        self.question_stories = self.stories(s.questions)
        rows = []
        self.question_team: list[int] = []  # index into self.teams
        key_of_team: dict[int, list[int]] = {t: [] for t in range(s.teams)}
        for i, (status, story) in enumerate(self.question_stories):
            team = i % s.teams
            self.question_team.append(team)
            if i < s.key_questions:
                key_of_team[team].append(i)
            created = self.when(60, 700)
            staffed = any(step == "assign" for step in story.steps)
            analyst = reviewer = None
            if staffed:
                analyst = rng.choice(self.team_analysts[team])
                reviewer = rng.choice([r for r in self.team_reviewers[team] if r != analyst])
            if i < 40 and team == 0 and staffed:
                analyst = self.users[0]  # the bench user has work of their own
            due = created + dt.timedelta(days=rng.randint(30, 420))
            rows.append(
                Question(
                    key=f"q-{i:06d}",
                    title=question_title(rng, i),
                    body=f"Synthetic question {i} for the benchmark.\n\nWhat we need to know "
                    "and why, with the collection requirements.",
                    team_id=self.teams[team],
                    priority=rng.choice(Priority.values),
                    status=status,
                    tlp=rng.choices(Tlp.values, weights=(10, 30, 45, 10, 5))[0],
                    created_by_id=self.lead_of[team],
                    assignee_id=analyst,
                    reviewer_id=reviewer,
                    due_at=due if status in UNFINISHED or rng.random() < 0.5 else None,
                    created_at=created,
                    updated_at=created,
                )
            )
        # The ACH figure's question: a key question of team 0 in analysis, the bench user's.
        ach = rows[0]
        ach.title = "Did Russia provide weapons to Hamas ahead of 7 October 2023? (ACH bench)"
        self.question_stories[0] = ("in_analysis", Story(steps=["publish", "assign", "start"]))
        ach.status = "in_analysis"
        ach.tlp = Tlp.AMBER  # the figure's question is the bench user's, whatever the dice say
        ach.assignee_id = self.users[0]
        ach.reviewer_id = self.team_reviewers[0][0]
        # Sub-questions hang off a key question of their own team.
        for i in range(s.key_questions, s.questions):
            keys = key_of_team[self.question_team[i]]
            if keys:
                rows[i].parent_id = None
                rows[i]._parent_index = rng.choice(keys)
        made: list[Question] = []
        for batch in chunks(rows[: s.key_questions]):
            made += Question.objects.bulk_create(batch)
        for q in rows[s.key_questions :]:
            index = getattr(q, "_parent_index", None)
            if index is not None:
                q.parent_id = made[index].pk
        for batch in chunks(rows[s.key_questions :]):
            made += Question.objects.bulk_create(batch)
        # A TLP:RED question names its distribution (questions.markings): its lead, analyst
        # and reviewer.
        named = Question.recipients.through
        recipients = [
            named(question_id=q.pk, user_id=person)
            for q in made
            if q.tlp == Tlp.RED
            for person in {q.created_by_id, q.assignee_id, q.reviewer_id} - {None}
        ]
        for batch in chunks(recipients):
            named.objects.bulk_create(batch)
        self.question_rows = made
        self.progress.step("questions", len(made), t0)

    # -----------------------------------------------------------------------------------------
    def links_hypotheses_ratings(self) -> None:
        from questions.choices import AchRating, Status
        from questions.models import EvidenceLink, Hypothesis, HypothesisRating

        t0 = time.monotonic()
        rng, s = self.rng, self.sizes
        ratings = AchRating.values
        weights = (10, 25, 30, 20, 10, 5)
        hypotheses, links, cells = [], [], []
        link_count = 0
        self.links_of: dict[int, list[int]] = {}
        analysed = {Status.IN_ANALYSIS, Status.IN_REVIEW, Status.ASSESSED, Status.CLOSED}
        for index, q in enumerate(self.question_rows):
            linked = (
                rng.sample(self.evidence_ids, s.ach_evidence)
                if index == 0
                else rng.sample(self.evidence_ids, rng.randint(5, 2 * s.links_per_question - 5))
            )
            self.links_of[q.pk] = linked
            linker = q.assignee_id or q.created_by_id
            for e in linked:
                links.append(
                    EvidenceLink(
                        question_id=q.pk,
                        evidence_id=e,
                        relevance="Bears on the question's timeline and actors.",
                        linked_by_id=linker,
                        created_at=q.created_at + dt.timedelta(days=rng.randint(1, 50)),
                    )
                )
            if len(links) >= BATCH:
                EvidenceLink.objects.bulk_create(links)
                link_count += len(links)
                links = []
            if q.status in analysed or index == 0:
                count = s.ach_hypotheses if index == 0 else rng.randint(2, 5)
                for h in range(count):
                    hypotheses.append(
                        Hypothesis(
                            key=f"h-{q.pk}-{h}",
                            question_id=q.pk,
                            title=f"H{h + 1}: explanation {h + 1} of question {index}",
                            description="A candidate answer, stated so evidence can refute it.",
                            position=h,
                            created_at=q.created_at,
                            updated_at=q.created_at,
                        )
                    )
        EvidenceLink.objects.bulk_create(links)
        self.progress.step("evidence links", link_count + len(links), t0)
        t0 = time.monotonic()
        made = []
        for batch in chunks(hypotheses):
            made += Hypothesis.objects.bulk_create(batch)
        self.hypotheses_of: dict[int, list[int]] = {}
        for h in made:
            self.hypotheses_of.setdefault(h.question_id, []).append(h.pk)
        self.progress.step("hypotheses", len(made), t0)
        t0 = time.monotonic()
        total = 0
        for index, q in enumerate(self.question_rows):
            hyps = self.hypotheses_of.get(q.pk, [])
            rated = self.links_of[q.pk] if index == 0 else self.links_of[q.pk][:8]
            for e in rated:
                for h in hyps:
                    cells.append(
                        HypothesisRating(
                            hypothesis_id=h,
                            evidence_id=e,
                            rating=rng.choices(ratings, weights=weights)[0],
                            rated_by_id=q.assignee_id,
                            updated_at=q.created_at + dt.timedelta(days=rng.randint(2, 60)),
                        )
                    )
            if len(cells) >= BATCH:
                HypothesisRating.objects.bulk_create(cells)
                total += len(cells)
                cells = []
        HypothesisRating.objects.bulk_create(cells)
        total += len(cells)
        self.progress.step("ACH ratings", total, t0)

    # -----------------------------------------------------------------------------------------
    def histories(self) -> None:
        """Transitions, versions, reviews and comments, in the order the workflow writes them."""
        from questions.assessments import content_hash
        from questions.choices import (
            AssessmentState,
            Confidence,
            Likelihood,
            LikelihoodWording,
            ReviewDecision,
        )
        from questions.models import Assessment, Comment, Question, Review, Transition

        t0 = time.monotonic()
        rng = self.rng
        step_to = {
            "publish": ("draft", "open"),
            "assign": ("open", "assigned"),
            "start": ("assigned", "in_analysis"),
            "submit": ("in_analysis", "in_review"),
            "return": ("in_review", "in_analysis"),
            "approve": ("in_review", "assessed"),
            "close": (None, "closed"),
        }
        transitions, comments, history = [], [], []
        # versions[v] = list of (question, submitted_at or None, decision or None, decided_at)
        versions: dict[int, list[tuple]] = {}
        for q, (_status, story) in zip(self.question_rows, self.question_stories, strict=True):
            moment = q.created_at
            lead = q.created_by_id
            version = 0
            current = "draft"
            for step in story.steps:
                moment += dt.timedelta(hours=rng.randint(2, 24 * 12))
                if moment > self.now:
                    moment = self.now - dt.timedelta(minutes=rng.randint(10, 600))
                frm, to = step_to[step]
                frm = frm or current
                actor = {
                    "start": q.assignee_id,
                    "submit": q.assignee_id,
                    "approve": q.reviewer_id,
                    "return": q.reviewer_id,
                }.get(step, lead)
                comment = {
                    "return": "Sourcing is thin: the key judgment rests on one outlet.",
                    "close": "Answered; no further collection planned.",
                }.get(step, "")
                transitions.append(
                    Transition(
                        question_id=q.pk,
                        action=step,
                        from_status=frm,
                        to_status=to,
                        actor_id=actor,
                        comment=comment,
                        created_at=moment,
                    )
                )
                current = to
                if step == "submit":
                    version += 1
                    versions.setdefault(version, []).append([q, moment, None, None])
                elif step in ("return", "approve"):
                    versions[version][-1][2] = step
                    versions[version][-1][3] = moment
            if story.draft_after:
                version += 1
                versions.setdefault(version, []).append([q, None, None, None])
            if story.steps:
                q.status_changed_at = moment
            for c in range(rng.randint(0, 4)):
                author = rng.choice([x for x in (lead, q.assignee_id, q.reviewer_id) if x])
                comments.append(
                    Comment(
                        question_id=q.pk,
                        author_id=author,
                        body=f"Comment {c + 1}: checked the Russian-language original; "
                        "the date is approximate.",
                        created_at=q.created_at + dt.timedelta(hours=rng.randint(1, 24 * 30)),
                    )
                )
            q._history_date = q.created_at
            q._history_user = None
            history.append(q)
        for batch in chunks(transitions):
            Transition.objects.bulk_create(batch)
        self.progress.step("transitions", len(transitions), t0)
        t0 = time.monotonic()
        Question.objects.bulk_update(self.question_rows, ["status_changed_at"], batch_size=BATCH)
        Question.history.bulk_history_create(history, batch_size=BATCH)
        for batch in chunks(comments):
            Comment.objects.bulk_create(batch)
        self.progress.step("comments and creation records", len(comments) + len(history), t0)

        # Versions one number at a time: each starts as a draft, is submitted, then decided
        # by a review from the question's reviewer (who wrote no version), as the guards ask.
        t0 = time.monotonic()
        made_versions = made_reviews = 0
        cited = Assessment.cited_evidence.through
        for number in sorted(versions):
            rows = []
            for q, submitted, _decision, _decided in versions[number]:
                hyps = self.hypotheses_of.get(q.pk, [])
                rows.append(
                    Assessment(
                        question_id=q.pk,
                        version=number,
                        author_id=q.assignee_id,
                        key_judgments=f"We assess that question {q.key} is answered by the "
                        "weight of the reporting.",
                        likelihood=rng.choice(Likelihood.values),
                        likelihood_wording=rng.choice(LikelihoodWording.values),
                        confidence=rng.choice(Confidence.values),
                        hypothesis_id=hyps[0] if hyps else None,
                        change_note="" if number == 1 else "Revised after the reviewer's return.",
                        tlp=q.tlp,
                        created_at=(submitted or self.now) - dt.timedelta(days=2),
                        updated_at=(submitted or self.now) - dt.timedelta(days=1),
                    )
                )
            made = []
            for batch in chunks(rows):
                made += Assessment.objects.bulk_create(batch)
            citations = [
                cited(assessment_id=a.pk, evidence_id=e)
                for a in made
                for e in self.links_of[a.question_id][:3]
            ]
            cited.objects.bulk_create(citations)
            submitted_rows, reviews, decided = [], [], []
            for a, (q, submitted, decision, moment) in zip(made, versions[number], strict=True):
                if submitted is None:
                    continue
                a.state, a.submitted_at = AssessmentState.SUBMITTED, submitted
                submitted_rows.append(a)
                if decision:
                    decided.append((a, q, decision, moment))
            Assessment.objects.bulk_update(
                submitted_rows, ["state", "submitted_at"], batch_size=BATCH
            )
            approved, returned = [], []
            for a, q, decision, moment in decided:
                a.question = q
                signed = content_hash(a)
                approve = decision == "approve"
                reviews.append(
                    Review(
                        assessment_id=a.pk,
                        reviewer_id=q.reviewer_id,
                        assessment_author_id=a.author_id,
                        question_analyst_id=q.assignee_id,
                        decision=ReviewDecision.APPROVE if approve else ReviewDecision.RETURN,
                        comment=""
                        if approve
                        else "Sourcing is thin: the key judgment rests on one outlet.",
                        content_hash=signed,
                        created_at=moment,
                    )
                )
                if approve:
                    a.state, a.content_hash, a.approved_at = (
                        AssessmentState.APPROVED,
                        signed,
                        moment,
                    )
                    approved.append(a)
                else:
                    a.state = AssessmentState.RETURNED
                    returned.append(a)
            for batch in chunks(reviews):
                Review.objects.bulk_create(batch)
            Assessment.objects.bulk_update(returned, ["state"], batch_size=BATCH)
            Assessment.objects.bulk_update(
                approved, ["state", "content_hash", "approved_at"], batch_size=BATCH
            )
            made_versions += len(made)
            made_reviews += len(reviews)
        self.progress.step("assessment versions and reviews", made_versions + made_reviews, t0)

    def analyze(self) -> None:
        from django.db import connection

        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.progress.step("ANALYZE", 0, t0)


def generate(scale: float, seed: int = 8, progress: Progress | None = None) -> str:
    """Fill the (migrated, empty) database Django is configured with. Returns the marker."""
    import django

    django.setup()
    sizes = Sizes.at(scale)
    progress = progress or Progress()
    print(f"Generating benchmark data at scale {scale:g} (seed {seed}): {sizes}", file=sys.stderr)
    Generator(sizes, seed, progress).run()
    return marker(sizes, seed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iqtrack.settings")
    print(generate(args.scale, args.seed))


if __name__ == "__main__":
    main()
