"""Every queryset is scoped to what the user may see; anything else answers 404, as if it did
not exist. (questions.visibility holds the rules; these check the API goes through them.)"""

from __future__ import annotations

import pytest

from evidence.choices import Tlp
from questions.choices import Status
from questions.models import EvidenceLink, HypothesisRating
from tests import factories
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


@pytest.fixture
def assessed(cast):
    """An assessed question with a comment, a hypothesis and an ACH rating."""
    question = question_in(Status.ASSESSED, cast)
    hypothesis = question.hypotheses.first()  # the story considered two
    evidence = question.evidence_links.first().evidence
    HypothesisRating.objects.create(hypothesis=hypothesis, evidence=evidence, rating="consistent")
    client_for(cast.lead).post(
        "/api/comments/", {"question_id": question.pk, "body": "Noted."}, format="json"
    )
    return question


def _detail_urls(question) -> list[str]:
    version = question.assessments.get()
    return [
        f"/api/questions/{question.pk}/",
        f"/api/questions/{question.pk}/history/",
        f"/api/hypotheses/{question.hypotheses.first().pk}/",
        f"/api/evidence-links/{question.evidence_links.first().pk}/",
        f"/api/hypothesis-ratings/{HypothesisRating.objects.get().pk}/",
        f"/api/assessments/{version.pk}/",
        f"/api/reviews/{version.reviews.get().pk}/",
        f"/api/comments/{question.comments.get().pk}/",
        f"/api/transitions/{question.transitions.first().pk}/",
    ]


def test_it_shows_a_question_and_all_that_hangs_off_it_to_its_team(assessed, cast):
    for user in (cast.lead, cast.analyst, cast.reviewer):
        client = client_for(user)
        for url in _detail_urls(assessed):
            assert client.get(url).status_code == 200, (user, url)


def test_it_answers_404_for_another_teams_question_and_all_that_hangs_off_it(assessed, outsider):
    client = client_for(outsider)

    for url in _detail_urls(assessed):
        assert_error(client.get(url), 404, "not_found")


LISTS = [
    "/api/questions/",
    "/api/hypotheses/",
    "/api/evidence-links/",
    "/api/hypothesis-ratings/",
    "/api/assessments/",
    "/api/reviews/",
    "/api/comments/",
    "/api/transitions/",
]


@pytest.mark.parametrize("url", LISTS)
def test_it_leaves_another_teams_work_out_of_every_list(assessed, cast, outsider, url):
    assert client_for(cast.lead).get(url).json()["results"]
    assert client_for(outsider).get(url).json()["results"] == []


def test_it_refuses_steps_on_an_invisible_question_with_404_not_403(outsider, cast):
    question = question_in(Status.DRAFT, cast)

    answer = client_for(outsider).post(f"/api/questions/{question.pk}/publish/")

    assert_error(answer, 404)
    question.refresh_from_db()
    assert question.status == Status.DRAFT


def test_it_shows_a_question_to_its_analyst_and_reviewer_even_from_another_team(cast, outsider):
    question = question_in(Status.OPEN, cast)
    type(question).objects.filter(pk=question.pk).update(reviewer=outsider)

    assert client_for(outsider).get(f"/api/questions/{question.pk}/").status_code == 200


def test_it_shows_evidence_by_link_team_or_marking(cast, outsider):
    question = question_in(Status.OPEN, cast)
    linked = factories.EvidenceFactory(tlp=Tlp.AMBER)
    EvidenceLink.objects.create(question=question, evidence=linked)
    green = factories.EvidenceFactory(tlp=Tlp.GREEN)
    clear = factories.EvidenceFactory(tlp=Tlp.CLEAR)
    ours = factories.EvidenceFactory(tlp=Tlp.AMBER, owner_team=outsider.teams.get())
    hidden = factories.EvidenceFactory(tlp=Tlp.AMBER)

    seen_by_outsider = {
        e["id"] for e in client_for(outsider).get("/api/evidence/").json()["results"]
    }
    seen_by_team = {
        e["id"] for e in client_for(cast.analyst).get("/api/evidence/").json()["results"]
    }

    assert seen_by_outsider == {green.pk, clear.pk, ours.pk}
    assert seen_by_team == {linked.pk, green.pk, clear.pk}
    assert_error(client_for(outsider).get(f"/api/evidence/{hidden.pk}/"), 404)


def test_it_shows_evidence_to_whoever_recorded_it_up_to_its_marking(analyst, outsider):
    source = factories.SourceFactory()
    made = client_for(analyst).post(
        "/api/evidence/", {"source_id": source.pk, "summary": "From a contact.", "tlp": "amber"}
    )

    assert made.status_code == 201, made.json()
    assert client_for(analyst).get(f"/api/evidence/{made.json()['id']}/").status_code == 200
    assert_error(client_for(outsider).get(f"/api/evidence/{made.json()['id']}/"), 404)


def test_red_evidence_goes_to_its_named_recipients_only(analyst, reviewer, outsider):
    source = factories.SourceFactory()
    unnamed = client_for(analyst).post(
        "/api/evidence/", {"source_id": source.pk, "summary": "From a contact.", "tlp": "red"}
    )
    without_me = client_for(analyst).post(
        "/api/evidence/",
        {"source_id": source.pk, "summary": "x", "tlp": "red", "recipient_ids": [reviewer.pk]},
    )
    made = client_for(analyst).post(
        "/api/evidence/",
        {
            "source_id": source.pk,
            "summary": "From a contact.",
            "tlp": "red",
            "recipient_ids": [analyst.pk, outsider.pk],
        },
    )

    assert list(assert_error(unnamed, 400)["fields"]) == ["recipient_ids"]
    assert list(assert_error(without_me, 400)["fields"]) == ["recipient_ids"]
    assert made.status_code == 201, made.json()
    item = made.json()["id"]
    assert client_for(outsider).get(f"/api/evidence/{item}/").status_code == 200
    # The analyst's own teammate is not named: for them the item does not exist.
    assert_error(client_for(reviewer).get(f"/api/evidence/{item}/"), 404)


def test_it_shows_only_the_visible_evidence_inside_an_event(analyst):
    green = factories.EvidenceFactory(tlp=Tlp.GREEN)
    hidden = factories.EvidenceFactory(tlp=Tlp.RED)
    meeting = factories.EventFactory()
    meeting.evidence.set([green, hidden])
    secret = factories.EventFactory()
    secret.evidence.set([hidden])
    unsourced = factories.EventFactory()
    client = client_for(analyst)

    shown = client.get(f"/api/events/{meeting.pk}/").json()

    assert [e["id"] for e in shown["evidence"]] == [green.pk]
    assert_error(client.get(f"/api/events/{secret.pk}/"), 404)
    assert client.get(f"/api/events/{unsourced.pk}/").status_code == 200


def test_it_refuses_to_link_what_the_user_cannot_see_as_if_it_did_not_exist(cast, outsider):
    question = question_in(Status.OPEN, cast)
    hidden = factories.EvidenceFactory(tlp=Tlp.AMBER)
    mine = factories.EvidenceFactory(tlp=Tlp.GREEN)

    answer = client_for(outsider).post(
        "/api/evidence-links/", {"question_id": question.pk, "evidence_id": hidden.pk}
    )
    nonexistent = client_for(outsider).post(
        "/api/evidence-links/", {"question_id": 10**9, "evidence_id": mine.pk}
    )

    error = assert_error(answer, 400)
    assert set(error["fields"]) == {"question_id", "evidence_id"}
    refused = error["fields"]["question_id"][0].replace(str(question.pk), "<id>")
    missing = assert_error(nonexistent, 400)["fields"]["question_id"][0].replace(str(10**9), "<id>")
    assert refused == missing == "Nothing with id <id> among what you may see."


def test_it_shows_teams_and_people_of_ones_own_teams_only(cast, outsider):
    teams = client_for(outsider).get("/api/teams/").json()["results"]
    people = client_for(outsider).get("/api/users/").json()["results"]

    assert [t["slug"] for t in teams] == ["other-team"]
    assert [p["username"] for p in people] == ["outsider"]
    assert_error(client_for(outsider).get(f"/api/users/{cast.lead.pk}/"), 404)
    assert {p["username"] for p in client_for(cast.lead).get("/api/users/").json()["results"]} == {
        "lead",
        "analyst",
        "reviewer",
    }


def test_it_shows_a_superuser_everything(assessed):
    admin = factories.UserFactory(username="admin", is_superuser=True, is_staff=True)

    for url in _detail_urls(assessed):
        assert client_for(admin).get(url).status_code == 200, url
