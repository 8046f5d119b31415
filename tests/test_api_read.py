"""API serializers read their fields by a plan made once per serializer
(iqtrack.api.serializers.PlannedRead: ModelSerializer and the read-only ones) and a relation's
rows from its prefetch: they must say exactly what DRF's general path says for the same object,
however its relations were read."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import prefetch_related_objects
from django.utils import timezone
from rest_framework import serializers

from evidence.api.serializers import (
    ActorSerializer,
    EventSerializer,
    EvidenceSerializer,
    SourceSerializer,
)
from iqtrack.api import serializers as base
from notifications.api.serializers import NotificationSerializer
from notifications.choices import Kind
from notifications.models import Notification, Reminder
from questions import workflow
from questions.api.serializers import (
    AssessmentSerializer,
    CommentSerializer,
    EvidenceLinkSerializer,
    HypothesisRatingSerializer,
    HypothesisSerializer,
    QuestionDetailSerializer,
    QuestionSerializer,
    ReviewSerializer,
    TransitionSerializer,
)
from questions.models import Comment, EvidenceLink, HypothesisRating, Question, Review
from tests import factories
from tests.stories import Cast, question_in
from tokens.api.serializers import NewTokenSerializer, TokenSerializer
from tokens.services import issue_token

pytestmark = pytest.mark.django_db


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _questions(cast: Cast) -> tuple[Question, Question]:
    """Sub-questions with everything a question shows: people, sharing (TLP:AMBER), recipients
    (TLP:RED)."""
    key = question_in("in_analysis", cast, title="The key question?")
    shared = question_in("in_analysis", cast, parent=key, tlp="amber")
    shared.shared_with.add(factories.TeamFactory(), factories.TeamFactory())
    named = question_in("draft", cast, parent=key, tlp="red")
    named.recipients.add(cast.lead, cast.analyst, cast.reviewer)
    return shared, named


def _objects(cast: Cast) -> list[tuple[type, object]]:
    question, named = _questions(cast)
    item = factories.EvidenceFactory(tlp="red", created_by=cast.analyst)
    item.recipients.add(cast.analyst)
    item.actors.add(factories.ActorFactory())
    event = factories.EventFactory()
    event.actors.add(factories.ActorFactory())
    event.evidence.add(item)
    actor = factories.ActorFactory()
    actor.affiliated_with.add(factories.ActorFactory())
    hypothesis = factories.HypothesisFactory(question=question)
    link = EvidenceLink.objects.create(question=question, evidence=item, linked_by=cast.analyst)
    token, key = issue_token(cast.lead, name="a script")
    token.key = key
    return [
        (QuestionSerializer, question),
        (QuestionSerializer, named),
        (QuestionDetailSerializer, question),
        (QuestionDetailSerializer, named),
        (HypothesisSerializer, hypothesis),
        (EvidenceLinkSerializer, link),
        (
            HypothesisRatingSerializer,
            HypothesisRating.objects.create(
                hypothesis=hypothesis, evidence=item, rating="consistent", rated_by=cast.analyst
            ),
        ),
        (
            CommentSerializer,
            Comment.objects.create(question=question, author=cast.lead, body="A thought."),
        ),
        (SourceSerializer, item.source),
        (ActorSerializer, actor),
        (EventSerializer, event),
        (EvidenceSerializer, item),
        (TokenSerializer, token),
        (NewTokenSerializer, token),
        *_records(cast),
    ]


def _records(cast: Cast) -> list[tuple[type, object]]:
    """What the read-only serializers show: a signed-off version with its citations, its
    review, the step that approved it, a notice."""
    question = question_in("assessed", cast)
    assessment = question.assessments.get()
    assert assessment.cited_evidence.exists()
    assessment.hypothesis = question.hypotheses.order_by("pk").first()  # the one it supports
    reminder = Reminder.objects.create(
        kind=Kind.OVERDUE, question=question, recipient=cast.analyst, period="2026-11-28"
    )
    notice = Notification.objects.create(
        recipient=cast.analyst,
        kind=Kind.OVERDUE,
        question=question,
        reminder=reminder,
        text="Overdue.",
        read_at=timezone.now(),
    )
    return [
        (AssessmentSerializer, assessment),
        (ReviewSerializer, Review.objects.get(assessment=assessment)),
        (TransitionSerializer, question.transitions.order_by("pk").last()),
        (NotificationSerializer, notice),
    ]


def _serializer(serializer_class, instance, user):
    context = {"available_actions": lambda question: workflow.available_actions(question, user)}
    return serializer_class(instance, context=context)


def test_every_serializer_reads_what_drf_reads(lead, analyst, reviewer):
    objects = _objects(Cast(lead, analyst, reviewer))
    checked = {serializer_class for serializer_class, _ in objects}
    planned_classes = _subclasses(base.PlannedRead) - {base.ModelSerializer}
    assert checked == planned_classes, "a serializer is not checked"
    for serializer_class, instance in objects:
        serializer = _serializer(serializer_class, instance, lead)
        general = serializers.ModelSerializer.to_representation(serializer, instance)
        planned = base.PlannedRead.to_representation(serializer, instance)
        assert planned == general, serializer_class.__name__
        assert list(planned) == list(general), serializer_class.__name__  # the same order


@pytest.mark.parametrize(
    ("zone", "expiry"),
    [
        ("UTC", "2030-05-01T07:00:15.123456Z"),
        ("Europe/Berlin", "2030-05-01T09:00:15.123456+02:00"),
        ("America/St_Johns", "2030-05-01T04:30:15.123456-02:30"),
    ],
)
def test_moments_read_as_drf_writes_them_in_the_current_zone(lead, zone, expiry):
    token, _key = issue_token(lead, name="a script")
    token.expires_at = dt.datetime(2030, 5, 1, 12, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Kolkata"))
    token.last_used_at = dt.datetime(2030, 1, 1, 0, 0)  # naive: DRF makes it aware

    with timezone.override(zone):
        serializer = TokenSerializer(token)
        general = serializers.ModelSerializer.to_representation(serializer, token)
        planned = base.ModelSerializer.to_representation(serializer, token)

    assert planned == general
    assert planned["expires_at"] == expiry


@pytest.mark.parametrize("prefetch", ["django", "listed"])
def test_prefetched_relations_read_as_the_relations_themselves(lead, analyst, reviewer, prefetch):
    _questions(Cast(lead, analyst, reviewer))
    fresh = list(Question.objects.order_by("pk"))
    prefetched = list(Question.objects.order_by("pk"))
    relations = ("recipients", "shared_with")
    if prefetch == "listed":
        relations = [base.prefetch_listed(relation) for relation in relations]
    prefetch_related_objects(prefetched, *relations)

    def read(questions):
        return QuestionSerializer(questions, many=True, context={}).data

    assert read(prefetched) == read(fresh)
    assert any(row["recipients"] for row in read(fresh))
    assert any(row["shared_with"] for row in read(fresh))


def test_a_brief_form_reads_only_its_columns():
    from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer

    assert BriefUserSerializer.columns() == ("id", "username", "first_name", "last_name")
    assert BriefTeamSerializer.columns() == ("id", "name", "slug")
    assert "team__lead" in BriefTeamSerializer.unread("team")
    assert not {"team__id", "team__name", "team__slug"} & set(BriefTeamSerializer.unread("team"))
