"""A team's timeline, and everything a user may see, read a page at a time
(questions.timeline.timeline_page): paging on and back gives every visible entry once, in the
timeline's order, whatever the page size; a day to start from; bad places named; a page costs the
same queries however long the timeline."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.template import engines
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.choices import Corroboration, DatePrecision, Tlp
from questions.timeline import Position, timeline, timeline_page
from tests import factories

pytestmark = pytest.mark.django_db

DAY = dt.date(2023, 10, 7)


@pytest.fixture
def story(team, analyst, outsider):
    """Items on a few days, several on one day, an event on that day, undated ones, and an item
    the analyst may not see in the middle of it all."""

    def item(summary, on=None, owner_team=team):
        return factories.EvidenceFactory(
            summary=summary,
            happened_on=on,
            happened_precision=DatePrecision.DAY if on else "",
            owner_team=owner_team,
            tlp=Tlp.AMBER,
        )

    item("Founding", dt.date(2006, 1, 1))
    for n in range(4):
        item(f"On the day {n}", DAY)
    factories.EventFactory(title="The attack", happened_on=DAY, happened_precision="day")
    item("Hidden on the day", DAY, owner_team=outsider.teams.get())
    item("After", dt.date(2023, 10, 26))
    item("Undated one")
    item("Undated two")
    factories.EventFactory(title="Undated event")


def _walk_on(user, size, team=None):
    seen, page = [], timeline_page(user, team=team, size=size)
    pages = 1
    while True:
        seen += page.entries
        if page.later is None:
            return seen, pages
        assert page.later == page.entries[-1].position
        page = timeline_page(user, team=team, after=page.later, size=size)
        pages += 1


@pytest.mark.parametrize("size", [1, 2, 3, 100])
def test_paging_on_gives_every_visible_entry_once_in_order(story, analyst, size):
    whole = timeline(analyst)
    seen, pages = _walk_on(analyst, size)
    assert [e.position for e in seen] == [e.position for e in whole]
    assert pages == max(1, -(-len(whole) // size))
    titles = [e.title for e in seen]
    assert "Hidden on the day" not in titles
    # Undated last; on the day the event before the reporting about it.
    assert titles[-3:] == ["Undated event", "Undated one", "Undated two"]
    assert titles.index("The attack") < titles.index("On the day 0")


@pytest.mark.parametrize("size", [1, 2, 3])
def test_paging_back_from_the_end_gives_the_same_entries(story, analyst, size):
    forward, _ = _walk_on(analyst, size)
    last = timeline_page(analyst, before=Position(None, "evidence", 10**9), size=size)
    backward = []
    page = last
    while True:
        backward = page.entries + backward
        if page.earlier is None:
            break
        assert page.earlier == page.entries[0].position
        page = timeline_page(analyst, before=page.earlier, size=size)
    assert [e.position for e in backward] == [e.position for e in forward]


def test_a_page_starts_from_a_day_and_knows_what_lies_before(story, analyst):
    page = timeline_page(analyst, after=Position.start_of(DAY), size=2)
    assert [e.title for e in page.entries] == ["The attack", "On the day 0"]
    assert page.earlier == page.entries[0].position  # "Founding" is earlier
    first = timeline_page(analyst, after=Position.start_of(dt.date(1990, 1, 1)), size=2)
    assert first.entries[0].title == "Founding" and first.earlier is None
    assert timeline_page(analyst, after=Position.start_of(dt.date(2999, 1, 1))).entries == [
        e for e in timeline(analyst) if e.on is None
    ]


def test_a_page_costs_the_same_queries_however_long_the_timeline(story, analyst, team):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            timeline_page(analyst, after=Position.start_of(DAY), size=3)
        return len(captured)

    few = queries()
    for n in range(30):
        factories.EvidenceFactory(
            summary=f"More {n}",
            happened_on=DAY,
            happened_precision=DatePrecision.DAY,
            owner_team=team,
            tlp=Tlp.AMBER,
        )
    assert queries() == few


def test_the_drawn_page_costs_the_same_queries_however_many_entries_it_draws(client, analyst, team):
    """Each entry is drawn from what its page read: its item's source and actors, an event's
    actors and visible reports (none of the columns a page leaves unread, questions.timeline)."""
    client.force_login(analyst)
    url = reverse("questions:team_timeline")

    def add(n: int) -> None:
        for _ in range(n):
            item = factories.EvidenceFactory(
                happened_on=DAY,
                happened_precision=DatePrecision.DAY,
                owner_team=team,
                tlp=Tlp.AMBER,
                corroboration=Corroboration.SINGLE_SOURCE,
            )
            item.actors.add(factories.ActorFactory())
            event = factories.EventFactory(happened_on=DAY, happened_precision="day", place="Gaza")
            event.evidence.add(item)
            event.actors.add(factories.ActorFactory())

    def drawn() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(url).content.decode()
        return len(captured), html

    add(1)
    few, _ = drawn()
    add(20)
    many, html = drawn()
    assert many == few
    assert html.count('class="chrono-evidence"') == 21 and html.count("· Gaza") == 21


def test_the_page_links_lead_on_and_back(client, analyst, story, monkeypatch):
    monkeypatch.setattr("questions.timeline.PAGE_SIZE", 2)
    client.force_login(analyst)
    url = reverse("questions:team_timeline")
    html = client.get(url + "?since=2023-10-07").content.decode()
    later = unescape(re.search(r'rel="next" href="([^"]+)"', html).group(1))
    earlier = unescape(re.search(r'rel="prev" href="([^"]+)"', html).group(1))
    assert "The attack" in html and "Founding" not in html
    assert "Founding" in client.get(url + earlier).content.decode()
    assert client.get(url + later).status_code == 200


def test_the_first_page_has_no_way_back_and_the_last_no_way_on(client, analyst, story):
    client.force_login(analyst)
    html = client.get(reverse("questions:team_timeline")).content.decode()
    assert 'rel="prev"' not in html and 'rel="next"' not in html  # all fits on one page
    assert "Founding" in html and "Undated two" in html


@pytest.mark.parametrize(
    "query,field",
    [
        ("after=2023-10-07.evidence", "after"),
        ("before=someday.event.1", "before"),
        ("after=2023-10-07.thing.1", "after"),
        ("since=7 October", "since"),
        ("after=2023-10-07.evidence.99999999999999999999", "after"),
        ("before=2023-10-07.event.-1", "before"),
        ("since=2023-10-07&after=2023-10-07.event.1", None),
    ],
)
def test_a_bad_place_is_named_and_the_timeline_shown_from_its_start(
    client, analyst, story, query, field
):
    client.force_login(analyst)
    response = client.get(reverse("questions:team_timeline") + "?" + query)
    assert response.status_code == 200
    html = response.content.decode()
    alert = re.search(r'<ul class="errorlist" role="alert">(.*?)</ul>', html).group(1)
    if field:
        assert f"{field}:" in alert
    assert "Founding" in html  # from the start


def test_a_teams_timeline_pages_through_that_teams_entries_only(analyst, team, story):
    other = factories.TeamFactory(name="Second", slug="second")
    other.members.add(analyst)
    factories.EvidenceFactory(
        summary="Second team's own",
        happened_on=DAY,
        happened_precision=DatePrecision.DAY,
        owner_team=other,
        tlp=Tlp.AMBER,
    )
    seen, _ = _walk_on(analyst, 2, team=team)
    titles = {e.title for e in seen if e.kind == "evidence"}
    assert "Second team's own" not in titles and "Founding" in titles
    seen, _ = _walk_on(analyst, 2, team=other)
    assert {e.title for e in seen if e.kind == "evidence"} == {"Second team's own"}


# templates/questions/_chronology.html before its entries were drawn in Python (chronology_ui).
FORMER_CHRONOLOGY = """{% load iqtrack_ui %}
{% if entries %}
<ol class="chronology">
  {% for entry in entries %}
    <li class="chrono-{{ entry.kind }}">
      <span class="when{% if entry.approximate %} approximate{% endif %}">{% if entry.display %}{{ entry.display }}{% else %}<span class="muted">undated</span>{% endif %}{% if entry.precision and entry.precision != 'day' %} <span class="precision muted small">({{ entry.precision }})</span>{% endif %}</span>
      <div class="what">
        {% if entry.kind == 'event' %}
          <span class="badge kind-event">Event</span> <strong>{{ entry.title }}</strong>{% if entry.item.place %} <span class="muted">· {{ entry.item.place }}</span>{% endif %}
          {% if entry.evidence %}<div class="small">Reported in: {% for e in entry.evidence %}<a href="{% url 'evidence:detail' e.pk %}">{{ e.summary|truncatechars:60 }}</a>{% if not forloop.last %}; {% endif %}{% endfor %}</div>{% endif %}
        {% else %}
          <span class="badge kind-evidence">Evidence</span> <a href="{% url 'evidence:detail' entry.id %}">{{ entry.title|truncatechars:160 }}</a>
          <span class="meta">{% grading_badge entry.item %}
            {% if entry.item.corroboration == 'single_source' or entry.item.corroboration == 'unconfirmed' %}<span class="badge corroboration corroboration-{{ entry.item.corroboration }}">{{ entry.item.get_corroboration_display }}</span>{% endif %}
            <span>{{ entry.item.source.name }}</span></span>
        {% endif %}
        {% if entry.actors %}<div class="small muted">Actors: {% for a in entry.actors %}<a href="{% url 'questions:actor' a.pk %}">{{ a.name }}</a>{% if not forloop.last %}, {% endif %}{% endfor %}</div>{% endif %}
      </div>
    </li>
  {% endfor %}
</ol>
{% else %}<p class="empty">Nothing to show.</p>{% endif %}
"""  # noqa: E501


def test_the_chronology_markup_is_the_former_templates(analyst, team, story):
    hostile = '<script>alert("x")</script> & “quotes”'
    actor = factories.ActorFactory(name=hostile)
    reported = factories.EvidenceFactory(
        summary="Reported " + "long " * 30 + hostile,
        happened_on=DAY,
        happened_precision=DatePrecision.DAY,
        owner_team=team,
        tlp=Tlp.AMBER,
        corroboration=Corroboration.SINGLE_SOURCE,
    )
    reported.actors.add(actor, factories.ActorFactory(name="Second actor"))
    event = factories.EventFactory(
        title=hostile,
        place="Doha " + hostile,
        happened_on=dt.date(2023, 9, 23),
        happened_precision=DatePrecision.APPROXIMATE,
        happened_text="two weeks before",
    )
    event.evidence.add(reported, factories.EvidenceFactory(summary="Second", tlp=Tlp.CLEAR))
    event.actors.add(actor)
    entries = timeline(analyst)
    assert {e.kind for e in entries} == {"event", "evidence"} and any(e.actors for e in entries)
    former = engines["django"].from_string(FORMER_CHRONOLOGY).render({"entries": entries})
    now = render_to_string("questions/_chronology.html", {"entries": entries})
    # The same markup; only the blank lines the template's own comments leave before it differ.
    assert now.lstrip("\n") == former.lstrip("\n")
    assert "<script>" not in now
    empty = render_to_string("questions/_chronology.html", {"entries": []})
    before = engines["django"].from_string(FORMER_CHRONOLOGY).render({"entries": []})
    assert empty.strip() == before.strip()
