"""How lists page. The question list reads a page ids first, with the total counted in the same
query (iqtrack.api.pagination.IdsFirstPaginator): page by page it must answer what Django's
count-and-page answers, and refuse the same page numbers. The lists of analytic records page by
cursor (CursorPages): every record the user may see, once, newest first."""

from __future__ import annotations

import pytest
from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator

from evidence.choices import Tlp
from iqtrack.api.pagination import IdsFirstPaginator
from questions.choices import AchRating, Status
from questions.models import Comment, HypothesisRating, Question
from questions.visibility import (
    visible_assessments,
    visible_comments,
    visible_evidence,
    visible_evidence_links,
    visible_hypotheses,
    visible_hypothesis_ratings,
    visible_questions,
    visible_reviews,
    visible_transitions,
)
from tests import factories
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db

NUMBERS = [1, 2, 3, 4, "1", "3", "0", "-1", "x", "", None, 1.5, 2.0, "last"]


def _answer(paginator_class, queryset, number) -> object:
    paginator = paginator_class(queryset, 3)
    if number == "last":  # as DRF asks for it
        number = paginator.num_pages
    try:
        page = paginator.page(number)
    except InvalidPage as refusal:
        return type(refusal).__name__
    return (
        [question.pk for question in page],
        paginator.count,
        paginator.num_pages,
        page.has_next(),
        page.has_previous(),
        page.start_index(),
    )


@pytest.fixture
def seven_questions(team):
    # Equal priorities and due dates: the order's last word (the id) decides.
    return [factories.QuestionFactory(team=team, priority=3 if n % 2 else 2) for n in range(7)]


@pytest.mark.parametrize("number", NUMBERS, ids=repr)
def test_a_page_read_ids_first_is_djangos_page(seven_questions, lead, number):
    queryset = visible_questions(lead).select_related("team").prefetch_related("recipients")

    ids_first = _answer(IdsFirstPaginator, queryset, number)

    assert ids_first == _answer(DjangoPaginator, queryset, number)


@pytest.mark.parametrize("number", [1, 2, "last"], ids=repr)
def test_an_empty_list_reads_as_djangos(lead, number):
    queryset = visible_questions(lead)

    assert _answer(IdsFirstPaginator, queryset, number) == _answer(
        DjangoPaginator, queryset, number
    )


def test_rows_are_read_in_full_with_their_prefetches(seven_questions, lead, analyst):
    seven_questions[0].recipients.add(analyst)
    queryset = Question.objects.select_related("team").prefetch_related("recipients")

    page = IdsFirstPaginator(queryset, 50).page(1)

    first = next(question for question in page if question.pk == seven_questions[0].pk)
    assert "team" in first._state.fields_cache
    assert list(first.recipients.all()) == [analyst]


def test_a_distinct_list_is_counted_djangos_way(seven_questions, lead, analyst):
    # Each question twice (two members of its team) before DISTINCT: a window would count 14.
    queryset = Question.objects.filter(team__members__in=[lead, analyst]).distinct()

    answer = _answer(IdsFirstPaginator, queryset, 1)

    assert answer == _answer(DjangoPaginator, queryset, 1)
    assert answer[1] == 7


def test_the_api_answers_every_page_and_refuses_the_rest(seven_questions, lead):
    client = client_for(lead)

    pages = [client.get("/api/questions/", {"page_size": 3, "page": n}).json() for n in (1, 2, 3)]
    last = client.get("/api/questions/", {"page_size": 3, "page": "last"}).json()

    assert [page["count"] for page in pages] == [7, 7, 7]
    listed = [row["id"] for page in pages for row in page["results"]]
    assert listed == [q.pk for q in Question.objects.filter(pk__in=listed)]  # the model's order
    assert sorted(listed) == sorted(q.pk for q in seven_questions)
    assert last == pages[2]
    assert pages[0]["previous"] is None and pages[2]["next"] is None
    for number in (4, 0, "x"):
        assert_error(client.get("/api/questions/", {"page_size": 3, "page": number}), 404)


# The lists of analytic records page by cursor, newest first, without a total
# (iqtrack.api.pagination.CursorPages).
BY_CURSOR = {
    "evidence": visible_evidence,
    "hypotheses": visible_hypotheses,
    "evidence-links": visible_evidence_links,
    "hypothesis-ratings": visible_hypothesis_ratings,
    "assessments": visible_assessments,
    "reviews": visible_reviews,
    "comments": visible_comments,
    "transitions": visible_transitions,
}


@pytest.fixture
def three_cases(lead, analyst, reviewer):
    cast = Cast(lead, analyst, reviewer)
    cases = [question_in(Status.ASSESSED, cast, priority=p) for p in (2, 3, 1)]
    for question in cases:
        Comment.objects.create(question=question, author=analyst, body="Checked the manifests.")
        for hypothesis in question.hypotheses.all():
            for link in question.evidence_links.all():
                HypothesisRating.objects.create(
                    hypothesis=hypothesis, evidence=link.evidence, rating=AchRating.CONSISTENT
                )
    # Out of the lead's sight: none of it may appear on any page.
    factories.EvidenceFactory(tlp=Tlp.RED)
    return cases


@pytest.mark.parametrize("things", BY_CURSOR)
def test_a_record_list_pages_by_cursor_through_what_the_user_sees_once_newest_first(
    three_cases, lead, things
):
    expected = sorted(BY_CURSOR[things](lead).values_list("pk", flat=True), reverse=True)
    client = client_for(lead)

    pages = [client.get(f"/api/{things}/", {"page_size": 2}).json()]
    while pages[-1]["next"] is not None:
        pages.append(client.get(pages[-1]["next"]).json())

    assert len(expected) > 2  # more than one page of each
    assert [row["id"] for page in pages for row in page["results"]] == expected
    assert all("count" not in page and len(page["results"]) <= 2 for page in pages)
    assert pages[0]["previous"] is None
    back = client.get(pages[1]["previous"]).json()
    assert [row["id"] for row in back["results"]] == expected[:2]


@pytest.mark.parametrize("things", BY_CURSOR)
def test_a_record_list_refuses_a_page_number_and_a_cursor_it_did_not_make(lead, things):
    client = client_for(lead)
    assert "page" in assert_error(client.get(f"/api/{things}/", {"page": 2}), 400)["fields"]
    assert_error(client.get(f"/api/{things}/", {"cursor": "not-ours"}), 404)
    too_many = assert_error(client.get(f"/api/{things}/", {"page_size": 201}), 400)
    assert "page_size" in too_many["fields"]
