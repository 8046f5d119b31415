"""Filters, text search, ordering and pagination on the lists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.choices import Tlp
from evidence.models import Source
from questions.choices import Priority, Status
from questions.models import Question
from tests import factories
from tests.api_support import client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2024, 1, 15, 12, tzinfo=dt.UTC)


def _ids(client, url: str, **params) -> set[int]:
    answer = client.get(url, params)
    assert answer.status_code == 200, answer.json()
    return {row["id"] for row in answer.json()["results"]}


@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


def test_it_filters_questions_by_status_team_people_priority_and_dates(cast, team):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        late = question_in(Status.ASSIGNED, cast)
        Question.objects.filter(pk=late.pk).update(due_at=NOW - dt.timedelta(days=1))
        done = question_in(Status.ASSESSED, cast)
        Question.objects.filter(pk=done.pk).update(due_at=NOW - dt.timedelta(days=2))
        draft = question_in(Status.DRAFT, cast, priority=Priority.CRITICAL)
        Question.objects.filter(pk=draft.pk).update(due_at=NOW + dt.timedelta(days=10))
    elsewhere = factories.QuestionFactory(team=factories.TeamFactory())
    elsewhere.team.members.add(cast.lead)
    client = client_for(cast.lead)
    q = "/api/questions/"

    with time_machine.travel(NOW, tick=False):
        assert _ids(client, q, status="assigned") == {late.pk}
        assert _ids(client, f"{q}?status=assigned&status=assessed") == {late.pk, done.pk}
        assert _ids(client, q, team_id=team.pk) == {late.pk, done.pk, draft.pk}
        assert _ids(client, q, assignee_id=cast.analyst.pk) == {late.pk, done.pk}
        assert _ids(client, q, reviewer_id=cast.reviewer.pk) == {late.pk, done.pk}
        assert _ids(client, q, priority=Priority.CRITICAL) == {draft.pk}
        assert _ids(client, q, overdue="true") == {late.pk}
        assert late.pk not in _ids(client, q, overdue="false")
        assert _ids(client, q, due_before=NOW.isoformat()) == {late.pk, done.pk}
        assert _ids(client, q, due_after=NOW.isoformat()) == {draft.pk}


def test_several_statuses_are_asked_for_as_one_list(cast):
    """`status IN (…)`, which PostgreSQL answers from the part of the status-led index
    (questions_board_order) holding those statuses; `status = a OR status = b` made it read
    every question's entry (bench/README.md)."""
    client = client_for(cast.lead)
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/questions/?status=assigned&status=in_analysis&status=in_review")
    listed = [q["sql"] for q in queries if 'FROM "questions_question"' in q["sql"]]
    assert listed
    for sql in listed:
        assert re.search(r'"questions_question"\."status" IN \(', sql), sql
        assert not re.search(r'"questions_question"\."status" = \S+ OR', sql), sql


def test_it_filters_evidence_by_source_grading_marking_and_date(analyst, team):
    tass = factories.SourceFactory(name="TASS", reliability="D", language="ru")
    wsj = factories.SourceFactory(name="WSJ", reliability="B")
    meeting = factories.EvidenceFactory(
        source=tass,
        tlp=Tlp.GREEN,
        original_language="ru",
        credibility=3,
        corroboration="single_source",
        happened_on=dt.date(2023, 3, 16),
        happened_precision="day",
        summary="Hamas delegation in Moscow",
    )
    training = factories.EvidenceFactory(
        source=wsj,
        tlp=Tlp.CLEAR,
        credibility=4,
        happened_on=dt.date(2023, 9, 1),
        happened_precision="month",
        translation="Training in Lebanon",
    )
    client = client_for(analyst)
    e = "/api/evidence/"

    assert _ids(client, e, source_id=tass.pk) == {meeting.pk}
    assert _ids(client, e, language="ru") == {meeting.pk}
    assert _ids(client, e, reliability="B") == {training.pk}
    assert _ids(client, e, credibility=4) == {training.pk}
    assert _ids(client, e, tlp="green") == {meeting.pk}
    assert _ids(client, e, corroboration="single_source") == {meeting.pk}
    assert _ids(client, e, happened_after="2023-06-01") == {training.pk}
    assert _ids(client, e, happened_before="2023-06-01") == {meeting.pk}
    assert _ids(client, e, q="moscow") == {meeting.pk}
    assert _ids(client, e, q="LEBANON") == {training.pk}


def test_it_orders_and_pages_a_list(analyst):
    for name in ("Bravo", "Alpha", "Charlie"):
        factories.SourceFactory(name=name)
    client = client_for(analyst)

    descending = client.get("/api/sources/", {"ordering": "-name", "page_size": 2}).json()
    second = client.get(descending["next"]).json()

    assert [s["name"] for s in descending["results"]] == ["Charlie", "Bravo"]
    assert [s["name"] for s in second["results"]] == ["Alpha"]
    assert descending["count"] == 3


def test_it_filters_relations_by_their_ids(cast):
    question = question_in(Status.IN_REVIEW, cast)
    other = question_in(Status.IN_REVIEW, cast)
    client = client_for(cast.lead)

    for url in ("/api/evidence-links/", "/api/transitions/", "/api/assessments/", "/api/comments/"):
        rows = client.get(url, {"question_id": question.pk}).json()["results"]
        assert all(row["question"]["id"] == question.pk for row in rows), url
    links = client.get("/api/evidence-links/", {"question_id": other.pk}).json()["results"]
    evidence_ids = {row["evidence"]["id"] for row in links}
    assert _ids(client, "/api/evidence/", question_id=other.pk) == evidence_ids


def test_a_page_of_sources_is_read_in_order_off_an_index(db):
    """The source lists' order (by name) comes from evidence_source_name: a page is the index's
    first entries, not a sort of every source (20,000 at bench scale)."""
    factories.SourceFactory.create_batch(3)
    sql, params = Source.objects.all()[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the choice plain
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "evidence_source_name" in plan, plan
    assert "Sort" not in plan, plan
