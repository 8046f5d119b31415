"""The board's cards and the dashboard's lists of questions, drawn in Python.

A board shows up to 175 cards and the dashboard as many again plus its three lists. Through the
template engine — an include, a `{% url %}`, two date filters and a badge tag per card — a card
cost about 130 µs, most of the page's CPU (bench/RESULTS.md). Here a row is one format string
filled with values escaped once: the link from a route reversed once per list, the badges
formatted once per priority or status, and a due date's month in words once per month. Text is
escaped by html.escape, which django.utils.html.escape applies to a str, without the latter's
check for lazy strings on each of the some 500 titles and names of a page. The markup is what
the templates wrote (the former questions/_card.html and the loops of dashboard.html),
character for character (tests/test_pages_board.py).

Formats only: which questions appear and which are overdue is decided in questions/views.py.
The rows are questions.views.Card tuples (`analyst`: the assignee's username, or None).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from html import escape
from typing import TYPE_CHECKING

from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from questions.ach_markup import joined, url_maker
from questions.templatetags.iqtrack_ui import priority_badge, status_badge

if TYPE_CHECKING:
    from questions.views import Card

register = template.Library()

_OVERDUE = '<span class="badge overdue">Overdue</span>'


class _Rows:
    """What the rows of one list share: its link maker and the strings formatted once."""

    def __init__(self, route: str) -> None:
        self.url: Callable[[int], str] = url_maker(route)
        self.language = translation.get_language()
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self._badges: dict[tuple[Callable, object], str] = {}

    def badge(self, tag: Callable, value) -> str:
        key = (tag, value)
        if key not in self._badges:
            self._badges[key] = tag(value)
        return self._badges[key]

    def due(self, value: dt.datetime | None) -> tuple[str, str]:
        """`value|date:'c'` and `value|date:"j M Y"` as a template writes them, in the current
        time zone."""
        if value is None:
            return "", ""
        # template_localtime(value), with the current time zone looked up once per list.
        local = value.astimezone(self.zone) if self.zone and timezone.is_aware(value) else value
        # "c" is datetime.isoformat() (django.utils.dateformat.DateFormat.c): digits and -:.+T.
        # "j" is the day of the month; "M Y" comes from the date filter, once per month.
        return local.isoformat(), f"{local.day} {_month(self.language, local.year, local.month)}"


@functools.lru_cache(maxsize=1024)
def _month(language: str, year: int, month: int) -> str:
    """`|date:"M Y"` of a month in a language. The filter cost more than the rest of a card,
    and few due dates share a day; a month's words depend on nothing else."""
    with translation.override(language):
        return escape(date_filter(dt.date(year, month, 1), "M Y"))


_CARD = """<li class="q-card{overdue_class}">
  <a class="title" href="{url}">{title}</a>
  <div class="meta">
    {priority}
    {overdue}
    {due}
  </div>
  <div class="meta">
    {analyst}
    {sub}
  </div>
</li>
"""


@register.simple_tag
def question_cards(questions: Iterable[Card]) -> SafeString:
    """A board column's cards: title and link, priority, overdue, due date, analyst, and
    whether it is a sub-question."""
    rows = _Rows("questions:detail")
    cards = []
    for q in questions:
        iso, words = rows.due(q.due_at)
        cards.append(
            _CARD.format(
                overdue_class=" is-overdue" if q.is_overdue else "",
                url=rows.url(q.pk),
                title=escape(q.title),
                priority=rows.badge(priority_badge, q.priority),
                overdue=_OVERDUE if q.is_overdue else "",
                due=f'<span>Due <time datetime="{iso}">{words}</time></span>' if iso else "",
                analyst=(
                    f"<span>Analyst: {escape(q.analyst)}</span>"
                    if q.analyst is not None
                    else "<span>Unassigned</span>"
                ),
                sub="<span>Sub-question</span>" if q.parent_id else "",
            )
        )
    return joined(cards)


_ASSIGNMENT = """
          <tr {overdue_class}>
            <td><a href="{url}">{title}</a></td>
            <td>{status}</td>
            <td class="nowrap">{due}
                {overdue}</td>
          </tr>
        """


@register.simple_tag
def assignment_rows(questions: Iterable[Card]) -> SafeString:
    """The dashboard's "My assignments" table rows: question, status, due date, overdue."""
    rows = _Rows("questions:detail")
    return joined(
        _ASSIGNMENT.format(
            overdue_class='class="is-overdue"' if q.is_overdue else "",
            url=rows.url(q.pk),
            title=escape(q.title),
            status=rows.badge(status_badge, q.status),
            due=(
                '<time datetime="{}">{}</time>'.format(*rows.due(q.due_at))
                if q.due_at
                else '<span class="muted">—</span>'
            ),
            overdue=f"<br>{_OVERDUE}" if q.is_overdue else "",
        )
        for q in questions
    )


_REVIEW = """
          <li><a href="{url}">{title}</a>
            <div class="meta">Analyst: {analyst}{due}{overdue}</div></li>
        """


@register.simple_tag
def review_rows(questions: Iterable[Card]) -> SafeString:
    """The dashboard's "Waiting for my review" items: the review page's link, analyst, due
    date, overdue."""
    rows = _Rows("questions:review")
    return joined(
        _REVIEW.format(
            url=rows.url(q.pk),
            title=escape(q.title),
            analyst=escape(q.analyst or ""),
            due=f" · due {rows.due(q.due_at)[1]}" if q.due_at else "",
            overdue=f" {_OVERDUE}" if q.is_overdue else "",
        )
        for q in questions
    )


_LATE = """
        <li><a href="{url}">{title}</a>
          <div class="meta">{status} due {due} · {analyst}</div></li>
      """


@register.simple_tag
def late_rows(questions: Iterable[Card]) -> SafeString:
    """The dashboard's "Late in the teams I lead" items: status, due date, analyst."""
    rows = _Rows("questions:detail")
    return joined(
        _LATE.format(
            url=rows.url(q.pk),
            title=escape(q.title),
            status=rows.badge(status_badge, q.status),
            due=rows.due(q.due_at)[1],
            analyst=escape(q.analyst) if q.analyst else "unassigned",
        )
        for q in questions
    )
