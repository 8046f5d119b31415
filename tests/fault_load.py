"""Load on a real iqtrack server while its database or Redis is taken away, and what must hold.

`seed` makes the cast (a team, its lead with an API token and a signed-in session, an analyst,
a reviewer, one assigned question per load thread); `Load` drives reads and writes from threads
— API reads, pages, comments, evidence, workflow steps — and keeps every answer; the `assert_*`
functions state what an outage may and may not do to those answers and to the database.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import requests

from iqtrack.api.errors import unavailable_body

KINDS = ("api-read", "page", "comment", "evidence", "step")
WRITES = ("comment", "evidence", "step")
PASSWORD = "correct horse battery staple"


# ---------------------------------------------------------------------------------------------
# The cast (runs inside Django: in the test process, or in a subprocess on a private database)
# ---------------------------------------------------------------------------------------------
def seed(questions: int) -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.choices import Role
    from evidence.choices import Tlp
    from questions.choices import Status
    from questions.models import Question
    from tests import factories
    from tokens.services import issue_token

    team = factories.TeamFactory(name="Fault team", slug="fault-team")
    lead = factories.UserFactory(username="lead", roles=[Role.LEAD])
    analyst = factories.UserFactory(username="analyst", roles=[Role.ANALYST])
    reviewer = factories.UserFactory(username="reviewer", roles=[Role.REVIEWER])
    team.lead = lead
    team.save()
    team.members.add(lead, analyst, reviewer)
    # A hash the server knows, whatever hasher the test process uses (few rounds: it is a test).
    hasher = PBKDF2PasswordHasher()
    lead.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    lead.save()
    _, key = issue_token(lead, name="fault load")

    # A signed-in browser session, as the login form would leave it.
    session = SessionStore()
    session[SESSION_KEY] = str(lead.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = lead.get_session_auth_hash()
    session.create()

    source = factories.SourceFactory()
    ids = []
    for _ in range(questions):
        question = factories.QuestionFactory(team=team)
        Question.objects.filter(pk=question.pk).update(
            status=Status.ASSIGNED, assignee=analyst, reviewer=reviewer
        )
        ids.append(question.pk)
    return {
        "team": team.pk,
        "analyst": analyst.pk,
        "reviewer": reviewer.pk,
        "token": key,
        "session": session.session_key,
        "source": source.pk,
        "questions": ids,
        "tlp": Tlp.GREEN,
    }


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    kind: str
    question: int
    mark: str  # what a write wrote: a comment's body, an item's summary, a step's due date
    status: int  # 0: no HTTP answer at all
    content_type: str
    body: str
    retry_after: str | None
    at: float  # time.perf_counter() when it came

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def describe(self) -> str:
        return f"{self.kind} on question {self.question}: {self.status} {self.body[:300]!r}"


class Load:
    """One thread per question, each taking the five kinds of request in turn until stopped."""

    def __init__(self, base: str, cast: dict) -> None:
        self.base, self.cast = base, cast
        self.answers: list[Answer] = []  # list.append is atomic: threads share it without a lock
        self.stopping = threading.Event()
        self.due_base = datetime.now(UTC) + timedelta(days=60)
        self.threads = [
            threading.Thread(target=self._run, args=(index, question), daemon=True)
            for index, question in enumerate(cast["questions"])
        ]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def since(self, moment: float) -> list[Answer]:
        return [a for a in self.answers if a.at >= moment]

    def summary(self, moment: float = 0.0) -> str:
        """What came back since `moment`, by kind and status, and the last failure."""
        answers = self.since(moment)
        counts = sorted(Counter((a.kind, a.status) for a in answers).items())
        failures = [a for a in answers if not a.ok]
        last = f"; last failure: {failures[-1].describe()}" if failures else ""
        return f"{counts}{last}"

    def kinds_answered(self, moment: float, *, ok: bool) -> set[str]:
        return {a.kind for a in self.since(moment) if a.ok == ok}

    def _run(self, index: int, question: int) -> None:
        # A new connection per request: a kept-alive one that gunicorn closes as idle just as
        # the next request goes out is reset — a race of the client's, not an answer.
        api = requests.Session()
        api.headers.update(
            Authorization=f"Bearer {self.cast['token']}",
            Accept="application/json",
            Connection="close",
        )
        pages = requests.Session()
        pages.headers.update(Connection="close")
        pages.cookies.set("sessionid", self.cast["session"])
        round_ = 0
        while not self.stopping.is_set():
            round_ += 1
            mark = f"load-{index}-{round_}-{uuid.uuid4().hex[:8]}"
            due_at = (self.due_base + timedelta(days=round_, minutes=index)).isoformat()
            for kind in KINDS:
                written = due_at if kind == "step" else mark
                send = self._request(kind, api, pages, question, written)
                self.answers.append(self._answer(kind, question, written, send))
                time.sleep(0.01)  # pacing only: an outage answers fast, this keeps logs small

    def _request(self, kind: str, api, pages, question: int, written: str):
        cast = self.cast
        if kind == "api-read":
            return lambda: api.get(self._url(f"/api/questions/{question}/"))
        if kind == "page":
            return lambda: pages.get(self._url(f"/questions/{question}/"))
        if kind == "comment":
            body = {"question_id": question, "body": written}
            return lambda: api.post(self._url("/api/comments/"), json=body)
        if kind == "evidence":
            body = {
                "source_id": cast["source"],
                "summary": written,
                "owner_team_id": cast["team"],
                "tlp": cast["tlp"],
            }
            return lambda: api.post(self._url("/api/evidence/"), json=body)
        body = {"analyst_id": cast["analyst"], "reviewer_id": cast["reviewer"], "due_at": written}
        return lambda: api.post(self._url(f"/api/questions/{question}/assign/"), json=body)

    def _url(self, path: str) -> str:
        return f"{self.base}{path}"

    @staticmethod
    def _answer(kind: str, question: int, mark: str, send) -> Answer:
        try:
            response = send()
        except requests.RequestException as exc:
            return Answer(kind, question, mark, 0, "", repr(exc), None, time.perf_counter())
        return Answer(
            kind,
            question,
            mark,
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.text,
            response.headers.get("Retry-After"),
            time.perf_counter(),
        )


# ---------------------------------------------------------------------------------------------
# What must hold
# ---------------------------------------------------------------------------------------------
def assert_every_answer_clean(answers: list[Answer], *, outage_allowed: bool) -> Counter:
    """Success, or (when allowed) the clean 503 of an outage: never a 500, a hang or a traceback.
    Returns the count of answers by (kind, status)."""
    for answer in answers:
        if answer.ok:
            continue
        assert outage_allowed and answer.status == 503, answer.describe()
        assert answer.retry_after, answer.describe()
        if answer.kind == "page":
            assert answer.content_type.startswith("text/html"), answer.describe()
            assert "briefly unavailable" in answer.body, answer.describe()
            assert "Traceback" not in answer.body, answer.describe()
        else:
            assert answer.content_type == "application/json", answer.describe()
            assert json.loads(answer.body) == unavailable_body(), answer.describe()
    return Counter((a.kind, a.status) for a in answers)


def assert_nothing_lost_or_half_written(database_url: str, answers: list[Answer]) -> None:
    """Every write that was answered 2xx is in the database, once; every write there (answered
    or not) is whole: a comment or an item with its history row, a step with its transition."""
    with psycopg.connect(database_url) as db:
        for kind, table, column in (
            ("comment", "questions_comment", "body"),
            ("evidence", "evidence_evidence", "summary"),
        ):
            sent = {a.mark for a in answers if a.kind == kind}
            confirmed = [a.mark for a in answers if a.kind == kind and a.ok]
            rows = db.execute(
                f"SELECT t.{column}, (SELECT count(*) FROM {_history(table)} h WHERE h.id = t.id)"  # noqa: S608
                f" FROM {table} t WHERE t.{column} LIKE 'load-%'"
            ).fetchall()
            stored = Counter(value for value, _ in rows)
            assert all(stored[mark] == 1 for mark in confirmed), f"{kind}: a confirmed write lost"
            assert set(stored) <= sent, f"{kind}: rows nobody sent"
            assert max(stored.values(), default=1) == 1, f"{kind}: a write stored twice"
            assert all(history >= 1 for _, history in rows), f"{kind}: a row without its history"

        for question in {a.question for a in answers}:
            (status,) = db.execute(
                "SELECT status FROM questions_question WHERE id = %s", [question]
            ).fetchone()
            steps = db.execute(
                "SELECT from_status, to_status FROM questions_transition "
                "WHERE question_id = %s ORDER BY id",
                [question],
            ).fetchall()
            edits = db.execute(
                "SELECT due_at FROM questions_historicalquestion "
                "WHERE id = %s AND history_type = '~'",
                [question],
            ).fetchall()
            # Every step wrote its transition and its history row together, or neither.
            assert len(steps) == len(edits), f"question {question}: steps and history disagree"
            assert all(a == b for (_, a), (b, _) in itertools.pairwise(steps))
            assert not steps or steps[-1][1] == status
            confirmed = {
                datetime.fromisoformat(a.mark)
                for a in answers
                if a.kind == "step" and a.question == question and a.ok
            }
            assert confirmed <= {due_at for (due_at,) in edits}, f"question {question}: step lost"


def _history(table: str) -> str:
    app, model = table.split("_", 1)
    return f"{app}_historical{model}"
