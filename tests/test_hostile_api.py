"""Every hostile input (tests/hostile_inputs.py) through every API create and update endpoint,
into every writable field the serializer declares: refused with a 400 naming the field and
nothing written, or stored as the table says and read back through the API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from evidence.api.serializers import (
    ActorSerializer,
    EventSerializer,
    EvidenceSerializer,
    SourceSerializer,
)
from questions.api import serializers as qs
from questions.choices import Status
from questions.models import Assessment, EvidenceLink, Hypothesis, HypothesisRating
from tests import factories, stories
from tests.api_support import client_for
from tests.hostile_inputs import BODIES, REFUSED, encode
from tests.hostile_support import (
    Findings,
    api_fields,
    inputs_for,
    outcome_name,
    refused_properly,
    row_of,
    table_counts,
)
from tokens.api.serializers import TokenSerializer


@dataclass
class World:
    lead: Any
    analyst: Any
    question: Any
    draft_question: Any
    source: Any
    evidence: Any
    other_evidence: Any
    actor: Any
    event: Any
    hypothesis: Any
    link: Any
    rating: Any
    assessment: Any


@pytest.fixture
def world(lead, analyst, reviewer, team) -> World:
    cast = stories.Cast(lead, analyst, reviewer)
    question = stories.question_in(Status.IN_ANALYSIS, cast)
    stories.consider_hypotheses(question)
    hypothesis = question.hypotheses.first()
    evidence, other = stories.link_evidence(question, analyst, count=2)
    draft = stories.write_draft(question, analyst, cited_evidence=[evidence])
    return World(
        lead=lead,
        analyst=analyst,
        question=question,
        draft_question=factories.QuestionFactory(team=team, created_by=lead),
        source=evidence.source,
        evidence=evidence,
        other_evidence=other,
        actor=factories.ActorFactory(),
        event=factories.EventFactory(),
        hypothesis=hypothesis,
        link=EvidenceLink.objects.get(question=question, evidence=evidence),
        rating=HypothesisRating.objects.create(
            hypothesis=hypothesis, evidence=evidence, rating="consistent", rated_by=analyst
        ),
        assessment=draft,
    )


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    serializer: type
    user: str  # the World attribute of who writes
    base: Any  # World -> a valid body for create
    instance: Any  # World -> the object updated
    valid: Any = None  # World -> valid values of id and scale fields
    create: bool = True


def _question_body(w: World) -> dict:
    return {"title": "A question", "team_id": w.question.team_id}


ENDPOINTS = (
    Endpoint(
        "questions",
        "/api/questions/",
        qs.QuestionSerializer,
        "lead",
        _question_body,
        lambda w: w.draft_question,
        lambda w: {"team_id": w.question.team_id, "parent_id": w.question.pk, "tlp": "amber"},
    ),
    Endpoint(
        "hypotheses",
        "/api/hypotheses/",
        qs.HypothesisSerializer,
        "lead",
        lambda w: {"question_id": w.question.pk, "title": "H"},
        lambda w: w.hypothesis,
        lambda w: {"question_id": w.question.pk},
    ),
    Endpoint(
        "evidence-links",
        "/api/evidence-links/",
        qs.EvidenceLinkSerializer,
        "lead",
        lambda w: {
            "question_id": w.question.pk,
            "evidence_id": factories.EvidenceFactory(owner_team=w.question.team).pk,
        },
        lambda w: w.link,
        lambda w: {"question_id": w.question.pk, "evidence_id": w.evidence.pk},
    ),
    Endpoint(
        "hypothesis-ratings",
        "/api/hypothesis-ratings/",
        qs.HypothesisRatingSerializer,
        "lead",
        lambda w: {
            "hypothesis_id": w.hypothesis.pk,
            "evidence_id": stories.link_evidence(w.question, w.analyst, count=1)[0].pk,
            "rating": "neutral",
        },
        lambda w: w.rating,
        lambda w: {"hypothesis_id": w.hypothesis.pk, "evidence_id": w.evidence.pk},
    ),
    Endpoint(
        "assessments",
        "/api/assessments/",
        qs.NewAssessmentDraftSerializer,
        "analyst",
        lambda w: {"question_id": w.question.pk},
        lambda w: w.assessment,
        lambda w: {
            "question_id": w.question.pk,
            "hypothesis_id": w.hypothesis.pk,
            "cited_evidence_ids": [w.evidence.pk],
            "likelihood": 5,
            "confidence": "moderate",
        },
    ),
    Endpoint(
        "comments",
        "/api/comments/",
        qs.CommentSerializer,
        "lead",
        lambda w: {"question_id": w.question.pk, "body": "A comment."},
        None,
        lambda w: {"question_id": w.question.pk},
    ),
    Endpoint(
        "sources",
        "/api/sources/",
        SourceSerializer,
        "lead",
        lambda w: {"name": "A source", "kind": "other"},
        lambda w: w.source,
        lambda w: {"reliability": "B", "kind": "other", "language": "ru"},
    ),
    Endpoint(
        "actors",
        "/api/actors/",
        ActorSerializer,
        "lead",
        lambda w: {"name": "An actor", "kind": "person"},
        lambda w: w.actor,
        lambda w: {"affiliated_with_ids": [w.actor.pk], "kind": "person"},
    ),
    Endpoint(
        "events",
        "/api/events/",
        EventSerializer,
        "lead",
        lambda w: {"title": "An event"},
        lambda w: w.event,
        lambda w: {
            "actor_ids": [w.actor.pk],
            "evidence_ids": [w.evidence.pk],
            "happened_precision": "day",
        },
    ),
    Endpoint(
        "evidence",
        "/api/evidence/",
        EvidenceSerializer,
        "lead",
        lambda w: {"source_id": w.source.pk, "summary": "An item"},
        lambda w: w.evidence,
        lambda w: {
            "source_id": w.source.pk,
            "owner_team_id": w.question.team_id,
            "derived_from_id": w.other_evidence.pk,
            "actor_ids": [w.actor.pk],
            "tlp": "amber",
            "credibility": 3,
            "happened_precision": "day",
            "reported_precision": "day",
        },
    ),
    Endpoint(
        "tokens",
        "/api/tokens/",
        TokenSerializer,
        "lead",
        lambda w: {"name": "script"},
        None,
    ),
)

# A date needs its precision and the reverse (a model rule): hostile dates come with one.
COMPANIONS = {
    "happened_on": {"happened_precision": "day"},
    "reported_on": {"reported_precision": "day"},
    "original_text": {"original_language": "ar"},
}
# Create-only relations that fix what an update may touch, and fields a body cannot send alone.
NOT_ON_UPDATE = {"team_id", "due_at", "question_id", "evidence_id", "hypothesis_id"}


def _read_back(endpoint: Endpoint, client, pk: int, name: str, model_value: Any) -> Any:
    """The stored value as the API answers it (ids are written as `<rel>_id`, read nested)."""
    response = client.get(f"{endpoint.url}{pk}/")
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    if name in data:
        return data[name]
    return model_value


def _model_value(instance, name: str, serializer) -> Any:
    source = serializer.fields[name].source
    value = getattr(instance, source)
    return value.pk if hasattr(value, "pk") else value


def _send(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, encode(body), content_type="application/json")


def _run(endpoint: Endpoint, world: World, *, update: bool) -> Findings:
    user = getattr(world, endpoint.user)
    client = client_for(user)
    valid = endpoint.valid(world) if endpoint.valid else {}
    serializer_class = endpoint.serializer
    if update and endpoint.name == "assessments":
        serializer_class = qs.AssessmentDraftSerializer
    serializer = serializer_class(context={"request": type("R", (), {"user": user})()})
    findings = Findings(f"{'PATCH' if update else 'POST'} {endpoint.url}")
    for target in api_fields(serializer, valid=valid):
        if update and target.name in NOT_ON_UPDATE:
            continue
        for hostile, outcome in inputs_for(target):
            if hostile.name == "10 MB string" and findings.sent_huge:
                continue  # refused by the request's size before any field: once per path
            findings.sent_huge |= hostile.name == "10 MB string"
            instance = endpoint.instance(world) if update else None
            body = {} if update else endpoint.base(world)
            body[target.name] = hostile.value_for(target)
            if body[target.name] is not None:
                body.update(COMPANIONS.get(target.name, {}))
            counts, row = table_counts(), row_of(instance) if instance else None
            url = f"{endpoint.url}{instance.pk}/" if update else endpoint.url
            response = _send(client, "patch" if update else "post", url, body)
            findings.sent += 1
            if outcome is REFUSED:
                ok, why = refused_properly(response, target.name)
                findings.check(ok, hostile, target, f"expected refused, got {why}")
                findings.check(table_counts() == counts, hostile, target, "rows written")
                if instance is not None:
                    findings.check(row_of(instance) == row, hostile, target, "row changed")
                continue
            if response.status_code not in (200, 201):
                findings.check(
                    False,
                    hostile,
                    target,
                    f"expected {outcome_name(outcome)}, got "
                    f"{response.status_code} {response.content[:300]!r}",
                )
                continue
            pk = response.json()["id"]
            stored = (
                serializer_class.Meta.model.objects.get(pk=pk)
                if hasattr(serializer_class, "Meta")
                else Assessment.objects.get(pk=pk)
            )
            if target.kind in ("id", "ids"):
                continue  # a null relation: nothing more to read
            got = _model_value(stored, target.name, serializer)
            findings.check(
                got == outcome.value,
                hostile,
                target,
                f"stored {got!r:.80} instead of {outcome.value!r:.80}",
            )
            answered = _read_back(endpoint, client, pk, target.name, got)
            findings.check(
                answered == outcome.value
                or (target.kind in ("date", "datetime") and answered is None),
                hostile,
                target,
                f"answered {answered!r:.80}",
            )
    return findings


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.create], ids=lambda e: e.name)
def test_it_refuses_or_stores_every_hostile_input_on_create(world, endpoint):
    findings = _run(endpoint, world, update=False)
    assert findings.sent > 40
    findings.assert_none()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.instance], ids=lambda e: e.name)
def test_it_refuses_or_stores_every_hostile_input_on_update(world, endpoint):
    findings = _run(endpoint, world, update=True)
    assert findings.sent > 20
    findings.assert_none()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.create], ids=lambda e: e.name)
@pytest.mark.parametrize("name", BODIES)
def test_it_refuses_a_malformed_body_in_the_one_shape(world, endpoint, name):
    client = client_for(getattr(world, endpoint.user))
    counts = table_counts()
    response = client.post(endpoint.url, BODIES[name], content_type="application/json")
    ok, why = refused_properly(response, None)
    assert ok, why
    assert table_counts() == counts


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.create], ids=lambda e: e.name)
def test_a_duplicated_key_is_refused_naming_the_field(world, endpoint):
    client = client_for(getattr(world, endpoint.user))
    base = endpoint.base(world)
    name, value = next(iter(base.items()))
    body = json.dumps(base)[:-1] + f", {json.dumps(name)}: {json.dumps(value)}}}"
    counts = table_counts()
    response = client.post(endpoint.url, body, content_type="application/json")
    ok, why = refused_properly(response, name)
    assert ok and response.status_code == 400, why
    assert response.json()["code"] == "invalid"
    assert table_counts() == counts


def test_each_endpoint_base_body_is_valid(world):
    """The bodies the hostile values are put into are themselves accepted."""
    for endpoint in ENDPOINTS:
        client = client_for(getattr(world, endpoint.user))
        response = _send(client, "post", endpoint.url, endpoint.base(world))
        assert response.status_code in (200, 201), (endpoint.name, response.content[:300])


def test_read_only_fields_in_a_body_change_nothing(world):
    """Mass assignment: status, author and key fields in a body are ignored, not obeyed."""
    client = client_for(world.lead)
    body = {
        **_question_body(world),
        "status": "assessed",
        "created_by": world.analyst.pk,
        "assignee": world.analyst.pk,
        "status_changed_at": timezone.now().isoformat(),
    }
    response = client.post("/api/questions/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["created_by"]["id"], data["assignee"]) == (
        "draft",
        world.lead.pk,
        None,
    )
    assert Hypothesis.objects.filter(question_id=data["id"]).count() == 0
