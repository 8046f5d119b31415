"""The admin covers every model, renders for a superuser, and leaves the workflow's records be."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from evidence.choices import Corroboration, Credibility, DatePrecision, Reliability
from questions.choices import Action, AssessmentState, ReviewDecision, Status
from questions.models import (
    Assessment,
    Comment,
    EvidenceLink,
    HypothesisRating,
    Question,
    Review,
    Transition,
)
from tests import factories

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("accounts", "evidence", "questions")
WRITTEN_BY_THE_WORKFLOW_ONLY = (Transition, Review)


def domain_models() -> list[type]:
    """Our models, without django-simple-history's Historical* shadows and M2M through tables."""
    return [
        model
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
    ]


def admin_url(model: type, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser_client(client):
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def case(team, lead, analyst, reviewer):
    """One of everything, with an approved first assessment and a draft second one."""
    source = factories.SourceFactory(name="Kommersant", reliability=Reliability.C)
    evidence = factories.EvidenceFactory(
        source=source,
        summary="Delegation visited Moscow",
        credibility=Credibility.POSSIBLY_TRUE,
        corroboration=Corroboration.UNCONFIRMED,
        happened_on="2023-09-01",
        happened_precision=DatePrecision.MONTH,
        happened_text="in September 2023",
    )
    actor = factories.ActorFactory(name="Mousa Abu Marzouk")
    evidence.actors.add(actor)
    factories.EventFactory(title="Visit to Moscow").actors.add(actor)
    key = factories.QuestionFactory(team=team, title="Did Russia support the attack?")
    question = factories.QuestionFactory(
        team=team, parent=key, assignee=analyst, reviewer=reviewer, status=Status.IN_REVIEW
    )
    hypothesis = factories.HypothesisFactory(question=question)
    EvidenceLink.objects.create(question=question, evidence=evidence, linked_by=analyst)
    HypothesisRating.objects.create(
        hypothesis=hypothesis, evidence=evidence, rating="consistent", rated_by=analyst
    )
    # Signed the way the database accepts it (questions/0003_database_guards): written as a
    # draft, submitted, reviewed by the assigned reviewer, then approved with the review's hash.
    approved = Assessment.objects.create(question=question, version=1, author=analyst)
    Assessment.objects.filter(pk=approved.pk).update(
        state=AssessmentState.SUBMITTED, submitted_at=timezone.now()
    )
    Review.objects.create(
        assessment=approved,
        reviewer=reviewer,
        assessment_author=analyst,
        question_analyst=analyst,
        decision=ReviewDecision.APPROVE,
        content_hash="a" * 64,
    )
    Assessment.objects.filter(pk=approved.pk).update(
        state=AssessmentState.APPROVED, content_hash="a" * 64, approved_at=timezone.now()
    )
    approved.refresh_from_db()
    draft = Assessment.objects.create(question=question, version=2, author=analyst)
    Transition.objects.create(
        question=question,
        action=Action.SUBMIT,
        from_status=Status.IN_ANALYSIS,
        to_status=Status.IN_REVIEW,
        actor=analyst,
    )
    Comment.objects.create(question=question, author=lead, body="Check the date.")
    return {"question": question, "approved": approved, "draft": draft, "evidence": evidence}


def test_every_model_is_registered():
    missing = [m._meta.label for m in domain_models() if not admin.site.is_registered(m)]
    assert missing == []
    assert admin.site.is_registered(get_user_model())


@pytest.mark.parametrize("model", domain_models(), ids=lambda m: m._meta.label)
def test_each_changelist_renders_searches_and_filters(superuser_client, case, model):
    url = admin_url(model, "changelist")
    assert superuser_client.get(url).status_code == 200
    assert superuser_client.get(url, {"q": "Moscow"}).status_code == 200
    model_admin = admin.site.get_model_admin(model)
    for list_filter in model_admin.list_filter:
        field = list_filter[0] if isinstance(list_filter, tuple) else list_filter
        if isinstance(field, str):  # a filter on a field: filter on "is empty" to exercise it
            response = superuser_client.get(url, {f"{field}__isnull": "True"})
            assert response.status_code == 200, field


@pytest.mark.parametrize("model", domain_models(), ids=lambda m: m._meta.label)
def test_each_change_page_renders(superuser_client, case, model):
    obj = model._default_manager.first()
    assert obj is not None, f"the case fixture has no {model._meta.label}"
    assert superuser_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    expected = 403 if model in WRITTEN_BY_THE_WORKFLOW_ONLY else 200
    assert superuser_client.get(admin_url(model, "add")).status_code == expected


def test_the_evidence_list_shows_the_admiralty_grading_and_the_date_as_written(
    superuser_client, case
):
    page = superuser_client.get(admin_url(case["evidence"].__class__, "changelist")).content
    assert b"C3" in page
    assert b"in September 2023" in page


def test_a_question_status_cannot_be_changed_in_the_admin(superuser_client, case):
    question = case["question"]
    page = superuser_client.get(admin_url(Question, "change", question.pk)).content.decode()
    assert 'name="status"' not in page
    assert "In review" in page  # shown, read-only


@pytest.mark.parametrize("model", WRITTEN_BY_THE_WORKFLOW_ONLY, ids=lambda m: m.__name__)
def test_transitions_and_reviews_are_read_only_even_for_a_superuser(superuser_client, case, model):
    obj = model.objects.get()
    assert superuser_client.get(admin_url(model, "add")).status_code == 403
    assert superuser_client.post(admin_url(model, "change", obj.pk), {}).status_code == 403
    assert (
        superuser_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code
        == 403
    )
    assert model.objects.filter(pk=obj.pk).exists()


def test_a_signed_off_assessment_is_frozen_but_a_draft_is_editable(superuser_client, case):
    approved, draft = case["approved"], case["draft"]
    approved_page = superuser_client.get(admin_url(Assessment, "change", approved.pk)).content
    assert b'name="_save"' not in approved_page
    response = superuser_client.post(
        admin_url(Assessment, "change", approved.pk), {"key_judgments": "rewritten"}
    )
    assert response.status_code == 403
    approved.refresh_from_db()
    assert approved.key_judgments == ""
    draft_page = superuser_client.get(admin_url(Assessment, "change", draft.pk)).content
    assert b'name="_save"' in draft_page


def test_history_can_be_read_but_not_written_back(superuser_client, case):
    question = case["question"]
    version = question.history.earliest()
    url = reverse("admin:questions_question_simple_history", args=(question.pk, version.pk))
    assert superuser_client.get(url).status_code == 200
    response = superuser_client.post(url, {"title": "reverted", "team": question.team_id})
    assert response.status_code == 403
    question.refresh_from_db()
    assert question.title != "reverted"
    assert question.status == Status.IN_REVIEW


def test_the_team_page_edits_members_with_a_two_pane_selector(superuser_client, team, lead):
    page = superuser_client.get(admin_url(type(team), "change", team.pk)).content.decode()
    assert 'name="members"' in page and "selectfilter" in page


def test_the_landing_page_is_the_dashboard_behind_sign_in(client):
    # "/" was a redirect to the admin until the pages landed (docs/pages.md).
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def inline_management(*prefixes: str) -> dict[str, int]:
    """Empty management forms for the change form's inlines."""
    return {
        f"{prefix}-{field}": 0 for prefix in prefixes for field in ("TOTAL_FORMS", "INITIAL_FORMS")
    }


def test_a_second_draft_assessment_is_a_form_error_not_a_server_error(superuser_client, case):
    question = case["question"]  # already has a draft (version 2)
    response = superuser_client.post(
        admin_url(Assessment, "add"),
        {
            "question": question.pk,
            "version": 3,
            "likelihood_wording": "primary",
            "tlp": "amber",
            **inline_management("reviews"),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert question.assessments.count() == 2


def test_a_question_cannot_be_made_its_own_parent(superuser_client, case):
    question = case["question"]
    response = superuser_client.post(
        admin_url(Question, "change", question.pk),
        {
            "key": question.key,
            "title": question.title,
            "team": question.team_id,
            "parent": question.pk,
            "priority": question.priority,
            "tlp": question.tlp,
            **inline_management(
                "hypotheses", "evidence_links", "sub_questions", "assessments", "transitions"
            ),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    question.refresh_from_db()
    assert question.parent_id != question.pk


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("source", ("Reuters", "Al-Monitor", "TASS")),
        ("owner_team", ("Levant desk", "Caucasus desk", "Gulf desk")),
    ],
)
def test_an_evidence_items_autocompletes_answer_in_name_order(superuser_client, field, names):
    make = factories.SourceFactory if field == "source" else factories.TeamFactory
    for name in names:  # made out of order
        make(name=name, **({} if field == "source" else {"slug": name.split()[0].lower()}))
    params = {"app_label": "evidence", "model_name": "evidence", "field_name": field}

    results = superuser_client.get(reverse("admin:autocomplete"), params).json()["results"]

    listed = [name for r in results for name in names if r["text"].startswith(name)]
    assert listed == sorted(names)
