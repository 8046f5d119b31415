"""The board and the dashboard: the cards and rows they draw (in Python,
questions/templatetags/board_ui.py), the filter's choices, and the queries each page makes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timezone import template_localtime

from accounts.choices import Role
from evidence.choices import Tlp
from questions.choices import Status
from questions.templatetags.board_ui import _Rows
from tests import factories

pytestmark = pytest.mark.django_db

DUE = dt.datetime(2026, 3, 9, 23, 30, 15, 123456, tzinfo=dt.UTC)
NOW = DUE + dt.timedelta(days=1)


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


# ---------------------------------------------------------------------------------------------
# What a card and a dashboard row show
# ---------------------------------------------------------------------------------------------
def test_a_card_shows_title_priority_overdue_due_date_analyst_and_sub_question(
    client, team, lead, analyst
):
    key = factories.QuestionFactory(team=team, status=Status.CLOSED)
    late = factories.QuestionFactory(
        team=team,
        title="<b>Late</b> & loud?",
        status=Status.IN_ANALYSIS,
        priority=4,
        assignee=analyst,
        due_at=DUE,
        parent=key,
    )
    calm = factories.QuestionFactory(team=team, title="Calm one", status=Status.OPEN, priority=1)
    client.force_login(lead)
    with translation.override("en-gb"), timezone.override(dt.UTC), time_machine.travel(NOW):
        html = client.get(reverse("questions:board")).content.decode()

    assert _section(html, 'id="col-in_analysis"', "</ol>").split("<ol>")[1] == (
        "\n        "
        '<li class="q-card is-overdue">\n'
        f'  <a class="title" href="/questions/{late.pk}/">&lt;b&gt;Late&lt;/b&gt; &amp; loud?</a>\n'
        '  <div class="meta">\n'
        '    <span class="badge priority priority-4">Critical priority</span>\n'
        '    <span class="badge overdue">Overdue</span>\n'
        '    <span>Due <time datetime="2026-03-09T23:30:15.123456+00:00">9 Mar 2026</time></span>\n'
        "  </div>\n"
        '  <div class="meta">\n'
        "    <span>Analyst: analyst</span>\n"
        "    <span>Sub-question</span>\n"
        "  </div>\n"
        "</li>\n"
        "\n      "
    )
    assert _section(html, 'id="col-open"', "</ol>").split("<ol>")[1] == (
        "\n        "
        '<li class="q-card">\n'
        f'  <a class="title" href="/questions/{calm.pk}/">Calm one</a>\n'
        '  <div class="meta">\n'
        '    <span class="badge priority priority-1">Low priority</span>\n'
        "    \n"
        "    \n"
        "  </div>\n"
        '  <div class="meta">\n'
        "    <span>Unassigned</span>\n"
        "    \n"
        "  </div>\n"
        "</li>\n"
        "\n      "
    )


def test_the_dashboard_lists_show_status_due_date_analyst_and_overdue(client, team, lead, analyst):
    mine = factories.QuestionFactory(
        team=team, title="Mine & late", status=Status.ASSIGNED, assignee=lead, due_at=DUE
    )
    undated = factories.QuestionFactory(
        team=team, title="Mine, undated", status=Status.IN_ANALYSIS, assignee=lead
    )
    to_review = factories.QuestionFactory(
        team=team,
        title="For review",
        status=Status.IN_REVIEW,
        assignee=analyst,
        reviewer=lead,
        due_at=DUE + dt.timedelta(days=30),
    )
    client.force_login(lead)
    with translation.override("en-gb"), timezone.override(dt.UTC), time_machine.travel(NOW):
        html = client.get(reverse("questions:dashboard")).content.decode()

    assert _section(html, "<tbody>", "</tbody>") == (
        "\n        "
        '\n          <tr class="is-overdue">'
        f'\n            <td><a href="/questions/{mine.pk}/">Mine &amp; late</a></td>'
        '\n            <td><span class="badge status status-assigned">Assigned</span></td>'
        '\n            <td class="nowrap"><time datetime="2026-03-09T23:30:15.123456+00:00">'
        "9 Mar 2026</time>"
        '\n                <br><span class="badge overdue">Overdue</span></td>'
        "\n          </tr>"
        "\n        "
        "\n          <tr >"
        f'\n            <td><a href="/questions/{undated.pk}/">Mine, undated</a></td>'
        '\n            <td><span class="badge status status-in_analysis">In analysis</span></td>'
        '\n            <td class="nowrap"><span class="muted">—</span>'
        "\n                </td>"
        "\n          </tr>"
        "\n        "
        "\n        "
    )
    assert _section(html, 'id="h-review"', "</ul>").split('<ul class="plain-list">')[1] == (
        "\n        "
        f'\n          <li><a href="/questions/{to_review.pk}/review/">For review</a>'
        '\n            <div class="meta">Analyst: analyst · due 8 Apr 2026</div></li>'
        "\n        "
        "\n      "
    )
    assert _section(html, 'id="h-late"', "</ul>").split('<ul class="plain-list">')[1] == (
        "\n      "
        f'\n        <li><a href="/questions/{mine.pk}/">Mine &amp; late</a>'
        '\n          <div class="meta"><span class="badge status status-assigned">Assigned</span>'
        " due 9 Mar 2026 · lead</div></li>"
        "\n      "
        "\n    "
    )


@pytest.mark.parametrize(
    "value",
    [
        DUE,
        DUE.replace(microsecond=0),
        dt.datetime(2027, 12, 31, 20, 0, tzinfo=dt.UTC),
        dt.datetime(999, 1, 1, 12, 0, tzinfo=dt.UTC),
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
@pytest.mark.parametrize("language", ["en-gb", "de", "ar"])
def test_a_due_date_reads_as_the_date_filter_writes_it(value, zone, language):
    """In the current time zone (the day can change) and language (the month's words)."""
    with timezone.override(zone), translation.override(language):
        local = template_localtime(value)
        expected = (date_filter(local, "c"), date_filter(local, "j M Y"))
        assert _Rows("questions:detail").due(value) == expected


# ---------------------------------------------------------------------------------------------
# The board's filter
# ---------------------------------------------------------------------------------------------
def test_the_filter_offers_the_teams_and_people_of_the_questions_one_may_see(
    client, team, lead, analyst, reviewer
):
    other = factories.TeamFactory(name="Out of sight", slug="out-of-sight")
    hidden_analyst = factories.UserFactory(username="hidden-analyst", roles=[Role.ANALYST])
    factories.QuestionFactory(team=team, assignee=analyst)
    factories.QuestionFactory(team=other, assignee=hidden_analyst, tlp=Tlp.AMBER)
    client.force_login(lead)
    html = client.get(reverse("questions:board")).content.decode()
    teams = _section(html, 'name="team"', "</select>")
    people = _section(html, 'name="assignee"', "</select>")
    assert f'<option value="{team.pk}">{team.name}</option>' in teams
    assert "Out of sight" not in teams
    assert f'<option value="{analyst.pk}">' in people
    assert "hidden-analyst" not in people and "reviewer" not in people


def test_the_filter_lists_people_by_username(client, team, lead):
    # Created out of alphabetical order: the table's row order is not the answer.
    names = ["zoe", "aziz", "lena"]
    people = [factories.UserFactory(username=name, roles=[Role.ANALYST]) for name in names]
    for person in people:
        team.members.add(person)
        factories.QuestionFactory(team=team, assignee=person)
    client.force_login(lead)
    html = client.get(reverse("questions:board")).content.decode()
    listed = _section(html, 'name="assignee"', "</select>")
    positions = [listed.index(f'<option value="{p.pk}">') for p in people]
    assert positions[1] < positions[2] < positions[0]  # aziz, lena, zoe


# ---------------------------------------------------------------------------------------------
# The dashboard's "New question"
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "offered"),
    [("designated lead", True), ("member with the lead role", True), ("analyst", False)],
)
def test_the_dashboard_offers_a_new_question_to_a_lead_only(
    client, team, lead, analyst, who, offered
):
    other = factories.TeamFactory(name="Second", slug="second")
    user = {
        "designated lead": lead,
        "member with the lead role": factories.UserFactory(username="deputy", roles=[Role.LEAD]),
        "analyst": analyst,
    }[who]
    other.members.add(user)
    client.force_login(user)
    html = client.get(reverse("questions:dashboard")).content.decode()
    assert ("New question" in html) is offered


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------
def _fill(count: int, **fields) -> None:
    """`count` late questions in each status."""
    for status in Status:
        factories.QuestionFactory.create_batch(
            count, status=status, due_at=timezone.now() - dt.timedelta(days=1), **fields
        )


@pytest.mark.parametrize("count", [1, 30])
def test_the_board_makes_six_queries(client, team, lead, analyst, count, django_assert_num_queries):
    """The session and the user; the columns' counts and cards, in one; the filter's teams and
    people; the unread notices in the header."""
    _fill(count, team=team, assignee=lead, reviewer=analyst)
    client.force_login(lead)
    with django_assert_num_queries(6):
        client.get(reverse("questions:board"))
    # Filtering reads the chosen team and person (the form checks them among its choices).
    with django_assert_num_queries(8):
        client.get(reverse("questions:board"), {"team": team.pk, "assignee": lead.pk})
    # htmx asks for the board alone: no header, no filter form.
    with django_assert_num_queries(3):
        client.get(reverse("questions:board"), headers={"HX-Request": "true"})


@pytest.mark.parametrize("count", [1, 30])
def test_the_dashboard_makes_nine_queries(
    client, team, lead, analyst, count, django_assert_num_queries
):
    """The session and the user; my teams; my assignments, my review queue and my teams' late
    questions, each shown and counted in one query; the team board's one; my unread notices
    and, in the header, their number. Whether I may write a question costs none for a team's
    designated lead."""
    _fill(count, team=team, assignee=lead, reviewer=analyst)
    client.force_login(lead)
    with django_assert_num_queries(9):
        client.get(reverse("questions:dashboard"))
