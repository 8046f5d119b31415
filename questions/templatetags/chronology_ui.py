"""A timeline's entries (questions.timeline) as the timeline and actor pages show them, drawn in
Python.

Through the template engine — two `url` tags, a `truncatechars` and the grading tag per entry,
and a nested loop for actors — a page of 100 entries cost most of its CPU in the template. Here
an entry is a few format strings filled with values escaped once each; a route is reversed once
per page, a grading badge drawn once per distinct grading. The markup is what
templates/questions/_chronology.html's loop wrote, character for character
(tests/test_timeline_pages.py: test_the_chronology_markup_is_the_former_templates).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString

from evidence.choices import Corroboration
from questions.ach_markup import ItemBadges, joined, truncator, url_maker
from questions.timeline import TimelineEntry

register = template.Library()

_WEAK = (Corroboration.SINGLE_SOURCE, Corroboration.UNCONFIRMED)

_ENTRY = """
    <li class="chrono-{kind}">
      <span class="when{approximate}">{when}{precision}</span>
      <div class="what">
        {what}
        {actors}
      </div>
    </li>
  """

_EVENT = """
          <span class="badge kind-event">Event</span> <strong>{title}</strong>{place}
          {reported}
        """

_EVIDENCE = """
          <span class="badge kind-evidence">Evidence</span> <a href="{url}">{title}</a>
          <span class="meta">{grading}
            {corroboration}
            <span>{source}</span></span>
        """


class _Drawer:
    """What every entry of one page shares: the reversed routes, the truncations, the badges."""

    def __init__(self) -> None:
        self.evidence_url = url_maker("evidence:detail")
        self.actor_url = url_maker("questions:actor")
        self.short = truncator(60)
        self.long = truncator(160)
        self.badges = ItemBadges()

    def entry(self, entry: TimelineEntry) -> str:
        when = escape(entry.display) if entry.display else '<span class="muted">undated</span>'
        precision = ""
        if entry.precision and entry.precision != "day":
            precision = f' <span class="precision muted small">({escape(entry.precision)})</span>'
        what = self.event(entry) if entry.kind == "event" else self.evidence(entry)
        actors = ""
        if entry.actors:
            links = "".join(
                f'<a href="{self.actor_url(a.pk)}">{escape(a.name)}</a>' + (", " if more else "")
                for a, more in _with_more(entry.actors)
            )
            actors = f'<div class="small muted">Actors: {links}</div>'
        return _ENTRY.format(
            kind=escape(entry.kind),
            approximate=" approximate" if entry.approximate else "",
            when=when,
            precision=precision,
            what=what,
            actors=actors,
        )

    def event(self, entry: TimelineEntry) -> str:
        place = entry.item.place
        reported = ""
        if entry.evidence:
            links = "".join(
                f'<a href="{self.evidence_url(e.pk)}">{escape(self.short(e.summary))}</a>'
                + ("; " if more else "")
                for e, more in _with_more(entry.evidence)
            )
            reported = f'<div class="small">Reported in: {links}</div>'
        return _EVENT.format(
            title=escape(entry.title),
            place=f' <span class="muted">· {escape(place)}</span>' if place else "",
            reported=reported,
        )

    def evidence(self, entry: TimelineEntry) -> str:
        item = entry.item
        corroboration = ""
        if item.corroboration in _WEAK:
            corroboration = self.badges.corroboration(item.corroboration)
        return _EVIDENCE.format(
            url=self.evidence_url(entry.id),
            title=escape(self.long(entry.title)),
            grading=self.badges.grading(item),
            corroboration=corroboration,
            source=escape(item.source.name),
        )


def _with_more(items: Iterable) -> Iterable[tuple[object, bool]]:
    """Each item with whether another follows it (the template's `not forloop.last`)."""
    items = list(items)
    return zip(items, [True] * (len(items) - 1) + [False], strict=True)


@register.simple_tag
def chronology_items(entries: Iterable[TimelineEntry]) -> SafeString:
    """The <li> of each entry, as the former template loop wrote them (whitespace included)."""
    drawer = _Drawer()
    return joined(drawer.entry(entry) for entry in entries)
