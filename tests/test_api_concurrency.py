"""Safe concurrent edits: an ETag on every read of a question or an assessment, and a write
carrying a stale `If-Match` gets 412 and changes nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from questions.choices import Status
from questions.models import Assessment, Question
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


def test_it_tags_a_question_and_changes_the_tag_when_the_question_changes(cast):
    question = question_in(Status.OPEN, cast)
    as_lead = client_for(cast.lead)
    url = f"/api/questions/{question.pk}/"

    first = as_lead.get(url)
    edited = as_lead.patch(url, {"title": "Sharper"}, format="json", HTTP_IF_MATCH=first["ETag"])

    assert first["ETag"].startswith('"')
    assert edited.status_code == 200, edited.json()
    assert edited["ETag"] != first["ETag"]
    assert as_lead.get(url)["ETag"] == edited["ETag"]


def test_it_refuses_a_write_with_a_stale_tag_and_changes_nothing(cast):
    question = question_in(Status.OPEN, cast)
    alice, bob = client_for(cast.lead), client_for(cast.lead)
    url = f"/api/questions/{question.pk}/"
    tag = alice.get(url)["ETag"]
    assert bob.get(url)["ETag"] == tag

    won = alice.patch(url, {"title": "Alice's title"}, format="json", HTTP_IF_MATCH=tag)
    lost = bob.patch(url, {"title": "Bob's title", "priority": 1}, format="json", HTTP_IF_MATCH=tag)

    assert won.status_code == 200
    assert_error(lost, 412, "precondition_failed")
    question.refresh_from_db()
    assert (question.title, question.priority) == ("Alice's title", won.json()["priority"])


def test_it_refuses_a_workflow_step_taken_on_a_stale_read(cast):
    question = question_in(Status.OPEN, cast)
    as_lead = client_for(cast.lead)
    url = f"/api/questions/{question.pk}/"
    tag = as_lead.get(url)["ETag"]
    as_lead.patch(url, {"body": "More context."}, format="json")

    answer = as_lead.post(f"{url}close/", {"reason": "Done."}, format="json", HTTP_IF_MATCH=tag)

    assert_error(answer, 412)
    assert Question.objects.get(pk=question.pk).status == Status.OPEN


def test_it_accepts_any_current_tag_weak_or_star(cast):
    question = question_in(Status.OPEN, cast)
    as_lead = client_for(cast.lead)
    url = f"/api/questions/{question.pk}/"
    tag = as_lead.get(url)["ETag"]

    weak = as_lead.patch(url, {"priority": 3}, format="json", HTTP_IF_MATCH=f'"stale", W/{tag}')
    star = as_lead.patch(url, {"priority": 4}, format="json", HTTP_IF_MATCH="*")

    assert (weak.status_code, star.status_code) == (200, 200)


def test_it_tags_assessments_and_refuses_a_stale_draft_save(cast):
    question = question_in(Status.IN_ANALYSIS, cast)
    as_analyst = client_for(cast.analyst)
    draft = as_analyst.post(
        "/api/assessments/", {"question_id": question.pk, "likelihood": 5}, format="json"
    )
    url = f"/api/assessments/{draft.json()['id']}/"
    tag = as_analyst.get(url)["ETag"]
    assert draft["ETag"] == tag
    as_analyst.patch(url, {"likelihood": 6}, format="json", HTTP_IF_MATCH=tag)

    stale = as_analyst.patch(url, {"likelihood": 2}, format="json", HTTP_IF_MATCH=tag)

    assert_error(stale, 412)
    assert Assessment.objects.get(pk=draft.json()["id"]).likelihood == 6


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_writers_win(cast):
    """Two clients holding the same tag write at the same moment: one 200, one 412."""
    question = question_in(Status.OPEN, cast)
    url = f"/api/questions/{question.pk}/"
    clients = [client_for(cast.lead), client_for(cast.lead)]
    tag = clients[0].get(url)["ETag"]
    start = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def write(client, title: str) -> None:
        try:
            start.wait(timeout=10)
            answer = client.patch(url, {"title": title}, format="json", HTTP_IF_MATCH=tag)
            statuses[title] = answer.status_code
        finally:
            connection.close()  # each thread has its own database connection

    threads = [
        threading.Thread(target=write, args=(c, t)) for c, t in zip(clients, "AB", strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses.values()) == [200, 412]
    winner = next(title for title, status in statuses.items() if status == 200)
    assert Question.objects.get(pk=question.pk).title == winner
