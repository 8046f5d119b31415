"""Search: ranked, multilingual, highlighted — and never beyond what the user may see."""

from __future__ import annotations

import pytest
from django.db import connection

from evidence.choices import Language, Tlp
from questions.models import EvidenceLink
from questions.search import search
from tests import factories

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text configurations are PostgreSQL's"
)


@pytest.fixture
def case(team, analyst):
    question = factories.QuestionFactory(
        team=team, title="Did Russia promise Hamas assistance in March?"
    )
    russian = factories.EvidenceFactory(
        summary="Shoigu said the cooperation had serious military dimensions",
        original_language=Language.RU,
        original_text="Сотрудничество имеет серьёзные военные измерения",
        translation="The cooperation has serious military dimensions",
        tlp=Tlp.AMBER,
        owner_team=team,
    )
    arabic = factories.EvidenceFactory(
        summary="Al-Arouri affirmed the legitimate right to armed resistance",
        original_language=Language.AR,
        original_text="أكد الوفد حقه المشروع في المقاومة المسلحة",
        translation="The delegation affirmed its legitimate right to armed resistance",
        tlp=Tlp.AMBER,
        owner_team=team,
    )
    for item in (russian, arabic):
        EvidenceLink.objects.create(question=question, evidence=item)
    return {"question": question, "russian": russian, "arabic": arabic}


def kinds_and_ids(hits):
    return {(h.kind, h.id) for h in hits}


def test_it_finds_a_question_by_an_english_word_in_another_form(analyst, case):
    # "promised" stems to the same lexeme as the title's "promise" on PostgreSQL; the SQLite
    # fallback matches the substring.
    word = "promised" if connection.vendor == "postgresql" else "promise"
    hits = search(analyst, word)
    assert ("question", case["question"].id) in kinds_and_ids(hits)


@postgres_only
def test_it_finds_russian_text_by_another_inflection_of_the_word(analyst, case):
    # The text says "военные"; the query's "военный" meets it through the russian stemmer.
    hits = search(analyst, "военный")
    assert [h.id for h in hits if h.kind == "evidence"] == [case["russian"].id]
    hit = next(h for h in hits if h.kind == "evidence")
    assert "<mark>" in hit.snippet and hit.language == Language.RU and not hit.rtl


def test_it_finds_arabic_text_and_marks_the_snippet_right_to_left(analyst, case):
    hits = search(analyst, "المقاومة")
    evidence_hits = [h for h in hits if h.kind == "evidence"]
    assert [h.id for h in evidence_hits] == [case["arabic"].id]
    assert evidence_hits[0].rtl
    assert "<mark>" in evidence_hits[0].snippet


def test_it_finds_the_english_translation(analyst, case):
    hits = search(analyst, "delegation")
    assert ("evidence", case["arabic"].id) in kinds_and_ids(hits)


def test_it_ranks_a_title_match_above_a_passing_mention(analyst, team):
    strong = factories.QuestionFactory(team=team, title="Garantex and Hamas financing")
    weak = factories.QuestionFactory(
        team=team, title="Other leads", body="A long body that mentions Garantex once."
    )
    hits = [h.id for h in search(analyst, "Garantex") if h.kind == "question"]
    assert hits.index(strong.id) < hits.index(weak.id)


def test_snippets_escape_markup_in_the_text(analyst, team):
    factories.QuestionFactory(team=team, title="<script>alert(1)</script> Vega Network")
    hits = search(analyst, "Vega")
    snippet_and_titles = " ".join(h.snippet for h in hits)
    assert "<script>" not in snippet_and_titles
    assert "&lt;script&gt;" in snippet_and_titles


def test_an_outsider_finds_nothing_of_a_teams_items_not_even_a_count(outsider, case):
    for word in ("Russia", "военные", "المقاومة", "delegation"):
        assert search(outsider, word) == []


def test_an_empty_or_blank_query_finds_nothing(analyst, case):
    assert search(analyst, "") == []
    assert search(analyst, "   ") == []


def test_hostile_query_syntax_is_just_text(analyst, case):
    for q in [
        "' OR 1=1 --",
        "!!!&&&|||",
        "(((",
        '"unterminated',
        "a:*",
        "nul\x00byte",
        "\u202eevil",
    ]:
        search(analyst, q)  # no error: websearch syntax never raises on odd input


def test_one_query_per_kind(analyst, case, django_assert_max_num_queries):
    with django_assert_max_num_queries(4 + 2):  # + the user's team lookups for visibility
        search(analyst, "cooperation")
