"""No N+1: every list endpoint answers 1 row and 50 rows with the same number of queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from notifications.choices import Kind
from notifications.models import Notification, Reminder
from questions import workflow
from questions.choices import Status
from questions.models import (
    Assessment,
    Comment,
    EvidenceLink,
    HypothesisRating,
    Question,
)
from tests import factories
from tests.api_support import client_for
from tests.stories import Cast, question_in
from tokens.services import issue_token

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """The lead's team, and the rows every listed row hangs off (made before counting)."""

    team: object
    lead: object
    analyst: object
    reviewer: object

    def __post_init__(self) -> None:
        self.key_question = factories.QuestionFactory(team=self.team)
        self.anchor_actor = factories.ActorFactory()

    @property
    def cast(self) -> Cast:
        return Cast(self.lead, self.analyst, self.reviewer)

    def question(self) -> Question:
        question = factories.QuestionFactory(
            team=self.team, created_by=self.lead, parent=self.key_question
        )
        Question.objects.filter(pk=question.pk).update(
            assignee=self.analyst, reviewer=self.reviewer
        )
        return question

    def evidence(self):
        item = factories.EvidenceFactory(tlp="green", owner_team=self.team, created_by=self.analyst)
        item.actors.add(factories.ActorFactory())
        return item


# One maker per list endpoint: each call adds exactly one row to that list, with its relations.
def _questions(w: World) -> None:
    w.question()


def _hypotheses(w: World) -> None:
    factories.HypothesisFactory(question=w.question())


def _evidence_links(w: World) -> None:
    EvidenceLink.objects.create(question=w.question(), evidence=w.evidence(), linked_by=w.analyst)


def _ratings(w: World) -> None:
    hypothesis = factories.HypothesisFactory(question=w.question())
    HypothesisRating.objects.create(
        hypothesis=hypothesis, evidence=w.evidence(), rating="consistent", rated_by=w.analyst
    )


def _assessments(w: World) -> None:
    version = Assessment.objects.create(question=w.question(), version=1, author=w.analyst)
    version.cited_evidence.add(w.evidence(), w.evidence())


def _reviews(w: World) -> None:
    question_in(Status.ASSESSED, w.cast)


def _comments(w: World) -> None:
    Comment.objects.create(question=w.question(), author=w.lead, body="A thought.")


def _transitions(w: World) -> None:
    workflow.publish(factories.QuestionFactory(team=w.team), w.lead)


def _sources(w: World) -> None:
    factories.SourceFactory()


def _evidence(w: World) -> None:
    w.evidence()


def _actors(w: World) -> None:
    factories.ActorFactory().affiliated_with.add(w.anchor_actor)


def _events(w: World) -> None:
    event = factories.EventFactory()
    event.actors.add(w.anchor_actor)
    event.evidence.add(w.evidence())


def _teams(w: World) -> None:
    team = factories.TeamFactory(lead=w.reviewer)
    team.members.add(w.lead, w.reviewer)


def _users(w: World) -> None:
    w.team.members.add(factories.UserFactory(roles=[Role.ANALYST]))


def _tokens(w: World) -> None:
    issue_token(w.lead, name="a script")


def _notifications(w: World) -> None:
    question = w.question()
    reminder = Reminder.objects.create(
        kind=Kind.STALE, question=question, recipient=w.lead, period=question.key
    )
    Notification.objects.create(
        recipient=w.lead, kind=Kind.STALE, question=question, reminder=reminder, text="Stale."
    )


ENDPOINTS: dict[str, Callable[[World], None]] = {
    "/api/questions/": _questions,
    "/api/hypotheses/": _hypotheses,
    "/api/evidence-links/": _evidence_links,
    "/api/hypothesis-ratings/": _ratings,
    "/api/assessments/": _assessments,
    "/api/reviews/": _reviews,
    "/api/comments/": _comments,
    "/api/transitions/": _transitions,
    "/api/sources/": _sources,
    "/api/evidence/": _evidence,
    "/api/actors/": _actors,
    "/api/events/": _events,
    "/api/teams/": _teams,
    "/api/users/": _users,
    "/api/tokens/": _tokens,
    "/api/notifications/": _notifications,
}


def _listed(client, url: str) -> tuple[int, int]:
    """(rows listed, queries it took)."""
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url, {"page_size": 100})
    assert answer.status_code == 200, answer.content[:300]
    body = answer.json()
    if "count" not in body:  # a list by cursor (CursorPages): all of it is on this page
        assert body["next"] is None
        return len(body["results"]), len(queries)
    return body["count"], len(queries)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_it_lists_1_and_50_rows_with_the_same_number_of_queries(team, lead, analyst, reviewer, url):
    world = World(team, lead, analyst, reviewer)
    make = ENDPOINTS[url]
    client = client_for(lead)
    before, _ = _listed(client, url)  # also records the token's first use, which writes once

    make(world)
    rows_one, queries_one = _listed(client, url)
    for _ in range(49):
        make(world)
    rows_fifty, queries_fifty = _listed(client, url)

    assert (rows_one - before, rows_fifty - before) == (1, 50)
    assert queries_one == queries_fifty


def test_sub_questions_under_a_key_question_out_of_sight_cost_no_query_per_row(lead):
    """Whether the key question may be seen is answered in the list's own query, also when the
    answer is "no" for want of an analyst on it (SQL's unknown must count as no, not send the
    serializer asking again, row by row)."""
    elsewhere = factories.TeamFactory()
    hidden_key = factories.QuestionFactory(team=elsewhere, tlp="amber")  # no analyst, no reviewer
    client = client_for(lead)
    _listed(client, "/api/questions/")  # the token's first use writes once

    factories.QuestionFactory(team=elsewhere, tlp="green", parent=hidden_key)
    rows_one, queries_one = _listed(client, "/api/questions/")
    factories.QuestionFactory.create_batch(9, team=elsewhere, tlp="green", parent=hidden_key)
    answer = client.get("/api/questions/", {"page_size": 100}).json()
    rows_ten, queries_ten = _listed(client, "/api/questions/")

    assert (rows_one, rows_ten) == (1, 10)
    assert queries_one == queries_ten
    assert [row["parent"] for row in answer["results"]] == [None] * 10


def test_a_page_of_questions_takes_five_queries(team, lead, analyst, reviewer):
    """The token; the page's ids with the total; their rows, each joined to its team, key
    question and people; their TLP:RED recipients; the teams they are shared with. An empty
    page stops after the ids."""
    world = World(team, lead, analyst, reviewer)
    client = client_for(lead)
    _listed(client, "/api/questions/")  # the token's first use writes once

    with CaptureQueriesContext(connection) as empty:
        client.get("/api/questions/", {"status": "assigned"})
    for _ in range(50):
        world.question()
    with CaptureQueriesContext(connection) as full:
        answer = client.get("/api/questions/", {"page_size": 50})

    assert answer.json()["count"] == 51  # with the key question
    assert len(empty) == 2
    assert len(full) == 5


def test_a_listed_question_reads_as_its_own_answer(team, lead, analyst, reviewer):
    """The list reads less of the rows a question joins and its relations another way (only
    the columns shown, prefetched as lists): what it shows of each question is the same."""
    world = World(team, lead, analyst, reviewer)
    shared = world.question()
    Question.objects.filter(pk=shared.pk).update(tlp="amber")
    shared.shared_with.add(factories.TeamFactory(name="Other desk"))
    named = world.question()
    Question.objects.filter(pk=named.pk).update(tlp="red")
    named.recipients.add(lead, analyst, reviewer)
    client = client_for(lead)

    listed = client.get("/api/questions/", {"page_size": 100}).json()["results"]

    assert len(listed) == 3
    for row in listed:
        own = client.get(f"/api/questions/{row['id']}/").json()
        del own["available_actions"]
        assert row == own
    assert {len(row["recipients"]) for row in listed} == {0, 3}
    assert {len(row["shared_with"]) for row in listed} == {0, 1}
