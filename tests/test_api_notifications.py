"""Notifications through the API: one's own inbox only, filtered, and marked read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from iqtrack.celery import app as celery_app
from notifications.models import Notification
from questions.choices import Status
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(lead, analyst, reviewer, django_capture_on_commit_callbacks):
    """A question assigned through the API: its analyst and reviewer are told."""
    question = question_in(Status.OPEN, Cast(lead, analyst, reviewer))
    celery_app.conf.task_always_eager = True  # the notice's email is sent in-process
    try:
        with django_capture_on_commit_callbacks(execute=True):
            answer = client_for(lead).post(
                f"/api/questions/{question.pk}/assign/",
                {
                    "analyst_id": analyst.pk,
                    "reviewer_id": reviewer.pk,
                    "due_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
                },
            )
    finally:
        celery_app.conf.task_always_eager = False
    assert answer.status_code == 200, answer.json()
    return question


def test_it_lists_only_ones_own_notifications(assigned, analyst, lead):
    mine = client_for(analyst).get("/api/notifications/").json()["results"]

    assert [(n["kind"], n["question"]["id"], n["is_read"]) for n in mine] == [
        ("assigned", assigned.pk, False)
    ]
    assert client_for(lead).get("/api/notifications/").json()["count"] == 0
    assert_error(client_for(lead).get(f"/api/notifications/{mine[0]['id']}/"), 404)


def test_it_marks_one_notification_read_and_only_its_owner_can(assigned, analyst, reviewer):
    theirs = Notification.objects.get(recipient=reviewer)
    mine = Notification.objects.get(recipient=analyst)

    refused = client_for(analyst).post(f"/api/notifications/{theirs.pk}/read/")
    marked = client_for(analyst).post(f"/api/notifications/{mine.pk}/read/")
    again = client_for(analyst).post(f"/api/notifications/{mine.pk}/read/")

    assert_error(refused, 404)
    assert marked.status_code == 200 and marked.json()["is_read"] is True
    assert again.json()["read_at"] == marked.json()["read_at"]  # already read: unchanged
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_filters_unread_and_marks_all_read(assigned, reviewer):
    client = client_for(reviewer)
    assert client.get("/api/notifications/", {"unread": "true"}).json()["count"] == 1

    marked = client.post("/api/notifications/read-all/")

    assert marked.json() == {"marked": 1}
    assert client.get("/api/notifications/", {"unread": "true"}).json()["count"] == 0
    assert client.get("/api/notifications/", {"unread": "false"}).json()["count"] == 1
