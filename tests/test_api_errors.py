"""One error shape for every 4xx: `{"code", "message", "fields"}`."""

from __future__ import annotations

import pytest

from questions.choices import Status
from tests import factories
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


def test_it_names_each_invalid_field(team, lead):
    answer = client_for(lead).post(
        "/api/questions/", {"team_id": team.pk, "priority": 9}, format="json"
    )

    error = assert_error(answer, 400, "invalid")
    assert set(error["fields"]) == {"title", "priority"}
    assert "title" in error["message"] and "priority" in error["message"]


def test_it_names_each_invalid_filter(analyst):
    answer = client_for(analyst).get("/api/questions/", {"status": "pondering", "team_id": "x"})

    assert set(assert_error(answer, 400, "invalid")["fields"]) == {"status", "team_id"}


def test_it_reports_a_rule_of_the_model_as_a_field_error(analyst):
    source = factories.SourceFactory()

    answer = client_for(analyst).post(
        "/api/evidence/",
        {"source_id": source.pk, "summary": "Undated", "happened_on": "2023-03-16"},
        format="json",
    )

    error = assert_error(answer, 400, "invalid")
    assert list(error["fields"]) == ["non_field_errors"]  # a date needs its precision


def test_it_reports_duplicates_as_field_errors(lead, analyst, reviewer):
    question = question_in(Status.IN_ANALYSIS, Cast(lead, analyst, reviewer))
    evidence = factories.EvidenceFactory(tlp="green")
    body = {"question_id": question.pk, "evidence_id": evidence.pk}
    client = client_for(analyst)
    client.post("/api/evidence-links/", body, format="json")

    assert_error(client.post("/api/evidence-links/", body, format="json"), 400, "invalid")


def test_it_reports_unreadable_json(analyst):
    answer = client_for(analyst).generic(
        "POST", "/api/sources/", "{not json", content_type="application/json"
    )

    assert_error(answer, 400, "parse_error")


def test_it_reports_an_unsupported_body_type(analyst):
    answer = client_for(analyst).generic(
        "POST", "/api/sources/", "name=x", content_type="text/plain"
    )

    assert_error(answer, 415, "unsupported_media_type")


def test_it_reports_a_missing_object_and_a_page_past_the_end(analyst):
    client = client_for(analyst)

    assert_error(client.get("/api/questions/987654/"), 404, "not_found")
    assert_error(client.get("/api/questions/not-a-number/"), 404, "not_found")
    assert_error(client.get("/api/questions/", {"page": 99}), 404, "not_found")


def test_it_reports_a_method_the_endpoint_does_not_have(lead, analyst, reviewer):
    question = question_in(Status.DRAFT, Cast(lead, analyst, reviewer))

    answer = client_for(lead).delete(f"/api/questions/{question.pk}/")

    assert_error(answer, 405, "method_not_allowed")


def test_it_refuses_deleting_what_others_still_refer_to_with_409(analyst):
    source = factories.SourceFactory()
    factories.EvidenceFactory(source=source, tlp="green")

    assert_error(client_for(analyst).delete(f"/api/sources/{source.pk}/"), 409, "protected")


def test_it_refuses_deleting_evidence_a_submitted_version_cites(lead, analyst, reviewer):
    question = question_in(Status.IN_REVIEW, Cast(lead, analyst, reviewer))
    cited = question.assessments.get().cited_evidence.first()

    answer = client_for(analyst).delete(f"/api/evidence/{cited.pk}/")

    assert_error(answer, 409, "cited_by_frozen_version")
    assert question.assessments.get().cited_evidence.filter(pk=cited.pk).exists()


def test_it_refuses_reference_data_edits_to_people_without_a_research_role(reviewer):
    answer = client_for(reviewer).post(
        "/api/sources/", {"name": "TASS", "kind": "news_outlet"}, format="json"
    )

    assert_error(answer, 403, "not_researcher")


def test_it_refuses_recording_evidence_for_another_team(analyst, outsider):
    source = factories.SourceFactory()

    answer = client_for(analyst).post(
        "/api/evidence/",
        {"source_id": source.pk, "summary": "x", "owner_team_id": outsider.teams.get().pk},
        format="json",
    )

    assert "owner_team_id" in assert_error(answer, 400)["fields"]  # not a team of theirs


def test_it_answers_the_browsable_api_and_the_documentation_offline(analyst, client):
    client.force_login(analyst)

    browsable = client.get("/api/questions/", HTTP_ACCEPT="text/html")
    swagger = client.get("/api/docs/")
    redoc = client.get("/api/redoc/")

    assert browsable.status_code == 200
    assert swagger.status_code == redoc.status_code == 200
    for page in (swagger, redoc):
        html = page.content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn.jsdelivr" not in html and "unpkg" not in html
