"""The analysis read-outs: the ACH matrix of a question, the tradecraft checks of a version,
and search — the domain's own computations, scoped like everything else."""

from __future__ import annotations

import pytest

from questions.choices import Status
from questions.models import HypothesisRating
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


def test_it_ranks_hypotheses_by_weighted_inconsistency(cast):
    question = question_in(Status.IN_REVIEW, cast)
    first, second = (question.evidence_links.order_by("id")[i].evidence for i in range(2))
    # The story considered two hypotheses; name them.
    direct, proxy = question.hypotheses.order_by("id")
    for hypothesis, title in ((direct, "Direct support"), (proxy, "Through Iran")):
        hypothesis.title = title
        hypothesis.save()
    for evidence, rating in ((first, "inconsistent"), (second, "very_inconsistent")):
        HypothesisRating.objects.create(hypothesis=direct, evidence=evidence, rating=rating)
        HypothesisRating.objects.create(hypothesis=proxy, evidence=evidence, rating="consistent")

    matrix = client_for(cast.reviewer).get(f"/api/questions/{question.pk}/ach/").json()

    ranked = {h["title"]: (h["rank"], h["first"]) for h in matrix["hypotheses"]}
    assert ranked == {"Through Iran": (1, True), "Direct support": (2, False)}
    assert {e["id"] for e in matrix["evidence"]} == {first.pk, second.pk}
    assert all(e["diagnosticity"] > 0 and e["weight"] > 0 for e in matrix["evidence"])
    assert len(matrix["ratings"]) == 4


def test_it_runs_the_tradecraft_checks_on_a_version(cast):
    question = question_in(Status.IN_REVIEW, cast)
    version = question.assessments.get()
    # Since the submission, one of the two competing hypotheses was dropped.
    question.hypotheses.order_by("id").last().delete()

    report = client_for(cast.reviewer).get(f"/api/assessments/{version.pk}/checks/").json()

    assert set(report) == {"ok", "findings"}
    assert all(set(f) == {"code", "severity", "message", "field"} for f in report["findings"])
    assert report["ok"] is False
    assert "too_few_hypotheses" in [f["code"] for f in report["findings"]]


def test_it_searches_only_what_the_user_may_see(cast, outsider):
    question = question_in(Status.OPEN, cast, title="Wagner convoy through Sudan?")

    mine = client_for(cast.analyst).get("/api/search/", {"q": "Wagner"}).json()
    theirs = client_for(outsider).get("/api/search/", {"q": "Wagner"}).json()

    assert [(h["kind"], h["id"]) for h in mine] == [("question", question.pk)]
    assert theirs == []


def test_it_needs_a_query_to_search(analyst):
    assert "q" in assert_error(client_for(analyst).get("/api/search/"), 400)["fields"]


def test_it_answers_404_for_the_matrix_of_a_question_out_of_sight(cast, outsider):
    question = question_in(Status.OPEN, cast)

    assert_error(client_for(outsider).get(f"/api/questions/{question.pk}/ach/"), 404)
