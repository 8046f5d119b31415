"""Brief forms (a person, a team, a key question inside a question) are built straight from the
object's attributes for speed (iqtrack.api.serializers.BriefSerializer): they must say exactly
what DRF's general path says for the same object."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework import serializers

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from evidence.api.serializers import (
    BriefActorSerializer,
    BriefEvidenceSerializer,
    BriefSourceSerializer,
)
from iqtrack.api.serializers import BriefSerializer
from questions.api.serializers import (
    BriefAssessmentSerializer,
    BriefHypothesisSerializer,
    BriefQuestionSerializer,
)
from tests import factories
from tests.stories import Cast, question_in, write_draft

pytestmark = pytest.mark.django_db


def _objects(cast: Cast) -> dict:
    question = question_in("in_analysis", cast)
    assessment = write_draft(question, cast.analyst)
    return {
        BriefUserSerializer: factories.UserFactory(first_name="Lena", last_name="Meyer"),
        BriefTeamSerializer: question.team,
        BriefSourceSerializer: factories.SourceFactory(),
        BriefActorSerializer: factories.ActorFactory(),
        BriefEvidenceSerializer: factories.EvidenceFactory(),
        BriefQuestionSerializer: question,
        BriefHypothesisSerializer: factories.HypothesisFactory(question=question),
        BriefAssessmentSerializer: assessment,
    }


def test_every_brief_form_says_what_drf_says(lead, analyst, reviewer):
    objects = _objects(Cast(lead, analyst, reviewer))
    assert set(objects) == set(BriefSerializer.__subclasses__()), "a brief form is not checked"
    for serializer_class, instance in objects.items():
        serializer = serializer_class(instance)
        general = serializers.ModelSerializer.to_representation(serializer, instance)
        assert serializer.data == dict(general), serializer_class.__name__


def test_a_form_with_a_value_to_convert_takes_drfs_path():
    class WithADate(BriefSerializer):
        class Meta:
            model = factories.EvidenceFactory._meta.model
            fields = ["id", "happened_on"]

    item = factories.EvidenceFactory(happened_on=dt.date(2023, 9, 23), happened_precision="day")
    assert WithADate(item).data == {"id": item.pk, "happened_on": "2023-09-23"}
