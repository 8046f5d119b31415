"""The pages, through Django's test client: what each role sees, and what each form does."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from evidence.choices import Language, Tlp
from evidence.models import Evidence
from questions import assessments, workflow
from questions.choices import AchRating, AssessmentState, Likelihood, Status
from questions.comments import add_comment
from questions.models import EvidenceLink, HypothesisRating, Question
from tests import factories
from tests.stories import consider_hypotheses

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture
def question(team, lead):
    return factories.QuestionFactory(team=team, title="Did Russia arm Hamas?", created_by=lead)


@pytest.fixture
def assigned(question, lead, analyst, reviewer):
    workflow.publish(question, lead)
    workflow.assign(
        question,
        lead,
        analyst=analyst,
        reviewer=reviewer,
        due_at=timezone.now() + dt.timedelta(days=7),
    )
    return question


@pytest.fixture
def in_analysis(assigned, analyst):
    workflow.start(assigned, analyst)
    return assigned


def _linked_evidence(question, **kwargs) -> Evidence:
    evidence = factories.EvidenceFactory(owner_team=question.team, **kwargs)
    EvidenceLink.objects.create(question=question, evidence=evidence)
    return evidence


@pytest.fixture
def in_review(in_analysis, analyst):
    evidence = _linked_evidence(in_analysis)
    consider_hypotheses(in_analysis)
    assessments.save_draft(
        in_analysis,
        analyst,
        key_judgments="Russia likely supplied weapons.",
        likelihood=Likelihood.LIKELY,
        likelihood_wording="primary",
        confidence="moderate",
        cited_evidence=[evidence],
        change_note="",
    )
    workflow.submit(in_analysis, analyst)
    return in_analysis


def _buttons(response) -> set[str]:
    """The workflow steps offered on a page, by the value of their submit buttons."""
    html = response.content.decode()
    return {step for step in workflow.TRANSITIONS if f'name="do" value="{step}"' in html}


# ---------------------------------------------------------------------------------------------
# Signing in and the dashboard
# ---------------------------------------------------------------------------------------------
def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("questions:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_signs_in_and_out(client, analyst):
    response = client.post(
        reverse("login"), {"username": "analyst", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.get(reverse("questions:dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("questions:dashboard")).status_code == 302


def test_the_dashboard_lists_my_assignments_and_marks_the_overdue_ones(client, assigned, analyst):
    client.force_login(analyst)
    response = client.get(reverse("questions:dashboard"))
    assert "Did Russia arm Hamas?" in response.content.decode()
    assert "Overdue" not in response.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        response = client.get(reverse("questions:dashboard"))
    assert 'class="badge overdue">Overdue' in response.content.decode()


def test_the_dashboard_shows_the_reviewer_their_queue(client, in_review, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("questions:dashboard"))
    assert reverse("questions:review", args=[in_review.pk]) in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Board
# ---------------------------------------------------------------------------------------------
def test_the_board_has_a_column_per_status(client, question, lead):
    client.force_login(lead)
    html = client.get(reverse("questions:board")).content.decode()
    for status in Status:
        assert f'id="col-{status.value}"' in html


def test_the_board_filters_by_priority_and_overdue(client, team, lead):
    late = factories.QuestionFactory(
        team=team,
        title="Late one",
        status=Status.OPEN,
        priority=4,
        due_at=timezone.now() - dt.timedelta(days=1),
    )
    factories.QuestionFactory(team=team, title="On time", status=Status.OPEN, priority=1)
    client.force_login(lead)
    html = client.get(reverse("questions:board"), {"overdue": "on"}).content.decode()
    assert late.title in html and "On time" not in html
    html = client.get(reverse("questions:board"), {"priority": "1"}).content.decode()
    assert "On time" in html and late.title not in html


def test_the_board_answers_htmx_with_just_the_board(client, question, lead):
    client.force_login(lead)
    response = client.get(reverse("questions:board"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    assert "<html" not in html


def test_a_board_column_shows_the_most_urgent_cards_and_counts_the_rest(client, team, lead):
    from questions.views import COLUMN_LIMIT

    factories.QuestionFactory.create_batch(COLUMN_LIMIT + 3, team=team, status=Status.OPEN)
    urgent = factories.QuestionFactory(
        team=team, title="The critical one", status=Status.OPEN, priority=4
    )
    client.force_login(lead)
    html = client.get(reverse("questions:board")).content.decode()
    column = html.split('id="col-open"')[1].split("</section>")[0]
    assert column.count('class="q-card') == COLUMN_LIMIT
    assert urgent.title in column
    assert f'aria-label="{COLUMN_LIMIT + 4} questions"' in column
    assert "4 more — narrow the board with the filters" in column


def _page_reads(client, url: str) -> tuple[int, int]:
    """The queries a page makes and the questions it reads from the database: the cards made
    of the rows read (a column's cards come as one array per status; every question read
    becomes a card)."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from questions import views

    loaded = []
    card = views._card

    def count(*args):
        loaded.append(args[0])
        return card(*args)

    with mock.patch.object(views, "_card", count), CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries), len(loaded)


@pytest.mark.parametrize("page", ["questions:board", "questions:dashboard"])
def test_the_board_and_the_dashboard_read_only_what_they_show(client, team, lead, analyst, page):
    """The counts come from the database and only the shown cards are read: the same queries
    for 3 questions per status as for 40, and never more questions than the columns and the
    lists show."""
    from questions.views import COLUMN_LIMIT, LIST_LIMIT

    def fill(count: int) -> None:
        for status in Status:
            factories.QuestionFactory.create_batch(
                count,
                team=team,
                status=status,
                assignee=lead,
                reviewer=analyst,
                due_at=timezone.now() - dt.timedelta(days=1),
            )

    client.force_login(lead)
    fill(3)
    few_queries, few_read = _page_reads(client, reverse(page))
    fill(37)
    queries, read = _page_reads(client, reverse(page))
    assert queries == few_queries
    shown = COLUMN_LIMIT * len(Status) + (2 * LIST_LIMIT if page == "questions:dashboard" else 0)
    assert 0 < few_read < read <= shown < 40 * len(Status)


def test_the_dashboard_lists_show_the_first_ones_and_count_the_rest(client, team, lead):
    from questions.views import LIST_LIMIT

    late = timezone.now() - dt.timedelta(days=1)
    factories.QuestionFactory.create_batch(
        LIST_LIMIT + 2, team=team, status=Status.OPEN, assignee=lead, due_at=late
    )
    client.force_login(lead)
    html = client.get(reverse("questions:dashboard")).content.decode()
    mine = html.split('id="h-assignments"')[1].split("</section>")[0]
    assert f'<span class="muted small">{LIST_LIMIT + 2}</span>' in mine
    assert mine.count('<tr class="is-overdue">') == LIST_LIMIT
    assert "2 more on the board" in mine
    late_here = html.split('id="h-late"')[1].split("</section>")[0]
    assert f'<span class="badge overdue">{LIST_LIMIT + 2}</span>' in late_here
    assert "2 more on the board" in late_here


def test_the_board_shows_only_visible_questions(client, question, outsider):
    client.force_login(outsider)
    assert question.title not in client.get(reverse("questions:board")).content.decode()


# ---------------------------------------------------------------------------------------------
# Question detail: visibility and buttons
# ---------------------------------------------------------------------------------------------
def test_a_question_the_user_may_not_see_is_not_found(client, question, outsider):
    client.force_login(outsider)
    assert client.get(reverse("questions:detail", args=[question.pk])).status_code == 404


# The question page's queries, made afresh (no kept answer): the session and its user (2); the
# question with its key question and sub-questions (1); the matrix: hypotheses, the links the
# reader may see, ratings, rows (4); the visible versions, their rows, their cited items (3); the
# tradecraft checks of the current one: its cited items, the reader's matrix (6; their origins
# take one more when a cited item derives from another, none here);
# the story: steps, reviews, the history of hypotheses, ratings, links, cited items, evidence,
# comments, assessments and the question, the evidence the reader may see, and the labels of
# hypotheses, evidence and sources (14: the key question, the team and its people are named as
# the page read them); the unread count and the comments (2).
QUESTION_PAGE_QUERIES = 32


def test_the_question_page_takes_the_same_queries_however_long_its_story(
    client, settings, in_review, lead, analyst, reviewer, django_assert_num_queries
):
    """A fixed number of queries whatever the number of steps, edits, items, ratings and
    comments: none per row of the matrix, the history or the comments."""
    settings.RESPONSE_CACHE_SECONDS = 0
    question = in_review
    workflow.approve(question, reviewer, comment="Sound.")
    question.parent = factories.QuestionFactory(team=question.team, title="Key question")
    question.save()
    factories.QuestionFactory(team=question.team, parent=question, title="A sub-question")
    url = reverse("questions:detail", args=[question.pk])
    client.force_login(lead)

    def grow() -> None:
        for hypothesis in question.hypotheses.all():
            hypothesis.title += " (reworded)"
            hypothesis.save()
            for _ in range(3):
                item = _linked_evidence(question)
                HypothesisRating.objects.create(
                    hypothesis=hypothesis, evidence=item, rating=AchRating.CONSISTENT
                )
        for n in range(3):
            add_comment(question, analyst, f"Comment {n}")

    grow()
    with django_assert_num_queries(QUESTION_PAGE_QUERIES):
        assert client.get(url).status_code == 200
    grow()
    grow()
    with django_assert_num_queries(QUESTION_PAGE_QUERIES):
        html = client.get(url).content.decode()
    assert html.count("Comment 2") == 3 * 2  # in the comments and in the history, thrice
    assert "A sub-question" in html and "Key question" in html


def test_the_sub_questions_are_listed_in_the_questions_order(client, question, lead):
    """Most urgent first (priority, then due date, none last, then age), as every list of
    questions orders them."""
    soon = timezone.now() + dt.timedelta(days=2)
    later = soon + dt.timedelta(days=5)
    titles = ["Low, no date", "High, later", "High, soon", "High, no date", "High, soon, newer"]
    for title, priority, due_at in [
        ("Low, no date", 1, None),
        ("High, later", 3, later),
        ("High, soon", 3, soon),
        ("High, no date", 3, None),
        ("High, soon, newer", 3, soon),
    ]:
        factories.QuestionFactory(
            team=question.team, parent=question, title=title, priority=priority, due_at=due_at
        )
    client.force_login(lead)
    html = client.get(reverse("questions:detail", args=[question.pk])).content.decode()
    shown = sorted(titles, key=lambda title: html.index(f">{title}</a>"))
    expected = list(question.sub_questions.values_list("title", flat=True))
    assert (
        shown
        == expected
        == [
            "High, soon",
            "High, soon, newer",
            "High, later",
            "High, no date",
            "Low, no date",
        ]
    )


def test_the_lead_sees_publish_and_close_on_a_draft_and_the_analyst_sees_nothing(
    client, question, lead, analyst
):
    client.force_login(lead)
    assert _buttons(client.get(reverse("questions:detail", args=[question.pk]))) == {
        "publish",
        "close",
    }
    client.force_login(analyst)
    assert _buttons(client.get(reverse("questions:detail", args=[question.pk]))) == set()


def test_the_analyst_sees_start_on_an_assigned_question(client, assigned, analyst, reviewer):
    client.force_login(analyst)
    assert _buttons(client.get(reverse("questions:detail", args=[assigned.pk]))) == {"start"}
    client.force_login(reviewer)
    assert _buttons(client.get(reverse("questions:detail", args=[assigned.pk]))) == set()


def test_only_the_reviewer_sees_approve_and_return(client, in_review, analyst, reviewer, lead):
    url = reverse("questions:review", args=[in_review.pk])
    client.force_login(reviewer)
    assert _buttons(client.get(url)) == {"approve", "return"}
    for other in (analyst, lead):
        client.force_login(other)
        assert _buttons(client.get(url)) == set()


def test_a_step_the_user_may_not_take_is_refused_and_changes_nothing(client, question, analyst):
    client.force_login(analyst)
    response = client.post(reverse("questions:action", args=[question.pk, "publish"]), follow=True)
    question.refresh_from_db()
    assert question.status == Status.DRAFT
    assert "lead" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# The lead: create, publish, assign
# ---------------------------------------------------------------------------------------------
def test_the_lead_creates_a_key_question_with_hypotheses_and_a_sub_question(client, team, lead):
    client.force_login(lead)
    response = client.post(
        reverse("questions:create"),
        {
            "title": "Did Russia support Hamas before 7 October?",
            "team": team.pk,
            "priority": 3,
            "tlp": Tlp.AMBER,
            "hypotheses": "Russia supported Hamas directly\n\nRussia did not support Hamas\n",
        },
    )
    key = Question.objects.get(title__startswith="Did Russia support")
    assert response.url == reverse("questions:detail", args=[key.pk])
    assert [h.title for h in key.hypotheses.all()] == [
        "Russia supported Hamas directly",
        "Russia did not support Hamas",
    ]
    form = client.get(reverse("questions:create"), {"parent": key.pk}).content.decode()
    assert f'<option value="{key.pk}" selected>' in form
    client.post(
        reverse("questions:create"),
        {
            "title": "Through Iran?",
            "parent": key.pk,
            "team": team.pk,
            "priority": 2,
            "tlp": "amber",
        },
    )
    assert key.sub_questions.get().title == "Through Iran?"


def test_an_analyst_cannot_create_questions(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("questions:create")).status_code == 403


def test_the_lead_publishes_and_assigns_through_the_page(client, question, lead, analyst, reviewer):
    client.force_login(lead)
    client.post(reverse("questions:action", args=[question.pk, "publish"]))
    due = (timezone.now() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("questions:action", args=[question.pk, "assign"]),
        {"assign-analyst": analyst.pk, "assign-reviewer": reviewer.pk, "assign-due_at": due},
    )
    question.refresh_from_db()
    assert (question.status, question.assignee, question.reviewer) == (
        Status.ASSIGNED,
        analyst,
        reviewer,
    )


def test_assigning_the_analyst_as_reviewer_is_refused_with_the_reason(
    client, question, lead, analyst
):
    workflow.publish(question, lead)
    client.force_login(lead)
    response = client.post(
        reverse("questions:action", args=[question.pk, "assign"]),
        {"assign-analyst": analyst.pk, "assign-reviewer": analyst.pk},
        follow=True,
    )
    question.refresh_from_db()
    assert question.status == Status.OPEN
    assert "reviewer" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# The analyst: evidence, ACH, assessment
# ---------------------------------------------------------------------------------------------
def test_the_analyst_records_arabic_evidence_linked_to_the_question(client, in_analysis, analyst):
    source = factories.SourceFactory(name="Al Mayadeen", reliability="C")
    client.force_login(analyst)
    form = client.get(reverse("evidence:create"), {"question": in_analysis.pk}).content.decode()
    assert "Al Mayadeen — C fairly reliable" in form
    response = client.post(
        reverse("evidence:create"),
        {
            "source": source.pk,
            "summary": "Hamas official says weapons came via Iran",
            "original_language": Language.AR,
            "original_text": "الأسلحة جاءت عبر إيران",
            "translation": "The weapons came via Iran",
            "happened_on": "2023-03-16",
            "happened_precision": "month",
            "credibility": 3,
            "corroboration": "single_source",
            "tlp": Tlp.AMBER,
            "owner_team": in_analysis.team.pk,
            "question": in_analysis.pk,
        },
    )
    evidence = Evidence.objects.get(summary__startswith="Hamas official")
    assert response.status_code == 302
    assert evidence.happened_on == dt.date(2023, 3, 1)  # a month is stored as its first day
    assert EvidenceLink.objects.filter(question=in_analysis, evidence=evidence).exists()
    html = client.get(reverse("evidence:detail", args=[evidence.pk])).content.decode()
    assert 'dir="rtl" lang="ar">الأسلحة جاءت عبر إيران' in html
    assert "C3" in html
    edit = client.get(reverse("evidence:edit", args=[evidence.pk])).content.decode()
    assert 'dir="rtl"' in edit and 'lang="ar"' in edit


def test_the_analyst_finds_an_item_by_its_words_and_links_it(
    client, in_analysis, analyst, outsider
):
    team = in_analysis.team
    wanted = factories.EvidenceFactory(owner_team=team, summary="Weapons shipment via Sudan")
    linked = _linked_evidence(in_analysis, summary="Weapons cache found in Gaza")
    others = factories.EvidenceFactory.create_batch(30, owner_team=team, summary="Unrelated item")
    hidden = factories.EvidenceFactory(
        owner_team=outsider.teams.first(), tlp=Tlp.AMBER, summary="Weapons seen by another team"
    )
    client.force_login(analyst)
    url = reverse("questions:detail", args=[in_analysis.pk])

    # The page does not list every item the analyst could link; a search finds them.
    page = client.get(url).content.decode()
    assert 'id="link-evidence"' in page and others[0].summary not in page
    found = client.get(url, {"link_q": "weapons"}).content.decode()
    offered = found.split('id="link-evidence"')[1].split("</details>")[0]
    assert f'value="{wanted.pk}"' in offered
    assert f'value="{linked.pk}"' not in offered  # already linked
    assert f'value="{hidden.pk}"' not in offered and hidden.summary not in offered
    assert "Unrelated item" not in offered

    response = client.post(
        reverse("questions:link", args=[in_analysis.pk]),
        {"link-evidence": wanted.pk, "link-relevance": "The route matters."},
    )
    assert response.status_code == 302
    link = EvidenceLink.objects.get(question=in_analysis, evidence=wanted)
    assert (link.relevance, link.linked_by) == ("The route matters.", analyst)
    # An item out of sight is refused even when its id is sent.
    client.post(reverse("questions:link", args=[in_analysis.pk]), {"link-evidence": hidden.pk})
    assert not EvidenceLink.objects.filter(question=in_analysis, evidence=hidden).exists()


def test_the_analyst_rates_evidence_against_each_hypothesis(client, in_analysis, analyst):
    first = factories.HypothesisFactory(question=in_analysis, title="Directly")
    second = factories.HypothesisFactory(question=in_analysis, title="Through Iran")
    evidence = _linked_evidence(in_analysis)
    client.force_login(analyst)
    client.post(
        reverse("questions:rate", args=[in_analysis.pk, evidence.pk]),
        {
            f"e{evidence.pk}-h{first.pk}": "inconsistent",
            f"e{evidence.pk}-h{second.pk}": "consistent",
        },
    )
    ratings = dict(HypothesisRating.objects.values_list("hypothesis__title", "rating"))
    assert ratings == {"Directly": "inconsistent", "Through Iran": "consistent"}


def test_the_reviewer_may_not_rate(client, in_analysis, reviewer):
    evidence = _linked_evidence(in_analysis)
    client.force_login(reviewer)
    url = reverse("questions:rate", args=[in_analysis.pk, evidence.pk])
    assert client.post(url, {}).status_code == 403


def test_the_assessment_editor_shows_both_wordings_and_the_range(client, in_analysis, analyst):
    client.force_login(analyst)
    html = client.get(reverse("questions:assessment", args=[in_analysis.pk])).content.decode()
    assert "roughly even chance" in html and "roughly even odds" in html and "45–55 %" in html


def test_the_analyst_drafts_then_submits(client, in_analysis, analyst):
    evidence = _linked_evidence(in_analysis)
    consider_hypotheses(in_analysis)
    client.force_login(analyst)
    data = {
        "key_judgments": "Weapons likely came through Iran.",
        "likelihood": "5",
        "likelihood_wording": "alternative",
        "confidence": "moderate",
        "cited_evidence": [evidence.pk],
    }
    client.post(reverse("questions:assessment", args=[in_analysis.pk]), data)
    draft = in_analysis.assessments.get()
    assert (draft.state, draft.likelihood) == (AssessmentState.DRAFT, 5)
    client.post(reverse("questions:assessment", args=[in_analysis.pk]), {**data, "submit": "1"})
    in_analysis.refresh_from_db()
    assert in_analysis.status == Status.IN_REVIEW
    html = client.get(reverse("questions:detail", args=[in_analysis.pk])).content.decode()
    assert "probable (55–80 %)" in html and "moderate confidence" in html


def test_the_analyst_says_which_hypothesis_the_judgment_supports(client, in_analysis, analyst):
    evidence = _linked_evidence(in_analysis)
    first = factories.HypothesisFactory(question=in_analysis, title="Russia armed Hamas")
    second = factories.HypothesisFactory(question=in_analysis, title="Iran armed Hamas")
    elsewhere = factories.HypothesisFactory(title="Someone else's")
    url = reverse("questions:assessment", args=[in_analysis.pk])
    client.force_login(analyst)
    form = client.get(url).content.decode()
    assert "Hypothesis the judgment supports" in form
    assert "H1 · Russia armed Hamas" in form and "H2 · Iran armed Hamas" in form
    assert "Someone else" not in form
    data = {
        "key_judgments": "Weapons likely came through Iran.",
        "likelihood": "5",
        "likelihood_wording": "primary",
        "confidence": "moderate",
        "cited_evidence": [evidence.pk],
    }

    refused = client.post(url, {**data, "hypothesis": elsewhere.pk})
    assert refused.status_code == 200 and not in_analysis.assessments.exists()
    client.post(url, {**data, "hypothesis": second.pk})
    assert in_analysis.assessments.get().hypothesis == second
    assert f'<option value="{second.pk}" selected>' in client.get(url).content.decode()
    client.post(url, {**data, "hypothesis": second.pk, "submit": "1"})

    page = client.get(reverse("questions:detail", args=[in_analysis.pk])).content.decode()
    assert "<dt>Supports</dt><dd>H2 · Iran armed Hamas</dd>" in page
    client.force_login(in_analysis.reviewer)
    review = client.get(reverse("questions:review", args=[in_analysis.pk])).content.decode()
    assert "Supports" in review and "H2 · Iran armed Hamas" in review
    assert first.supporting_assessments.count() == 0


def test_submitting_an_incomplete_draft_shows_what_is_missing(client, in_analysis, analyst):
    client.force_login(analyst)
    response = client.post(
        reverse("questions:assessment", args=[in_analysis.pk]),
        {"key_judgments": "Not sure yet.", "likelihood_wording": "primary", "submit": "1"},
    )
    in_analysis.refresh_from_db()
    assert in_analysis.status == Status.IN_ANALYSIS
    assert "Choose a likelihood step" in response.content.decode()


def test_the_reviewer_may_not_open_the_editor(client, in_analysis, reviewer):
    client.force_login(reviewer)
    url = reverse("questions:assessment", args=[in_analysis.pk])
    assert client.get(url).status_code == 403


# ---------------------------------------------------------------------------------------------
# The reviewer
# ---------------------------------------------------------------------------------------------
def test_returning_without_a_comment_is_refused(client, in_review, reviewer):
    client.force_login(reviewer)
    client.post(reverse("questions:action", args=[in_review.pk, "return"]), {"return-comment": ""})
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_the_review_page_shows_the_revision_beside_the_returned_version(
    client, in_review, analyst, reviewer
):
    client.force_login(reviewer)
    client.post(
        reverse("questions:action", args=[in_review.pk, "return"]),
        {"return-comment": "Weigh the Iranian channel."},
    )
    in_review.refresh_from_db()
    assessments.save_draft(
        in_review,
        analyst,
        key_judgments="Russia very likely supplied weapons through Iran.",
        likelihood=Likelihood.VERY_LIKELY,
        change_note="Weighed the Iranian channel.",
    )
    workflow.submit(in_review, analyst)
    html = client.get(reverse("questions:review", args=[in_review.pk])).content.decode()
    assert "Version 1" in html and "Version 2" in html
    assert "<ins>very </ins>likely" in html
    assert "<del>(55–80</del>" in html and "<ins>(80–95</ins>" in html
    client.post(reverse("questions:action", args=[in_review.pk, "approve"]))
    in_review.refresh_from_db()
    assert in_review.status == Status.ASSESSED


# ---------------------------------------------------------------------------------------------
# Safety: hostile text and CSRF
# ---------------------------------------------------------------------------------------------
def test_hostile_text_is_shown_as_text(client, in_analysis, analyst):
    client.force_login(analyst)
    client.post(reverse("questions:comment", args=[in_analysis.pk]), {"body": HOSTILE})
    factories.HypothesisFactory(question=in_analysis, title=HOSTILE)
    html = client.get(reverse("questions:detail", args=[in_analysis.pk])).content.decode()
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html


def test_every_form_post_needs_the_csrf_token(analyst, in_analysis):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    url = reverse("questions:comment", args=[in_analysis.pk])
    assert client.post(url, {"body": "hello"}).status_code == 403
    page = client.get(reverse("questions:detail", args=[in_analysis.pk])).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= page.count('method="post"')


def test_the_analysis_controls_follow_the_permission_functions(
    client, in_analysis, analyst, reviewer
):
    factories.HypothesisFactory(question=in_analysis)
    _linked_evidence(in_analysis)
    controls = ("Write the assessment", "Save ratings", "Add a hypothesis", "Record new evidence")
    url = reverse("questions:detail", args=[in_analysis.pk])
    client.force_login(analyst)
    html = client.get(url).content.decode()
    assert all(control in html for control in controls)
    client.force_login(reviewer)
    html = client.get(url).content.decode()
    assert not any(control in html for control in controls)


def test_evidence_the_user_may_not_see_is_not_found(client, team, outsider):
    hidden = factories.EvidenceFactory(owner_team=team, tlp=Tlp.AMBER)
    client.force_login(outsider)
    for name in ("evidence:detail", "evidence:edit"):
        assert client.get(reverse(name, args=[hidden.pk])).status_code == 404
    assert hidden.summary not in client.get(reverse("evidence:list")).content.decode()


def test_a_sub_question_stays_in_its_key_questions_team(client, question, lead, outsider):
    other = factories.TeamFactory(name="Other desk", slug="other-desk")
    other.members.add(lead)
    client.force_login(lead)
    response = client.post(
        reverse("questions:create"),
        {
            "title": "Elsewhere?",
            "parent": question.pk,
            "team": other.pk,
            "priority": 2,
            "tlp": "amber",
        },
    )
    assert response.status_code == 200
    assert not question.sub_questions.exists()
