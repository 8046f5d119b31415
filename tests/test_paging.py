"""Long lists come in pages (iqtrack/paging.py) whose links keep the list's filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import engines
from django.urls import reverse

from evidence.choices import Corroboration, DatePrecision, Tlp
from iqtrack.paging import PER_PAGE
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_actors_come_fifty_a_page_with_the_number_of_pages(client, analyst):
    for n in range(PER_PAGE + 3):
        factories.ActorFactory(name=f"Actor {n:03}")
    client.force_login(analyst)

    first = client.get(reverse("questions:actors")).content.decode()
    second = client.get(reverse("questions:actors"), {"page": 2}).content.decode()
    nonsense = client.get(reverse("questions:actors"), {"page": "x"}).content.decode()

    assert "Actor 049" in first and "Actor 050" not in first
    assert "Page 1 of 2" in first and '<a href="?page=2" rel="next">' in first
    assert "Actor 050" in second and "Actor 052" in second and "Actor 049" not in second
    assert '<a href="?page=1" rel="prev">' in second and 'rel="next"' not in second
    assert "Page 1 of 2" in nonsense


def test_the_evidence_list_pages_keep_the_search(client, analyst):
    for n in range(PER_PAGE + 2):
        factories.EvidenceFactory(
            summary=f"Convoy sighted {n:03}",
            tlp=Tlp.GREEN,
            happened_on=dt.date(2023, 1, 1),
            happened_precision="day",
        )
    factories.EvidenceFactory(summary="Unrelated", tlp=Tlp.GREEN)
    client.force_login(analyst)

    first = client.get(reverse("evidence:list"), {"q": "convoy"}).content.decode()
    second = client.get(reverse("evidence:list"), {"q": "convoy", "page": 2}).content.decode()

    assert first.count("Convoy sighted") == PER_PAGE and "Unrelated" not in first
    assert '<a href="?q=convoy&amp;page=2" rel="next">Next page</a>' in first
    assert second.count("Convoy sighted") == 2 and 'rel="next"' not in second
    assert '<a href="?q=convoy&amp;page=1" rel="prev">' in second
    assert "Page 2</span>" in second


def test_the_evidence_list_shows_no_item_the_user_may_not_see(client, analyst, outsider):
    factories.EvidenceFactory(summary="Shared widely", tlp=Tlp.GREEN)
    factories.EvidenceFactory(summary="Kept in the team", tlp=Tlp.AMBER, owner_team=None)
    client.force_login(outsider)

    html = client.get(reverse("evidence:list")).content.decode()

    assert "Shared widely" in html and "Kept in the team" not in html
    assert 'class="page-links"' not in html


# The former loop of templates/evidence/list.html, which evidence_ui.evidence_rows replaced.
FORMER_EVIDENCE_ROWS = """{% load iqtrack_ui %}
  {% for e in items %}
    <tr>
      <td><a href="{% url 'evidence:detail' e.pk %}">{{ e.summary|truncatechars:140 }}</a>
        <div class="meta"><span class="badge corroboration corroboration-{{ e.corroboration }}">{{ e.get_corroboration_display }}</span> {{ e.get_original_language_display }}</div></td>
      <td>{% grading_badge e %}</td>
      <td>{% tlp_badge e.tlp %}</td>
      <td>{{ e.happened_display|default:"—" }}</td>
      <td>{{ e.source.name }}</td>
    </tr>
  {% endfor %}
"""  # noqa: E501


def test_the_evidence_rows_are_the_former_templates():
    hostile = '<script>alert("x")</script> & “quotes”'
    source = factories.SourceFactory(name=hostile)
    items = [
        factories.EvidenceFactory(
            summary="Long " * 40 + hostile,
            source=source,
            corroboration=Corroboration.SINGLE_SOURCE,
            original_language="ru",
            happened_on=dt.date(2023, 9, 23),
            happened_precision=DatePrecision.APPROXIMATE,
            tlp=Tlp.AMBER_STRICT,
            owner_team=factories.TeamFactory(),
        ),
        factories.EvidenceFactory(summary=hostile, original_language="", tlp=Tlp.CLEAR),
        # Combining marks in the first 140 characters: the filter's own count.
        factories.EvidenceFactory(summary="e\u0301" * 150, original_language="fa"),
    ]
    former = engines["django"].from_string(FORMER_EVIDENCE_ROWS).render({"items": items})
    now = engines["django"].from_string("{% load evidence_ui %}\n  {% evidence_rows items %}\n")
    assert now.render({"items": items}) == former
    assert "<script>" not in former
