"""The row-by-row forms of the visibility rules answer exactly what the set forms answer.

The API's lists of evidence links, ACH ratings and assessment versions check each row's evidence
on the row itself (questions.visibility._evidence_visible), for speed; these tests hold them to
the rules as first written — a link or rating needs its question and its item visible, a version
needs every item it cites visible — for every person of the planted TLP world.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from questions.models import Assessment, EvidenceLink, HypothesisRating, Question
from questions.visibility import (
    visible_assessments,
    visible_evidence,
    visible_evidence_each,
    visible_evidence_links,
    visible_hypothesis_ratings,
    visible_questions,
)
from tests import tlp_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(time_machine, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return tlp_world.plant(time_machine)


def _people(world) -> list:
    return [person for person in world.users.values() if hasattr(person, "is_superuser")] + [
        AnonymousUser()
    ]


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_each_item_checked_on_its_row_is_the_visible_evidence(world):
    for person in _people(world):
        assert _ids(visible_evidence_each(person)) == _ids(visible_evidence(person)), person


def test_a_link_or_rating_is_visible_with_its_question_and_its_item(world):
    for person in _people(world):
        questions, items = _ids(visible_questions(person)), _ids(visible_evidence(person))
        links = {
            pk
            for pk, question, item in EvidenceLink.objects.values_list(
                "pk", "question_id", "evidence_id"
            )
            if question in questions and item in items
        }
        ratings = {
            pk
            for pk, question, item in HypothesisRating.objects.values_list(
                "pk", "hypothesis__question_id", "evidence_id"
            )
            if question in questions and item in items
        }
        assert _ids(visible_evidence_links(person)) == links, person
        assert _ids(visible_hypothesis_ratings(person)) == ratings, person


def test_every_version_list_agrees_with_each_questions_versions(world):
    questions = list(Question.objects.all())
    assert Assessment.objects.exists()
    for person in _people(world):
        per_question = set()
        for question in questions:
            per_question |= _ids(visible_assessments(person, question))
        assert _ids(visible_assessments(person)) == per_question, person
