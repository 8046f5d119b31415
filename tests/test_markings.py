"""TLP 2.0 markings restrict who may see an item, and setting one never strands anyone.

Who sees what: questions.visibility. What a marking asks of its item: questions.markings.
(tests/test_tlp_leaks.py probes every read path for a planted TLP:RED item.)
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.choices import Role
from evidence.choices import Tlp
from questions import visibility, workflow
from questions.choices import Status
from questions.exceptions import ValidationFailed
from questions.history import question_history
from questions.models import EvidenceLink, Question
from tests import factories
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in, write_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


@pytest.fixture
def bystander(team):
    """On the team, with the analyst role — but named on no distribution."""
    user = factories.UserFactory(username="bystander", roles=[Role.ANALYST])
    team.members.add(user)
    return user


@pytest.fixture
def partner_team():
    return factories.TeamFactory(slug="partners", name="Partners")


@pytest.fixture
def partner(partner_team):
    user = factories.UserFactory(username="partner", roles=[Role.ANALYST])
    partner_team.members.add(user)
    return user


def sees_question(user, question) -> bool:
    return visibility.visible_questions(user).filter(pk=question.pk).exists()


def sees_evidence(user, item) -> bool:
    return visibility.visible_evidence(user).filter(pk=item.pk).exists()


# ---------------------------------------------------------------------------------------------
# Who sees a question, by marking
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tlp", [Tlp.CLEAR, Tlp.GREEN])
def test_clear_and_green_questions_are_seen_by_every_signed_in_user(team, outsider, tlp):
    question = factories.QuestionFactory(team=team, tlp=tlp)

    assert sees_question(outsider, question)
    assert not visibility.visible_questions(None).exists()


def test_amber_is_seen_by_the_team_and_the_teams_it_is_shared_with(team, lead, partner, outsider):
    question = factories.QuestionFactory(team=team, tlp=Tlp.AMBER)
    assert (sees_question(lead, question), sees_question(partner, question)) == (True, False)

    question.shared_with.add(partner.teams.get())

    assert sees_question(partner, question)
    assert not sees_question(outsider, question)


def test_amber_strict_stays_within_the_owning_team_even_if_shared(team, lead, partner):
    question = factories.QuestionFactory(team=team, tlp=Tlp.AMBER_STRICT)
    question.shared_with.add(partner.teams.get())  # as if set behind the rules' back

    assert sees_question(lead, question)
    assert not sees_question(partner, question)


def test_red_is_seen_by_its_named_recipients_only(team, lead, bystander, partner):
    question = factories.QuestionFactory(team=team, tlp=Tlp.RED)
    question.recipients.set([lead, partner])

    assert sees_question(lead, question)
    assert sees_question(partner, question)  # named, though of another team
    assert not sees_question(bystander, question)  # on the team, not named


def test_a_superuser_sees_everything(team, superuser):
    question = factories.QuestionFactory(team=team, tlp=Tlp.RED)

    assert sees_question(superuser, question)


# ---------------------------------------------------------------------------------------------
# Who sees an evidence item
# ---------------------------------------------------------------------------------------------


def test_red_evidence_is_hidden_even_from_those_working_the_question_it_is_linked_to(cast):
    question = question_in(Status.IN_ANALYSIS, cast)
    item = factories.EvidenceFactory(tlp=Tlp.RED)
    item.recipients.set([cast.analyst])
    EvidenceLink.objects.create(question=question, evidence=item)

    assert sees_evidence(cast.analyst, item)
    assert not sees_evidence(cast.reviewer, item)
    assert not sees_evidence(cast.lead, item)


def test_amber_evidence_does_not_go_public_by_a_link_to_a_green_question(team, outsider):
    """A TLP:GREEN question is open to all; what it links keeps its own marking."""
    question = factories.QuestionFactory(team=team, tlp=Tlp.GREEN)
    item = factories.EvidenceFactory(tlp=Tlp.AMBER, owner_team=team)
    EvidenceLink.objects.create(question=question, evidence=item)

    assert sees_question(outsider, question)
    assert not sees_evidence(outsider, item)


def test_amber_evidence_reaches_the_teams_its_question_is_shared_with(team, partner):
    question = factories.QuestionFactory(team=team, tlp=Tlp.AMBER)
    item = factories.EvidenceFactory(tlp=Tlp.AMBER, owner_team=team)
    strict = factories.EvidenceFactory(tlp=Tlp.AMBER_STRICT, owner_team=team)
    for linked in (item, strict):
        EvidenceLink.objects.create(question=question, evidence=linked)
    question.shared_with.add(partner.teams.get())

    assert sees_evidence(partner, item)
    assert not sees_evidence(partner, strict)


# ---------------------------------------------------------------------------------------------
# An assessment inherits the most restrictive marking of what it cites
# ---------------------------------------------------------------------------------------------


def test_an_assessment_citing_red_evidence_is_red_and_seen_only_by_its_recipients(cast, team):
    question = question_in(Status.IN_ANALYSIS, cast)
    secret = factories.EvidenceFactory(tlp=Tlp.RED)
    secret.recipients.set([cast.analyst, cast.reviewer])
    EvidenceLink.objects.create(question=question, evidence=secret)

    draft = write_draft(question, cast.analyst, cited_evidence=[secret])

    assert draft.tlp == Tlp.RED
    seen = {
        user.username: visibility.visible_assessments(user).filter(pk=draft.pk).exists()
        for user in (cast.analyst, cast.reviewer, cast.lead)
    }
    assert seen == {"analyst": True, "reviewer": True, "lead": False}
    # The lead still sees the question and its story — without the version.
    assert sees_question(cast.lead, question)
    subjects = {entry.subject for entry in question_history(question, cast.lead)}
    assert not any(subject.startswith("assessment") for subject in subjects)
    assert any(
        s.startswith("assessment")
        for s in {e.subject for e in question_history(question, cast.analyst)}
    )


# ---------------------------------------------------------------------------------------------
# Setting a marking: through the API
# ---------------------------------------------------------------------------------------------


def question_body(team, **fields) -> dict:
    return {"title": "Who paid?", "team_id": team.pk, **fields}


def test_a_red_question_needs_recipients_including_whoever_marks_it(team, lead, analyst):
    api = client_for(lead)

    unnamed = api.post("/api/questions/", question_body(team, tlp="red"), format="json")
    without_me = api.post(
        "/api/questions/", question_body(team, tlp="red", recipient_ids=[analyst.pk]), format="json"
    )
    made = api.post(
        "/api/questions/",
        question_body(team, tlp="red", recipient_ids=[lead.pk, analyst.pk]),
        format="json",
    )

    assert "recipient_ids" in assert_error(unnamed, 400)["fields"]
    assert "lead" in assert_error(without_me, 400)["fields"]["recipient_ids"][0]
    assert made.status_code == 201, made.json()
    assert {r["username"] for r in made.json()["recipients"]} == {"lead", "analyst"}
    assert Question.objects.count() == 1  # nothing half-written by the refusals


@pytest.mark.parametrize(
    ("tlp", "field"),
    [("amber", "recipient_ids"), ("green", "recipient_ids"), ("amber+strict", "recipient_ids")],
)
def test_recipients_only_mean_something_under_red(team, lead, tlp, field):
    response = client_for(lead).post(
        "/api/questions/", question_body(team, tlp=tlp, recipient_ids=[lead.pk]), format="json"
    )

    assert field in assert_error(response, 400)["fields"]


@pytest.mark.parametrize("tlp", ["red", "amber+strict", "green"])
def test_only_amber_is_shared_with_other_teams(team, lead, partner_team, tlp):
    body = question_body(team, tlp=tlp, shared_with_ids=[partner_team.pk])
    if tlp == "red":
        body["recipient_ids"] = [lead.pk]

    response = client_for(lead).post("/api/questions/", body, format="json")

    assert "shared_with_ids" in assert_error(response, 400)["fields"]


def test_lowering_a_red_marking_drops_the_recipients_it_no_longer_needs(team, lead, partner):
    api = client_for(lead)
    made = api.post(
        "/api/questions/",
        question_body(team, tlp="red", recipient_ids=[lead.pk, partner.pk]),
        format="json",
    ).json()
    assert sees_question(partner, Question.objects.get(pk=made["id"]))

    lowered = api.patch(f"/api/questions/{made['id']}/", {"tlp": "amber"}, format="json")

    assert lowered.status_code == 200, lowered.json()
    assert lowered.json()["recipients"] == []
    assert not sees_question(partner, Question.objects.get(pk=made["id"]))


def test_marking_red_must_keep_the_analyst_and_reviewer_on_the_distribution(cast):
    question = question_in(Status.ASSIGNED, cast)

    response = client_for(cast.lead).patch(
        f"/api/questions/{question.pk}/",
        {"tlp": "red", "recipient_ids": [cast.lead.pk, cast.analyst.pk]},
        format="json",
    )

    message = assert_error(response, 400)["fields"]["recipient_ids"][0]
    assert "reviewer" in message
    assert Question.objects.get(pk=question.pk).tlp != Tlp.RED


def test_a_red_question_is_assigned_only_to_its_recipients(cast, bystander):
    question = question_in(Status.OPEN, cast)
    Question.objects.filter(pk=question.pk).update(tlp=Tlp.RED)
    question.recipients.set([cast.lead, cast.analyst])
    question.refresh_from_db()

    with pytest.raises(ValidationFailed) as refused:
        workflow.assign(question, cast.lead, analyst=cast.analyst, reviewer=cast.reviewer)

    assert list(refused.value.errors) == ["reviewer"]
    assert Question.objects.get(pk=question.pk).status == Status.OPEN


def test_amber_strict_evidence_needs_its_owning_team(analyst):
    source = factories.SourceFactory()
    response = client_for(analyst).post(
        "/api/evidence/",
        {"source_id": source.pk, "summary": "Seen.", "tlp": "amber+strict", "owner_team_id": None},
        format="json",
    )

    assert "owner_team_id" in assert_error(response, 400)["fields"]


def test_a_hidden_recipient_id_cannot_be_guessed_from_the_answer(team, lead):
    response = client_for(lead).post(
        "/api/questions/",
        question_body(team, tlp="red", recipient_ids=[lead.pk, 999_999]),
        format="json",
    )

    assert "recipient_ids" in assert_error(response, 400)["fields"]


# ---------------------------------------------------------------------------------------------
# Setting a marking: on the pages and in the admin
# ---------------------------------------------------------------------------------------------


def test_the_question_form_names_the_field_a_marking_needs(team, lead):
    browser = Client()
    browser.force_login(lead)

    page = browser.post(
        "/questions/new/",
        {"title": "Who paid?", "team": team.pk, "priority": 2, "tlp": "red"},
    )

    assert page.status_code == 200
    assert "TLP:RED needs its named recipients" in page.content.decode()
    assert not Question.objects.exists()

    made = browser.post(
        "/questions/new/",
        {
            "title": "Who paid?",
            "team": team.pk,
            "priority": 2,
            "tlp": "red",
            "recipients": [lead.pk],
        },
    )

    assert made.status_code == 302
    assert list(Question.objects.get().recipients.all()) == [lead]


def test_the_admin_applies_the_same_rules(team, superuser):
    browser = Client()
    browser.force_login(superuser)
    question = factories.QuestionFactory(team=team, tlp=Tlp.AMBER)

    page = browser.post(
        f"/admin/questions/question/{question.pk}/change/",
        {
            "key": question.key,
            "title": question.title,
            "team": team.pk,
            "priority": 2,
            "tlp": "red",
        },
    )

    assert page.status_code == 200
    assert "TLP:RED needs its named recipients" in page.content.decode()
    assert Question.objects.get(pk=question.pk).tlp == Tlp.AMBER
