"""factory_boy factories for every domain model."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from accounts.models import Team, role_group
from evidence.choices import Language, Reliability, SourceKind
from evidence.models import Actor, Event, Evidence, Source
from questions.models import Hypothesis, Question


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(role_group(role))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Source {n}")
    kind = SourceKind.NEWS_OUTLET
    reliability = Reliability.C
    language = Language.EN


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    source = factory.SubFactory(SourceFactory)
    summary = factory.Sequence(lambda n: f"Reported item {n}")


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = "person"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Event {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    title = factory.Sequence(lambda n: f"Question {n}?")
    team = factory.SubFactory(TeamFactory)


class HypothesisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hypothesis

    question = factory.SubFactory(QuestionFactory)
    title = factory.Sequence(lambda n: f"Hypothesis {n}")
