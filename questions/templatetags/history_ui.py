"""A question's story (questions.history) as its page shows it, drawn in Python.

Through the template engine — two date filters per entry, a loop, a `length` and a `pluralize`
per edit — the story cost the question's page more CPU than any other part of its markup. Here
an entry is a few format strings filled with values escaped once each. The markup is what
templates/questions/_timeline.html wrote, character for character
(tests/test_history.py: test_the_timeline_markup_is_the_templates).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from questions.history import Change, Entry

register = template.Library()

_EMPTY = '<p class="empty">Nothing has happened yet.</p>'

_ENTRY = """
    <li class="entry-{kind}">
      <time class="when" datetime="{iso}">{when}</time>
      <span class="summary">{summary}</span>
      {comment}
      {changes}
    </li>
  """

_CHANGES = """
        <details class="changes">
          <summary>{count} change{plural}</summary>
          <ul>
            {items}
          </ul>
        </details>
      """

_CHANGE = """
              <li><span class="muted">{subject} · {label}:</span> <del>{before}</del> → <ins>{after}</ins></li>
            """  # noqa: E501


def _e(value) -> str:
    return str(conditional_escape(value))


def _change(change: Change) -> str:
    return _CHANGE.format(
        subject=_e(change.subject),
        label=_e(change.label),
        before=_e(change.before),
        after=_e(change.after),
    )


@functools.lru_cache(maxsize=1024)
def _month(language: str, year: int, month: int) -> str:
    """`|date:"M Y"` of a month in a language (escaped): the filter cost more than the rest of
    an entry, and a month's words depend on nothing else."""
    with translation.override(language):
        return str(conditional_escape(date_filter(dt.date(year, month, 1), "M Y")))


def _entry(entry: Entry, language: str) -> str:
    # What `{{ entry.at|date:… }}` does: the instant in the current time zone, then the filter.
    # "c" is datetime.isoformat() (django.utils.dateformat.DateFormat.c): digits and -:.+T;
    # "j M Y, H:i" is the day, the month's words, and the time.
    at = template_localtime(entry.at)
    changes = entry.changes
    return _ENTRY.format(
        kind=_e(entry.kind),
        iso=at.isoformat(),
        when=f"{at.day} {_month(language, at.year, at.month)}, {at.hour:02d}:{at.minute:02d}",
        summary=_e(entry.summary),
        comment=(
            f'<div class="comment text-block">{_e(entry.comment)}</div>' if entry.comment else ""
        ),
        changes=(
            _CHANGES.format(
                count=len(changes),
                plural="" if len(changes) == 1 else "s",
                items="".join(_change(c) for c in changes),
            )
            if changes
            else ""
        ),
    )


@register.simple_tag
def history_timeline(entries: Iterable[Entry]) -> SafeString:
    """The story's entries, oldest first, as an ordered list (or a line saying there are none)."""
    entries = list(entries)
    if not entries:
        return mark_safe(_EMPTY)  # noqa: S308 (constant markup)
    language = translation.get_language()
    body = "".join(_entry(entry, language) for entry in entries)
    # Every value above is escaped as it is placed.
    return mark_safe(f'\n<ol class="timeline">\n  {body}\n</ol>\n')  # noqa: S308
