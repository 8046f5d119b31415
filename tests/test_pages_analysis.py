"""The analysis pages: ACH heatmap, tradecraft beside the assessment, search, timelines, actors,
judgment history — what each shows, and that nobody sees what they may not."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import template
from django.urls import reverse

from evidence.choices import Corroboration, DatePrecision, Language, Reliability, Tlp
from questions import workflow
from questions.ach_markup import Bulk, joined, render_spliced
from questions.choices import AchRating, Confidence, Likelihood
from questions.models import EvidenceLink, HypothesisRating
from tests import factories
from tests.stories import Cast, question_in, write_draft

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture
def cast(lead, analyst, reviewer):
    return Cast(lead, analyst, reviewer)


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def link(question, evidence):
    EvidenceLink.objects.create(question=question, evidence=evidence)
    return evidence


def rate(hypothesis, evidence, rating):
    HypothesisRating.objects.create(hypothesis=hypothesis, evidence=evidence, rating=rating)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------------------------------------
# ACH matrix
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def matrix(team, lead):
    """Two hypotheses; an A1 item that argues hard against H2 (the linchpin) and a C3
    single-source item inconsistent with both (no diagnostic value).

    By hand: H1 = 1 × 0.36 = 0.36; H2 = 2 × 1.0 + 1 × 0.36 = 2.36. Without the A1 item both
    score 0.36 and tie for first, so it alone changes the leader; without the C3 item H1 still
    leads.
    """
    question = factories.QuestionFactory(team=team, created_by=lead, title="Who armed them?")
    h1 = factories.HypothesisFactory(question=question, title="Supplied directly", position=1)
    h2 = factories.HypothesisFactory(question=question, title="Not supplied", position=2)
    strong = link(
        question,
        factories.EvidenceFactory(
            summary="Intercepted shipping manifest",
            source=factories.SourceFactory(reliability=Reliability.A),
            credibility=1,
            corroboration=Corroboration.CORROBORATED,
            owner_team=team,
        ),
    )
    weak = link(
        question,
        factories.EvidenceFactory(
            summary="Anonymous forum post",
            source=factories.SourceFactory(reliability=Reliability.C),
            credibility=3,
            corroboration=Corroboration.SINGLE_SOURCE,
            owner_team=team,
        ),
    )
    rate(h1, strong, AchRating.CONSISTENT)
    rate(h2, strong, AchRating.VERY_INCONSISTENT)
    rate(h1, weak, AchRating.INCONSISTENT)
    rate(h2, weak, AchRating.INCONSISTENT)
    return {"question": question, "h1": h1, "h2": h2, "strong": strong, "weak": weak}


def _row(html: str, summary: str) -> str:
    """The text of the matrix row that names `summary`."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)
    return text_of(next(r for r in rows if summary in r))


def test_it_shows_the_matrix_with_the_rating_word_in_every_cell(client, analyst, matrix):
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    strong = _row(html, "Intercepted shipping manifest")
    assert "Consistent" in strong and "Very inconsistent" in strong
    assert 'class="heat heat-very_inconsistent"' in html  # the colour repeats the word
    assert "Supplied directly" in html and "Not supplied" in html


def test_it_ranks_the_hypotheses_by_weighted_inconsistency_in_the_footer(client, analyst, matrix):
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    footer = text_of(re.search(r"<tfoot>.*?</tfoot>", html, flags=re.S).group(0))
    assert re.search(r"0\.36 rank 1 \(first\).*2\.36 rank 2", footer), footer


def test_it_marks_the_linchpin_and_the_row_with_no_diagnostic_value(client, analyst, matrix):
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    strong = _row(html, "Intercepted shipping manifest")
    weak = _row(html, "Anonymous forum post")
    assert "Linchpin" in strong and "Linchpin" not in weak
    assert " 3 " in strong  # diagnosticity: consistent (+1) to very inconsistent (−2)
    assert "no diagnostic value" in weak and "no diagnostic value" not in strong


def test_each_row_carries_its_grading_and_single_source_flag(client, analyst, matrix):
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    strong = _row(html, "Intercepted shipping manifest")
    weak = _row(html, "Anonymous forum post")
    assert "A1" in strong and "C3" in weak
    assert "Single source" in weak and "Single source" not in strong


def test_it_flags_an_item_that_repeats_another(client, analyst, matrix):
    echo = link(
        matrix["question"],
        factories.EvidenceFactory(
            summary="Outlet repeats the manifest", derived_from=matrix["strong"]
        ),
    )
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    assert "Repeats another item" in _row(html, echo.summary)
    assert "Repeats another item" not in _row(html, "Intercepted shipping manifest")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Short",
        "x" * 109,
        "x" * 110,
        "x" * 111,
        "Intercepted shipping manifest " * 10,
        "Cafe\u0301 " * 40,  # NFD: composed to one character each before counting
        "a\u0308" * 200,  # combining marks NFC cannot compose: they do not count
        "x" * 105 + "\u0301" * 10 + "y" * 20,
        "سيُرسل " * 30,  # Arabic with a haraka (combining)
        "שָׁלוֹם " * 30,  # Hebrew with niqqud (combining)
        "Переговоры продолжались несколько недель " * 4,
        "<b>Tom & Jerry</b> " * 10,
    ],
)
def test_each_rows_summary_is_cut_as_truncatechars_cuts_it(text):
    from django.template.defaultfilters import truncatechars

    from questions.ach_markup import truncator

    assert truncator(110)(text) == truncatechars(text, 110)


def test_the_matrix_escapes_what_it_shows(client, analyst, matrix):
    item = link(
        matrix["question"],
        factories.EvidenceFactory(
            summary='<script>alert("x")</script> & co',
            happened_text="<i>late</i>",
            corroboration=Corroboration.UNCONFIRMED,
            derived_from=factories.EvidenceFactory(summary="<b>origin</b>"),
        ),
    )
    link(matrix["question"], item.derived_from)
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    assert (
        "<script>alert" not in html
        and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    )
    assert "<b>origin</b>" not in html and 'title="Repeats: &lt;b&gt;origin&lt;/b&gt;"' in html


def test_the_matrix_page_is_the_bytes_the_template_renders_with_its_rows(
    client, rf, analyst, matrix
):
    """Its rows are spliced into the page as UTF-8 bytes (render_spliced): the page must be
    what rendering them into the template as one string gives, non-Latin text included."""
    from django.shortcuts import render

    from questions.ach import build_matrix
    from questions.analysis_views import ach_rows, ach_scores

    link(matrix["question"], factories.EvidenceFactory(summary="Встреча в Москве — 𝔞 & <b>"))
    client.force_login(analyst)
    got = client.get(reverse("questions:ach", args=[matrix["question"].pk])).content
    question = matrix["question"]
    request = rf.get("/")
    request.user = analyst
    request.csp_nonce = "n"
    drawn = build_matrix(question, analyst)
    rows = ach_rows(drawn)
    context = {"question": question, "matrix": drawn, "scores": ach_scores(drawn)}
    expected = render(
        request, "questions/ach.html", {**context, "rows": joined(rows, "\n      ")}
    ).content
    tokens = re.compile(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
    assert tokens.sub(rb"\1", got) == tokens.sub(rb"\1", expected)
    assert "Встреча в Москве — 𝔞 &amp; &lt;b&gt;".encode() in got


def test_a_matrix_without_rows_says_so(client, analyst, matrix):
    EvidenceLink.objects.filter(question=matrix["question"]).delete()
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    assert "No evidence is linked to this question yet." in html


def test_a_matrix_of_items_without_hypotheses_says_so(client, analyst, matrix):
    """Its rows are drawn, but the page shows none of them: spliced only where shown."""
    matrix["question"].hypotheses.all().delete()
    html = page(client, analyst, reverse("questions:ach", args=[matrix["question"].pk]))
    assert "This question has no hypotheses yet." in html
    assert "Intercepted shipping manifest" not in html and "\x00" not in html


TEMPLATES = {
    "twice.html": "<p>{{ a }}</p>{{ rows }}|{% if rows %}{{ rows }}{% endif %}·{% x %}",
    "none.html": "—{% if rows %}{{ a }}{% endif %}",
}


# A tag that draws a bulk, for the templates above (OPTIONS "builtins": this module).
register = template.Library()
register.simple_tag(lambda: Bulk(["<li>𝔞</li>", "<li>b</li>"], " "), name="x")


@pytest.fixture
def splice_templates(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)],
                "builtins": [__name__],
            },
        }
    ]


@pytest.mark.parametrize("name", list(TEMPLATES))
@pytest.mark.parametrize("parts", [["<tr>é</tr>", "<tr>𝔞</tr>"], []])
def test_the_bulk_goes_wherever_the_template_shows_it(rf, splice_templates, name, parts):
    """render_spliced gives render's bytes: a Bulk value shown twice, or not at all, or empty,
    and a tag's bulk; and text that looks like a stand-in is only text."""
    from django.shortcuts import render

    context = {"a": "<\x000\x00>"}
    spliced = render_spliced(rf.get("/"), name, {**context, "rows": Bulk(parts, "\n")})
    whole = render(rf.get("/"), name, {**context, "rows": joined(parts, "\n")})
    assert spliced.content == whole.content
    assert spliced["Content-Type"] == whole["Content-Type"]


@pytest.mark.parametrize("rating", ["", *AchRating.values])
def test_the_question_pages_rating_selects_are_ratingforms_fields(matrix, rating):
    """The question page draws each row's selects from plain data (questions/ach_markup.py);
    they must be what RatingForm, which reads what they post, would draw — label included."""
    from django.template.defaultfilters import truncatechars
    from django.utils.html import escape

    from questions.ach_markup import RatingCells
    from questions.forms import RatingForm

    hypotheses = [matrix["h1"], matrix["h2"]]
    hypotheses[0].title = 'Supplied <directly> & "openly"'
    item = factories.EvidenceFactory(summary="A <long> & winding report " * 5)
    current = {matrix["h1"].pk: rating}
    form = RatingForm(
        hypotheses=hypotheses, current=current, form_id=f"rate-{item.pk}", prefix=f"e{item.pk}"
    )
    by_form = "\n".join(
        f'<td><label class="visually-hidden" for="{field.id_for_label}">Rating against '
        f"“{escape(field.label)}” for “{escape(truncatechars(item.summary, 60))}”</label>"
        f"{field}</td>"
        for field in form
    )
    assert RatingCells(hypotheses).selects(item.pk, item.summary, current) == by_form


def test_the_question_page_links_to_the_matrix(client, analyst, matrix):
    html = page(client, analyst, reverse("questions:detail", args=[matrix["question"].pk]))
    assert reverse("questions:ach", args=[matrix["question"].pk]) in html


def test_an_outsider_gets_404_for_the_matrix_and_the_timeline(client, outsider, matrix):
    client.force_login(outsider)
    for name in ("questions:ach", "questions:timeline"):
        assert client.get(reverse(name, args=[matrix["question"].pk])).status_code == 404


# ---------------------------------------------------------------------------------------------
# Tradecraft beside the assessment
# ---------------------------------------------------------------------------------------------
def test_the_reviewer_sees_the_tradecraft_warnings_beside_the_version(client, cast):
    question = question_in("in_analysis", cast)
    write_draft(question, cast.analyst, confidence=Confidence.HIGH)  # unconfirmed items only
    workflow.submit(question, cast.analyst)
    html = page(client, cast.reviewer, reverse("questions:review", args=[question.pk]))
    assert 'data-code="high_confidence_weak_evidence"' in html
    assert "Tradecraft checks" in html


def test_the_question_page_shows_the_blocking_findings_of_the_draft(client, cast):
    question = question_in("in_analysis", cast)
    write_draft(question, cast.analyst, key_judgments="It is very likely they met.")
    html = page(client, cast.analyst, reverse("questions:detail", args=[question.pk]))
    assert 'data-code="likelihood_terms_disagree"' in html and "Blocking" in html


def test_a_refused_submit_shows_each_blocking_message(client, cast):
    question = question_in("in_analysis", cast)
    write_draft(question, cast.analyst, key_judgments="It is very likely, 90 %, they met.")
    client.force_login(cast.analyst)
    response = client.post(reverse("questions:action", args=[question.pk, "submit"]), follow=True)
    html = text_of(response.content.decode())
    assert "The text states 90 %, outside the chosen step" in html
    assert "The text says “very likely” but the chosen step is “likely”" in html
    question.refresh_from_db()
    assert question.status == "in_analysis"


def test_a_clean_version_passes_every_check(client, cast):
    question = question_in("in_review", cast)
    html = page(client, cast.reviewer, reverse("questions:review", args=[question.pk]))
    assert "All checks pass." in html


# ---------------------------------------------------------------------------------------------
# Judgment history
# ---------------------------------------------------------------------------------------------
def test_the_question_page_charts_likelihood_and_confidence_with_the_change_notes(client, cast):
    question = question_in("in_review", cast)
    workflow.return_(question, cast.reviewer, comment="Weigh the intercept.")
    write_draft(
        question,
        cast.analyst,
        likelihood=Likelihood.VERY_LIKELY,
        confidence=Confidence.HIGH,
        change_note="Raised after the intercept. " + HOSTILE,
    )
    html = page(client, cast.analyst, reverse("questions:detail", args=[question.pk]))
    svg = re.search(r"<svg class=\"judgment-chart\".*?</svg>", html, flags=re.S).group(0)
    assert svg.count("<circle") == 2 and "<polyline" in svg
    assert "Version 1: likely (55–80 %), moderate" in svg
    assert "Version 2: very likely (80–95 %), high" in svg
    assert "Raised after the intercept." in html
    assert HOSTILE not in html and "&lt;script&gt;window.__pwned" in html


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
        owner_team=team,
    )
    hostile = factories.EvidenceFactory(
        summary=f"Delegation visit {HOSTILE}", original_text="", owner_team=team
    )
    hidden = factories.EvidenceFactory(
        summary="Delegation visit seen by another team only",
        tlp=Tlp.AMBER,
        owner_team=factories.TeamFactory(name="Elsewhere", slug="elsewhere"),
    )
    return {"arabic": arabic, "hostile": hostile, "hidden": hidden}


def test_the_header_has_a_search_box(client, analyst):
    html = page(client, analyst, reverse("questions:dashboard"))
    assert f'action="{reverse("questions:search")}"' in html and 'name="q"' in html


def test_search_marks_an_arabic_snippet_right_to_left_and_links_to_the_item(
    client, analyst, searchable
):
    html = page(client, analyst, reverse("questions:search") + "?q=المقاومة")
    assert reverse("evidence:detail", args=[searchable["arabic"].pk]) in html
    assert re.search(r'<div class="snippet" lang="ar" dir="rtl">[^<]*<mark>', html)


def test_search_snippets_show_typed_markup_as_text(client, analyst, searchable):
    html = page(client, analyst, reverse("questions:search") + "?q=delegation")
    assert reverse("evidence:detail", args=[searchable["hostile"].pk]) in html
    assert "<script>window" not in html and "&lt;script&gt;" in html
    assert "<mark>" in html  # the one markup the snippet brings


def test_search_never_shows_what_the_user_may_not_see(client, analyst, outsider, searchable):
    html = page(client, analyst, reverse("questions:search") + "?q=delegation")
    assert "another team only" not in html
    html = page(client, outsider, reverse("questions:search") + "?q=delegation")
    assert "Al-Arouri" not in html and "Delegation visit" not in html
    assert "Nothing you may see matches." in html


# ---------------------------------------------------------------------------------------------
# Timelines and actors
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def chronology(team, lead):
    question = factories.QuestionFactory(team=team, created_by=lead, title="What happened?")
    sub = factories.QuestionFactory(team=team, created_by=lead, parent=question, title="Sub?")
    arouri = factories.ActorFactory(name="Saleh al-Arouri", affiliation="Hamas deputy head")
    hamas = factories.ActorFactory(name="Hamas", kind="organisation")
    arouri.affiliated_with.add(hamas)
    meeting = link(
        question,
        factories.EvidenceFactory(
            summary="Delegation met in Moscow",
            happened_on=dt.date(2023, 10, 1),
            happened_precision=DatePrecision.MONTH,
            owner_team=team,
        ),
    )
    meeting.actors.add(arouri)
    founding = link(
        sub,
        factories.EvidenceFactory(
            summary="Office opened",
            happened_on=dt.date(2006, 1, 1),
            happened_precision=DatePrecision.YEAR,
            owner_team=team,
        ),
    )
    rumour = link(
        question,
        factories.EvidenceFactory(
            summary="Shipment two weeks before the attack",
            happened_on=dt.date(2023, 9, 23),
            happened_precision=DatePrecision.APPROXIMATE,
            happened_text="two weeks before 7 October",
            owner_team=team,
        ),
    )
    event = factories.EventFactory(
        title="Moscow visit", happened_on=dt.date(2023, 10, 26), happened_precision="day"
    )
    event.evidence.add(meeting)
    event.actors.add(arouri)
    hidden = factories.EvidenceFactory(
        summary="Another team's secret sighting",
        tlp=Tlp.AMBER,
        owner_team=factories.TeamFactory(name="Elsewhere", slug="elsewhere"),
    )
    hidden.actors.add(arouri)
    return {
        "question": question,
        "arouri": arouri,
        "hamas": hamas,
        "items": [founding, rumour, meeting],
        "event": event,
    }


def test_the_question_timeline_is_chronological_with_visible_precision(client, analyst, chronology):
    html = page(client, analyst, reverse("questions:timeline", args=[chronology["question"].pk]))
    text = text_of(html)
    order = [
        text.index("2006 (year)"),  # the sub-question's evidence: the whole case
        text.index("c. 2023-09-23 (two weeks before 7 October)"),
        text.index("2023-10 (month)"),
        text.index("2023-10-26"),
    ]
    assert order == sorted(order), text
    assert (
        text.index("Office opened") < text.index("Shipment two weeks") < text.index("Moscow visit")
    )
    assert 'class="when approximate"' in html


def test_the_team_timeline_leaves_out_what_the_user_may_not_see(client, analyst, chronology):
    html = page(client, analyst, reverse("questions:team_timeline"))
    assert "Delegation met in Moscow" in html and "Moscow visit" in html
    assert "secret sighting" not in html


def test_an_outsider_sees_none_of_the_case_on_the_whole_timeline(client, outsider, chronology):
    html = page(client, outsider, reverse("questions:team_timeline"))
    assert "Delegation met in Moscow" not in html and "Office opened" not in html
    # The event's only evidence is out of sight, so the event is too.
    assert "Moscow visit" not in html


def test_an_actor_page_lists_affiliations_and_visible_appearances(client, analyst, chronology):
    html = page(client, analyst, reverse("questions:actor", args=[chronology["arouri"].pk]))
    assert "Hamas deputy head" in html
    assert reverse("questions:actor", args=[chronology["hamas"].pk]) in html
    assert "Delegation met in Moscow" in html and "Moscow visit" in html
    assert "secret sighting" not in html


def test_the_actor_list_links_each_actor_and_whom_it_is_affiliated_with(
    client, analyst, chronology
):
    html = page(client, analyst, reverse("questions:actors"))
    rows = re.findall(r"<tr>.*?</tr>", html, flags=re.S)
    arouri = next(row for row in rows if "Saleh al-Arouri" in row)
    hamas = next(row for row in rows if ">Hamas</a></td>" in row)
    assert reverse("questions:actor", args=[chronology["arouri"].pk]) in arouri
    # Affiliated with: a link to Hamas's page on his row; nobody on Hamas's.
    assert reverse("questions:actor", args=[chronology["hamas"].pk]) in arouri
    assert text_of(hamas).split() == ["Hamas", "Organisation", "—", "—"]


def test_the_team_timeline_narrows_to_one_of_the_users_teams(client, analyst, team, chronology):
    other = factories.TeamFactory(name="Second", slug="second")
    other.members.add(analyst)
    factories.EvidenceFactory(summary="Second team's own item", owner_team=other)
    html = page(client, analyst, reverse("questions:team_timeline") + f"?team={team.pk}")
    assert "Delegation met in Moscow" in html and "Second team's own item" not in html
    html = page(client, analyst, reverse("questions:team_timeline") + f"?team={other.pk}")
    assert "Second team&#x27;s own item" in html and "Delegation met in Moscow" not in html


def test_the_team_timeline_refuses_a_team_that_is_not_the_users(client, analyst, outsider):
    client.force_login(analyst)
    foreign = outsider.teams.get()
    url = reverse("questions:team_timeline")
    assert client.get(url + f"?team={foreign.pk}").status_code == 404
    assert client.get(url + "?team=abc").status_code == 404


def test_the_analyst_sees_the_checks_above_the_assessment_editor(client, cast):
    question = question_in("in_analysis", cast)
    write_draft(question, cast.analyst, key_judgments="Roughly 70 % likely they met.")
    html = page(client, cast.analyst, reverse("questions:assessment", args=[question.pk]))
    assert 'data-code="likelihood_terms_disagree"' not in html  # "likely" is the chosen step
    assert "All checks pass." in html


def test_the_editor_lists_a_blocking_finding_before_submission(client, cast):
    question = question_in("in_analysis", cast)
    write_draft(question, cast.analyst, key_judgments="It is almost certain, 99 %, they met.")
    html = page(client, cast.analyst, reverse("questions:assessment", args=[question.pk]))
    assert 'data-code="percentage_outside_step"' in html
    assert 'data-code="likelihood_terms_disagree"' in html


# The loop templates/questions/_analysis.html drew the ACH table's rows with, which
# questions/templatetags/detail_ui.py now draws in Python.
_ACH_ROWS_TEMPLATE = """{% for row in ach_rows %}
      <tr>
        <td>
          <a href="{{ row.url }}">{{ row.summary }}</a>
          <div class="meta">
            {{ row.grading }} {{ row.marking }}
            {{ row.corroboration }}
            <span>{{ row.evidence.source.name }}</span>
            {% if row.happened %}<span>{{ row.happened }}</span>{% endif %}
          </div>
          {% if row.link.relevance %}<div class="small muted text-block">{{ row.link.relevance }}</div>{% endif %}
        </td>
        {{ row.cells }}
        {% if can_rate %}
          <td><form method="post" id="rate-{{ row.link.evidence_id }}" action="{{ row.rate_url }}">{% csrf_token %}
            <button type="submit" class="btn btn-small">Save ratings</button></form></td>
        {% endif %}
      </tr>
    {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("can_rate", [True, False])
def test_the_ach_rows_markup_is_the_templates(can_rate):
    from types import SimpleNamespace

    from django.template import Context, Template
    from django.utils.safestring import mark_safe

    from questions.templatetags.detail_ui import ach_table_rows

    def row(n: int, relevance: str, happened: str) -> dict:
        source = SimpleNamespace(name=f"Source <{n}> & co")
        return {
            "link": SimpleNamespace(relevance=relevance, evidence_id=12345 + n),
            "evidence": SimpleNamespace(source=source),
            "url": f"/evidence/{n}/?a=1&b=2",
            "summary": f"Summary \"{n}\" <i>'quoted'</i> & more",
            "grading": mark_safe('<span class="badge">A1</span>'),
            "marking": mark_safe('<span class="badge tlp">TLP:AMBER</span>'),
            "corroboration": "",
            "happened": happened,
            "cells": mark_safe("<td>C</td><td>I</td>"),
            "rate_url": f"/questions/1/rate/{n}/",
        }

    rows = [row(1, "Why <it> matters", "c. 2024"), row(2, "", ""), row(3, "x & y", "2020-01")]
    for shown in (rows, rows[:1], []):
        context = Context({"ach_rows": shown, "can_rate": can_rate, "csrf_token": "t0k<>"})
        expected = Template(_ACH_ROWS_TEMPLATE).render(context)
        assert ach_table_rows(context, shown, can_rate) == expected
