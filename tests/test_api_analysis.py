"""The analysis in the API: ACH matrix, tradecraft checks, search and timeline — their answers,
visibility (an outsider gets 404 or no hits), errors, and the ACH endpoint's query count."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.choices import Corroboration, DatePrecision, Language, Reliability, Tlp
from questions.choices import AchRating
from questions.models import EvidenceLink, HypothesisRating
from tests import factories
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in, write_draft

pytestmark = pytest.mark.django_db


def link(question, evidence):
    EvidenceLink.objects.create(question=question, evidence=evidence)
    return evidence


@pytest.fixture
def matrix(team, lead):
    """H1 = 0.36 (C3 inconsistent), H2 = 2.36 (A1 very inconsistent + C3 inconsistent): the A1
    item is the linchpin, the C3 item (same rating everywhere) has no diagnostic value."""
    question = factories.QuestionFactory(team=team, created_by=lead)
    h1 = factories.HypothesisFactory(question=question, position=1)
    h2 = factories.HypothesisFactory(question=question, position=2)
    strong = link(
        question,
        factories.EvidenceFactory(
            source=factories.SourceFactory(reliability=Reliability.A),
            credibility=1,
            corroboration=Corroboration.CORROBORATED,
            owner_team=team,
        ),
    )
    weak = link(
        question,
        factories.EvidenceFactory(
            source=factories.SourceFactory(reliability=Reliability.C),
            credibility=3,
            corroboration=Corroboration.SINGLE_SOURCE,
            owner_team=team,
        ),
    )
    for hypothesis, evidence, rating in [
        (h1, strong, AchRating.CONSISTENT),
        (h2, strong, AchRating.VERY_INCONSISTENT),
        (h1, weak, AchRating.INCONSISTENT),
        (h2, weak, AchRating.INCONSISTENT),
    ]:
        HypothesisRating.objects.create(hypothesis=hypothesis, evidence=evidence, rating=rating)
    return {"question": question, "h1": h1, "h2": h2, "strong": strong, "weak": weak}


# ---------------------------------------------------------------------------------------------
# ACH
# ---------------------------------------------------------------------------------------------
def test_it_answers_the_matrix_with_scores_diagnosticity_and_linchpins(analyst, matrix):
    body = client_for(analyst).get(f"/api/questions/{matrix['question'].pk}/ach/").json()
    h1, h2, strong, weak = (matrix[k].pk for k in ("h1", "h2", "strong", "weak"))
    scores = {h["id"]: (h["inconsistency"], h["rank"], h["top"]) for h in body["hypotheses"]}
    assert scores == {h1: (0.36, 1, True), h2: (2.36, 2, False)}
    assert body["ranking"] == [h1, h2]
    assert body["linchpins"] == [strong]
    rows = {e["id"]: e for e in body["evidence"]}
    assert rows[strong]["diagnosticity"] == 3 and rows[strong]["linchpin"] is True
    assert rows[weak]["diagnosticity"] == 0 and rows[weak]["linchpin"] is False
    assert rows[strong]["grading"] == "A1" and rows[weak]["grading"] == "C3"
    assert rows[weak]["single_source_or_unconfirmed"] is True
    assert rows[strong]["single_source_or_unconfirmed"] is False
    assert rows[weak]["weight"] == 0.36
    assert {"evidence_id": strong, "hypothesis_id": h2, "rating": "very_inconsistent"} in body[
        "ratings"
    ]
    assert len(body["ratings"]) == 4 and "withheld" not in body


def _as_objects(value):
    """JSON as objects with attributes, as serializers read their instances."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _as_objects(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_as_objects(v) for v in value]
    return value


def test_the_matrix_answers_exactly_the_documented_shape(analyst, matrix):
    """The view builds its answer as plain data; run through AchSerializer (what the OpenAPI
    schema documents) it must come out unchanged: the same keys, nothing more, the same types."""
    from questions.api.analysis import AchSerializer

    link(matrix["question"], factories.EvidenceFactory(derived_from=matrix["strong"]))
    body = client_for(analyst).get(f"/api/questions/{matrix['question'].pk}/ach/").json()
    assert json.loads(json.dumps(AchSerializer(_as_objects(body)).data)) == body
    assert list(body) == list(AchSerializer().fields)
    assert list(body["evidence"][0]) == list(AchSerializer().fields["evidence"].child.fields)
    ratings = [(r["evidence_id"], r["hypothesis_id"]) for r in body["ratings"]]
    assert ratings == sorted(ratings) and len(ratings) == 4


def test_the_matrix_is_written_as_drf_writes_any_answer(analyst, matrix, team):
    """AchJSONRenderer writes the ratings itself: the bytes must be JSONRenderer's, compact (the
    default) or indented on request, whatever the texts hold."""
    from rest_framework.renderers import JSONRenderer

    link(
        matrix["question"],
        factories.EvidenceFactory(
            summary='Said "no" \u2028 in Zürich \\ \u2029 ☂', owner_team=team
        ),
    )
    url = f"/api/questions/{matrix['question'].pk}/ach/"
    compact = client_for(analyst).get(url).content
    assert compact == JSONRenderer().render(json.loads(compact))
    assert b"\\u2028" in compact and "Zürich".encode() in compact
    indented = client_for(analyst).get(url, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content == JSONRenderer().render(
        json.loads(compact), "application/json; indent=2"
    )


def test_it_names_the_item_a_repeated_report_originates_from(analyst, matrix):
    echo = link(matrix["question"], factories.EvidenceFactory(derived_from=matrix["strong"]))
    body = client_for(analyst).get(f"/api/questions/{matrix['question'].pk}/ach/").json()
    repeats = {e["id"]: e["repeats_id"] for e in body["evidence"]}
    assert repeats[echo.pk] == matrix["strong"].pk and repeats[matrix["strong"].pk] is None


def test_an_outsider_gets_404_for_the_matrix(outsider, matrix):
    response = client_for(outsider).get(f"/api/questions/{matrix['question'].pk}/ach/")
    assert_error(response, 404, "not_found")


def test_the_matrix_needs_a_signed_in_user(matrix):
    response = client_for(None).get(f"/api/questions/{matrix['question'].pk}/ach/")
    assert_error(response, 401)


def _ach_queries(client, question) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/questions/{question.pk}/ach/")
    assert response.status_code == 200
    return len(queries)


def test_the_matrix_takes_the_same_queries_for_1_and_50_evidence_rows(team, lead, analyst):
    small, large = (factories.QuestionFactory(team=team, created_by=lead) for _ in range(2))
    for question, count in ((small, 1), (large, 50)):
        hypotheses = [factories.HypothesisFactory(question=question) for _ in range(3)]
        for _ in range(count):
            item = link(question, factories.EvidenceFactory(owner_team=team))
            for hypothesis in hypotheses:
                HypothesisRating.objects.create(
                    hypothesis=hypothesis, evidence=item, rating=AchRating.INCONSISTENT
                )
    client = client_for(analyst)
    _ach_queries(client, small)  # warm caches (content types, the token's user)
    assert _ach_queries(client, small) == _ach_queries(client, large)


# ---------------------------------------------------------------------------------------------
# Tradecraft
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


def test_it_answers_the_blocking_findings_and_warnings_of_a_version(cast):
    question = question_in("in_analysis", cast)
    draft = write_draft(
        question, cast.analyst, key_judgments="Very likely, 90 %.", confidence="high"
    )
    body = client_for(cast.analyst).get(f"/api/assessments/{draft.pk}/tradecraft/").json()
    assert body["assessment_id"] == draft.pk and body["version"] == 1 and body["ok"] is False
    assert {f["code"] for f in body["blocking"]} == {
        "percentage_outside_step",
        "likelihood_terms_disagree",
    }
    assert {f["code"] for f in body["warnings"]} == {"high_confidence_weak_evidence"}
    finding = body["blocking"][0]
    assert set(finding) == {"code", "severity", "message", "field"}
    assert finding["severity"] == "blocking" and finding["field"] == "key_judgments"


def test_a_clean_version_is_ok(cast):
    question = question_in("in_review", cast)
    version = question.submitted_assessment()
    body = client_for(cast.reviewer).get(f"/api/assessments/{version.pk}/tradecraft/").json()
    assert body == {
        "assessment_id": version.pk,
        "version": 1,
        "ok": True,
        "blocking": [],
        "warnings": [],
    }


def test_an_outsider_gets_404_for_the_tradecraft_checks(cast, outsider):
    question = question_in("in_review", cast)
    version = question.submitted_assessment()
    response = client_for(outsider).get(f"/api/assessments/{version.pk}/tradecraft/")
    assert_error(response, 404, "not_found")


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def searchable(team):
    arabic = factories.EvidenceFactory(
        summary="Al-Arouri affirmed the right to armed resistance",
        original_language=Language.AR,
        original_text="أكد الوفد حقه المشروع في المقاومة المسلحة",
        translation="The delegation affirmed its right to armed resistance",
        tlp=Tlp.AMBER,
        owner_team=team,
    )
    hidden = factories.EvidenceFactory(
        summary="Delegation seen by another team only",
        tlp=Tlp.AMBER,
        owner_team=factories.TeamFactory(name="Elsewhere", slug="elsewhere"),
    )
    return {"arabic": arabic, "hidden": hidden}


def test_search_answers_ranked_hits_with_marked_right_to_left_snippets(analyst, searchable):
    body = client_for(analyst).get("/api/search/", {"q": "المقاومة"}).json()
    assert body["query"] == "المقاومة"
    hit = next(h for h in body["results"] if h["kind"] == "evidence")
    assert hit["id"] == searchable["arabic"].pk
    assert hit["rtl"] is True and hit["language"] == "ar" and "<mark>" in hit["snippet"]
    assert set(hit) == {"kind", "id", "title", "snippet", "rank", "language", "rtl"}


def test_search_never_answers_what_the_user_may_not_see(analyst, outsider, searchable):
    ids = {
        h["id"]
        for h in client_for(analyst).get("/api/search/", {"q": "delegation"}).json()["results"]
    }
    assert searchable["arabic"].pk in ids and searchable["hidden"].pk not in ids
    body = client_for(outsider).get("/api/search/", {"q": "delegation"}).json()
    assert body["results"] == []


def test_search_narrows_to_the_kinds_asked_for(analyst, team, searchable):
    factories.QuestionFactory(team=team, title="Which delegation travelled?")
    body = client_for(analyst).get("/api/search/", {"q": "delegation", "kind": "question"}).json()
    assert body["results"] and {h["kind"] for h in body["results"]} == {"question"}


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "q"),
        ({"q": "  "}, "q"),
        ({"q": "x", "kind": "secret"}, "kind"),
        ({"q": "x", "limit": "0"}, "limit"),
    ],
)
def test_a_malformed_search_is_a_400_naming_the_parameter(analyst, params, field):
    body = assert_error(client_for(analyst).get("/api/search/", params), 400, "invalid")
    assert any(name.startswith(field) for name in body["fields"]), body


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------
def test_the_timeline_is_chronological_with_the_reported_precision(team, lead, analyst):
    question = factories.QuestionFactory(team=team, created_by=lead)
    sub = factories.QuestionFactory(team=team, created_by=lead, parent=question)
    month = link(
        question,
        factories.EvidenceFactory(
            happened_on=dt.date(2023, 10, 1),
            happened_precision=DatePrecision.MONTH,
            owner_team=team,
        ),
    )
    year = link(
        sub,
        factories.EvidenceFactory(
            happened_on=dt.date(2006, 1, 1), happened_precision=DatePrecision.YEAR, owner_team=team
        ),
    )
    approximate = link(
        question,
        factories.EvidenceFactory(
            happened_on=dt.date(2023, 9, 23),
            happened_precision=DatePrecision.APPROXIMATE,
            owner_team=team,
        ),
    )
    hidden = factories.EvidenceFactory(
        tlp=Tlp.AMBER, owner_team=factories.TeamFactory(name="Elsewhere", slug="elsewhere")
    )
    event = factories.EventFactory(happened_on=dt.date(2023, 10, 26), happened_precision="day")
    event.evidence.add(month, hidden)

    body = client_for(analyst).get(f"/api/questions/{question.pk}/timeline/").json()
    assert [(e["kind"], e["id"]) for e in body] == [
        ("evidence", year.pk),
        ("evidence", approximate.pk),
        ("evidence", month.pk),
        ("event", event.pk),
    ]
    assert [e["display"] for e in body] == ["2006", "c. 2023-09-23", "2023-10", "2023-10-26"]
    assert [e["approximate"] for e in body] == [False, True, False, False]
    assert body[0]["grading"] == "C6" and body[3]["grading"] == ""
    assert [item["id"] for item in body[3]["evidence"]] == [month.pk]  # not the hidden one


def test_an_outsider_gets_404_for_the_timeline(team, lead, outsider):
    question = factories.QuestionFactory(team=team, created_by=lead)
    response = client_for(outsider).get(f"/api/questions/{question.pk}/timeline/")
    assert_error(response, 404, "not_found")


def _timeline_queries(client, question) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/questions/{question.pk}/timeline/")
    assert response.status_code == 200
    return len(queries)


def test_the_timeline_takes_the_same_queries_for_1_and_50_items(team, lead, analyst):
    small, large = (factories.QuestionFactory(team=team, created_by=lead) for _ in range(2))
    for question, count in ((small, 1), (large, 50)):
        for _ in range(count):
            item = link(question, factories.EvidenceFactory(owner_team=team))
            item.actors.add(factories.ActorFactory())
            event = factories.EventFactory()
            event.evidence.add(item)
            event.actors.add(factories.ActorFactory())
    client = client_for(analyst)
    _timeline_queries(client, small)
    assert _timeline_queries(client, small) == _timeline_queries(client, large)
