"""Bring a question to any workflow state the way people do: through questions.workflow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.models import role_group
from questions import workflow
from questions.assessments import save_draft
from questions.choices import Confidence, Likelihood, Status
from questions.models import Assessment, EvidenceLink, Question, Review, Transition
from tests import factories

# The order a question normally travels; `closed` is reached from `open` to keep stories short.
PATH = [Status.DRAFT, Status.OPEN, Status.ASSIGNED, Status.IN_ANALYSIS, Status.IN_REVIEW]


@dataclass
class Cast:
    lead: object
    analyst: object
    reviewer: object


def grant(user, role) -> None:
    """Give `user` a role, forgetting the roles has_role cached on the object."""
    user.groups.add(role_group(role))
    user.__dict__.pop("_iqtrack_roles", None)


def link_evidence(question: Question, user, count: int = 2) -> list:
    items = [factories.EvidenceFactory() for _ in range(count)]
    for item in items:
        EvidenceLink.objects.create(question=question, evidence=item, linked_by=user)
    return items


def consider_hypotheses(question: Question, count: int = 2) -> None:
    """Tradecraft wants at least two competing hypotheses before a submission."""
    for _ in range(count - question.hypotheses.count()):
        factories.HypothesisFactory(question=question)


def write_draft(question: Question, analyst, **overrides) -> Assessment:
    consider_hypotheses(question)
    evidence = overrides.pop("cited_evidence", None) or link_evidence(question, analyst)
    content = {
        "key_judgments": "We assess that the meeting took place.",
        "likelihood": Likelihood.LIKELY,
        "confidence": Confidence.MODERATE,
        "cited_evidence": evidence,
        **overrides,
    }
    return save_draft(question, analyst, **content)


def question_in(state: str, cast: Cast, **question_fields) -> Question:
    """A question of `cast.lead`'s team, moved to `state` through the workflow."""
    team = cast.lead.led_teams.first()
    question = factories.QuestionFactory(team=team, created_by=cast.lead, **question_fields)
    if state == Status.DRAFT:
        return question
    workflow.publish(question, cast.lead)
    if state == Status.CLOSED:
        workflow.close(question, cast.lead, reason="Overtaken by events.")
        return question
    if state == Status.OPEN:
        return question
    workflow.assign(
        question,
        cast.lead,
        analyst=cast.analyst,
        reviewer=cast.reviewer,
        due_at=timezone.now() + dt.timedelta(days=7),
    )
    if state == Status.ASSIGNED:
        return question
    workflow.start(question, cast.analyst)
    if state == Status.IN_ANALYSIS:
        return question
    write_draft(question, cast.analyst)
    workflow.submit(question, cast.analyst)
    if state == Status.IN_REVIEW:
        return question
    workflow.approve(question, cast.reviewer, comment="Sound.")
    assert state == Status.ASSESSED, state
    return question


def snapshot(question: Question) -> dict:
    """Everything a refused step must leave as it was."""
    row = Question.objects.get(pk=question.pk)
    return {
        "question": model_to_dict(row),
        "transitions": Transition.objects.filter(question=question).count(),
        "reviews": Review.objects.filter(assessment__question=question).count(),
        "assessments": list(
            Assessment.objects.filter(question=question)
            .order_by("version")
            .values("version", "state", "content_hash", "key_judgments", "change_note")
        ),
        "history": Question.history.filter(id=question.pk).count(),
        "assessment_history": Assessment.history.filter(question_id=question.pk).count(),
    }
