"""The evidence list page's rows (templates/evidence/list.html), drawn in Python.

Through the template engine — a `url` tag, a `truncatechars`, two choice labels and two badge
tags per row — the template cost about half of the page's CPU for a page of 50. Here a row is
one format string filled with values escaped once each; the route is reversed once per page and
each badge drawn once per distinct value (questions.ach_markup). The markup is what the former
loop wrote, character for character (tests/test_paging.py:
test_the_evidence_rows_are_the_former_templates).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString

from evidence.choices import Language
from evidence.models import Evidence
from questions.ach_markup import ItemBadges, joined, truncator, url_maker

register = template.Library()

_LANGUAGES = dict(Language.choices)

_ROW = """
    <tr>
      <td><a href="{url}">{summary}</a>
        <div class="meta">{corroboration} {language}</div></td>
      <td>{grading}</td>
      <td>{marking}</td>
      <td>{happened}</td>
      <td>{source}</td>
    </tr>
  """


@register.simple_tag
def evidence_rows(items: Iterable[Evidence]) -> SafeString:
    """The <tr> of each item, as the former template loop wrote them (whitespace included)."""
    url = url_maker("evidence:detail")
    summary = truncator(140)
    badges = ItemBadges()
    return joined(
        _ROW.format(
            url=url(item.pk),
            summary=escape(summary(item.summary)),
            corroboration=badges.corroboration(item.corroboration),
            language=escape(_LANGUAGES.get(item.original_language, item.original_language)),
            grading=badges.grading(item),
            marking=badges.marking(item.tlp),
            happened=escape(item.happened_display or "—"),
            source=escape(item.source.name),
        )
        for item in items
    )
