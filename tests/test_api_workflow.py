"""A question driven from draft to assessed through the API, as lead, analyst and reviewer,
and every step refused to the wrong person (403) or in the wrong state (409)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from questions.choices import Action, Status
from questions.models import Question, Transition
from tests import factories
from tests.api_support import assert_error, client_for
from tests.stories import Cast, link_evidence, question_in, write_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


def _in(future_days: int = 7) -> str:
    return (timezone.now() + dt.timedelta(days=future_days)).isoformat()


def test_it_takes_a_question_from_draft_to_assessed(team, lead, analyst, reviewer):
    as_lead, as_analyst, as_reviewer = map(client_for, (lead, analyst, reviewer))

    made = as_lead.post(
        "/api/questions/",
        {"title": "Did Russia support Hamas before 7 October?", "team_id": team.pk, "priority": 4},
        format="json",
    )
    assert made.status_code == 201, made.json()
    question = made.json()
    qid = question["id"]
    assert question["status"] == Status.DRAFT
    assert question["created_by"]["username"] == "lead"
    assert Action.PUBLISH in question["available_actions"]

    published = as_lead.post(f"/api/questions/{qid}/publish/", {}, format="json")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == Status.OPEN

    assigned = as_lead.post(
        f"/api/questions/{qid}/assign/",
        {"analyst_id": analyst.pk, "reviewer_id": reviewer.pk, "due_at": _in()},
        format="json",
    )
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["assignee"]["id"] == analyst.pk
    assert assigned.json()["reviewer"]["id"] == reviewer.pk

    started = as_analyst.post(f"/api/questions/{qid}/start/", format="json")
    assert started.json()["status"] == Status.IN_ANALYSIS

    source = as_analyst.post(
        "/api/sources/", {"name": "The Insider", "kind": "news_outlet", "reliability": "C"}
    ).json()
    evidence = as_analyst.post(
        "/api/evidence/",
        {
            "source_id": source["id"],
            "summary": "Hamas delegation met officials in Moscow.",
            "happened_on": "2023-03-16",
            "happened_precision": "day",
            "credibility": 3,
            "owner_team_id": team.pk,
        },
        format="json",
    )
    assert evidence.status_code == 201, evidence.json()
    evidence_id = evidence.json()["id"]
    hypothesis = as_analyst.post(
        "/api/hypotheses/", {"question_id": qid, "title": "Direct support"}, format="json"
    )
    assert hypothesis.status_code == 201, hypothesis.json()
    # Tradecraft: at least two competing hypotheses before a submission.
    alternative = as_analyst.post(
        "/api/hypotheses/", {"question_id": qid, "title": "Diplomacy only"}, format="json"
    )
    assert alternative.status_code == 201, alternative.json()
    link = as_analyst.post(
        "/api/evidence-links/", {"question_id": qid, "evidence_id": evidence_id}, format="json"
    )
    assert link.status_code == 201, link.json()
    rating = as_analyst.post(
        "/api/hypothesis-ratings/",
        {
            "hypothesis_id": hypothesis.json()["id"],
            "evidence_id": evidence_id,
            "rating": "consistent",
        },
        format="json",
    )
    assert rating.status_code == 201, rating.json()

    draft = as_analyst.post(
        "/api/assessments/",
        {
            "question_id": qid,
            "key_judgments": "We assess that Russia likely knew of the plans.",
            "likelihood": 5,
            "confidence": "moderate",
            "cited_evidence_ids": [evidence_id],
        },
        format="json",
    )
    assert draft.status_code == 201, draft.json()
    assert draft.json()["version"] == 1
    assert [e["id"] for e in draft.json()["cited_evidence"]] == [evidence_id]

    submitted = as_analyst.post(f"/api/questions/{qid}/submit/", format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == Status.IN_REVIEW

    approved = as_reviewer.post(
        f"/api/questions/{qid}/approve/", {"comment": "Well sourced."}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == Status.ASSESSED

    version = as_reviewer.get(f"/api/assessments/{draft.json()['id']}/").json()
    assert version["state"] == "approved"
    assert len(version["content_hash"]) == 64
    reviews = as_lead.get("/api/reviews/", {"question_id": qid}).json()["results"]
    assert [(r["decision"], r["reviewer"]["id"]) for r in reviews] == [("approve", reviewer.pk)]
    steps = as_lead.get("/api/transitions/", {"question_id": qid}).json()["results"]
    # Newest first, as every list of records (iqtrack.api.pagination.CursorPages).
    assert [t["action"] for t in steps] == ["approve", "submit", "start", "assign", "publish"]


def test_the_analyst_records_the_supported_hypothesis_through_the_api(cast):
    question = question_in(Status.IN_ANALYSIS, cast)
    draft = write_draft(question, cast.analyst)
    supported = factories.HypothesisFactory(question=question, title="Iran armed Hamas")
    elsewhere = factories.HypothesisFactory(question__team=question.team)
    as_analyst = client_for(cast.analyst)
    url = f"/api/assessments/{draft.pk}/"

    refused = as_analyst.patch(url, {"hypothesis_id": elsewhere.pk}, format="json")
    assert list(assert_error(refused, 400)["fields"]) == ["hypothesis"]
    saved = as_analyst.patch(url, {"hypothesis_id": supported.pk}, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["hypothesis"] == {
        "id": supported.pk,
        "key": supported.key,
        "title": "Iran armed Hamas",
        "question_id": question.pk,
    }
    cleared = as_analyst.patch(url, {"hypothesis_id": None}, format="json")
    assert cleared.json()["hypothesis"] is None
    draft.refresh_from_db()
    assert draft.hypothesis is None


def test_it_returns_a_version_with_a_comment_and_takes_the_revision(cast):
    question = question_in(Status.IN_REVIEW, cast)
    as_reviewer, as_analyst = client_for(cast.reviewer), client_for(cast.analyst)

    returned = as_reviewer.post(
        f"/api/questions/{question.pk}/return/", {"comment": "Cite the TASS report."}, format="json"
    )
    assert returned.status_code == 200, returned.json()
    assert returned.json()["status"] == Status.IN_ANALYSIS

    revision = as_analyst.post(
        "/api/assessments/",
        {"question_id": question.pk, "change_note": "Added the TASS report."},
        format="json",
    )
    assert revision.status_code == 201, revision.json()
    assert revision.json()["version"] == 2
    saved = as_analyst.patch(
        f"/api/assessments/{revision.json()['id']}/", {"confidence": "high"}, format="json"
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["confidence"] == "high"
    again = as_analyst.post(
        "/api/assessments/", {"question_id": question.pk, "likelihood": 6}, format="json"
    )
    assert again.status_code == 200  # the same draft, saved
    assert again.json()["id"] == revision.json()["id"]


def test_it_reads_the_history_of_a_question(cast):
    question = question_in(Status.ASSESSED, cast)
    client_for(cast.lead).post(
        "/api/comments/", {"question_id": question.pk, "body": "Good work."}, format="json"
    )

    history = client_for(cast.analyst).get(f"/api/questions/{question.pk}/history/")

    assert history.status_code == 200
    entries = history.json()
    steps = [e["action"] for e in entries if e["kind"] == "transition"]
    assert steps == ["publish", "assign", "start", "submit", "approve"]
    approve = next(e for e in entries if e["action"] == "approve")
    assert approve["actor"]["username"] == "reviewer"
    assert approve["review"]["decision"] == "approve"
    assert any(e["kind"] == "comment" and e["comment"] == "Good work." for e in entries)


# ---------------------------------------------------------------------------------------------
# Every step refused: the wrong person (403) and the wrong state (409), each with its code
# ---------------------------------------------------------------------------------------------

STEP_BODY = {
    Action.ASSIGN: lambda cast: {
        "analyst_id": cast.analyst.pk,
        "reviewer_id": cast.reviewer.pk,
        "due_at": _in(),
    },
    Action.RETURN: lambda cast: {"comment": "Redo it."},
    Action.REOPEN: lambda cast: {"reason": "New reporting."},
    Action.CLOSE: lambda cast: {"reason": "Overtaken by events."},
}

# (step, the state it applies in, someone on the team it is not for)
WRONG_PERSON = [
    (Action.PUBLISH, Status.DRAFT, "analyst"),
    (Action.ASSIGN, Status.OPEN, "reviewer"),
    (Action.START, Status.ASSIGNED, "lead"),
    (Action.SUBMIT, Status.IN_ANALYSIS, "reviewer"),
    (Action.APPROVE, Status.IN_REVIEW, "analyst"),
    (Action.RETURN, Status.IN_REVIEW, "lead"),
    (Action.REOPEN, Status.ASSESSED, "analyst"),
    (Action.CLOSE, Status.OPEN, "reviewer"),
]


@pytest.mark.parametrize(("step", "state", "who"), WRONG_PERSON)
def test_it_refuses_a_step_to_the_wrong_person_with_403(cast, step, state, who):
    question = question_in(state, cast)
    if step == Action.SUBMIT:
        write_draft(question, cast.analyst)
    transitions_before = Transition.objects.filter(question=question).count()
    body = STEP_BODY.get(step, lambda cast: {})(cast)

    answer = client_for(getattr(cast, who)).post(
        f"/api/questions/{question.pk}/{step}/", body, format="json"
    )

    error = assert_error(answer, 403)
    assert error["code"].startswith("not_") or error["code"].startswith("reviewer_is_")
    question.refresh_from_db()
    assert question.status == state
    assert Transition.objects.filter(question=question).count() == transitions_before


# (step, a state it does not apply in, the person it is for)
WRONG_STATE = [
    (Action.PUBLISH, Status.OPEN, "lead"),
    (Action.ASSIGN, Status.DRAFT, "lead"),
    (Action.START, Status.OPEN, "analyst"),
    (Action.START, Status.IN_ANALYSIS, "analyst"),
    (Action.SUBMIT, Status.ASSIGNED, "analyst"),
    (Action.APPROVE, Status.IN_ANALYSIS, "reviewer"),
    (Action.RETURN, Status.ASSESSED, "reviewer"),
    (Action.REOPEN, Status.IN_REVIEW, "lead"),
    (Action.CLOSE, Status.CLOSED, "lead"),
]


@pytest.mark.parametrize(("step", "state", "who"), WRONG_STATE)
def test_it_refuses_a_step_in_the_wrong_state_with_409(cast, step, state, who):
    question = question_in(state, cast)
    transitions_before = Transition.objects.filter(question=question).count()
    body = STEP_BODY.get(step, lambda cast: {})(cast)

    answer = client_for(getattr(cast, who)).post(
        f"/api/questions/{question.pk}/{step}/", body, format="json"
    )

    assert_error(answer, 409, "wrong_state")
    question.refresh_from_db()
    assert question.status == state
    assert Transition.objects.filter(question=question).count() == transitions_before


def test_it_refuses_submitting_without_a_draft_with_409(cast):
    question = question_in(Status.IN_ANALYSIS, cast)

    answer = client_for(cast.analyst).post(f"/api/questions/{question.pk}/submit/")

    assert_error(answer, 409, "no_draft")


def test_it_refuses_an_incomplete_draft_with_field_errors(cast):
    question = question_in(Status.IN_ANALYSIS, cast)
    write_draft(question, cast.analyst, confidence="")

    answer = client_for(cast.analyst).post(f"/api/questions/{question.pk}/submit/")

    error = assert_error(answer, 400, "draft_incomplete")
    assert "confidence" in error["fields"]


@pytest.mark.parametrize(("step", "field"), [(Action.RETURN, "comment"), (Action.CLOSE, "reason")])
def test_it_requires_a_comment_or_reason_where_the_workflow_does(cast, step, field):
    question = question_in(Status.IN_REVIEW, cast)
    who = cast.reviewer if step == Action.RETURN else cast.lead

    answer = client_for(who).post(f"/api/questions/{question.pk}/{step}/", {field: " "})

    assert field in assert_error(answer, 400)["fields"]
    question.refresh_from_db()
    assert question.status == Status.IN_REVIEW


def test_it_refuses_an_assignment_the_workflow_refuses(cast, outsider):
    question = question_in(Status.OPEN, cast)

    answer = client_for(cast.lead).post(
        f"/api/questions/{question.pk}/assign/",
        {"analyst_id": cast.analyst.pk, "reviewer_id": cast.analyst.pk},
        format="json",
    )

    assert "reviewer" in assert_error(answer, 400)["fields"]


def test_it_reports_a_refusal_of_the_whole_request_as_non_field_errors(cast):
    question = question_in(Status.ASSIGNED, cast)
    same = {"analyst_id": cast.analyst.pk, "reviewer_id": cast.reviewer.pk}

    answer = client_for(cast.lead).post(f"/api/questions/{question.pk}/assign/", same)

    assert list(assert_error(answer, 400)["fields"]) == ["non_field_errors"]


def test_it_refuses_the_assessment_to_anyone_but_the_analyst(cast):
    question = question_in(Status.IN_ANALYSIS, cast)

    answer = client_for(cast.reviewer).post(
        "/api/assessments/", {"question_id": question.pk, "likelihood": 5}, format="json"
    )

    assert_error(answer, 403, "not_assigned_analyst")


def test_it_never_changes_a_submitted_version(cast):
    question = question_in(Status.IN_REVIEW, cast)
    version = question.assessments.get()

    answer = client_for(cast.analyst).patch(
        f"/api/assessments/{version.pk}/", {"likelihood": 7}, format="json"
    )

    assert_error(answer, 409)
    version.refresh_from_db()
    assert version.likelihood != 7


def test_it_refuses_question_edits_to_all_but_the_lead(cast):
    question = question_in(Status.OPEN, cast)

    answer = client_for(cast.analyst).patch(
        f"/api/questions/{question.pk}/", {"title": "Hijacked"}, format="json"
    )

    assert_error(answer, 403, "not_team_lead")
    assert Question.objects.get(pk=question.pk).title != "Hijacked"


def test_it_lets_only_a_lead_of_the_team_ask_a_question(team, analyst):
    answer = client_for(analyst).post(
        "/api/questions/", {"title": "Mine?", "team_id": team.pk}, format="json"
    )

    assert_error(answer, 403, "not_team_lead")
    assert not Question.objects.filter(title="Mine?").exists()


def test_it_refuses_moving_a_question_to_another_team(cast):
    question = question_in(Status.OPEN, cast)
    other = factories.TeamFactory()
    other.members.add(cast.lead)

    answer = client_for(cast.lead).patch(
        f"/api/questions/{question.pk}/", {"team_id": other.pk}, format="json"
    )

    assert "team_id" in assert_error(answer, 400)["fields"]


def test_it_lets_the_team_link_evidence_only_while_the_analysis_is_open(cast):
    question = question_in(Status.IN_REVIEW, cast)
    evidence = link_evidence(question, cast.analyst, count=1)[0]
    other = factories.EvidenceFactory(tlp="green")

    answer = client_for(cast.analyst).post(
        "/api/evidence-links/", {"question_id": question.pk, "evidence_id": other.pk}
    )

    assert_error(answer, 409, "wrong_state")
    assert evidence.question_links.count() == 1
