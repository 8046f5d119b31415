"""The search page's hits (templates/questions/search.html), drawn in Python.

Through the template engine — a `truncatechars`, the `lang_attr` filter twice and three
lookups per hit — the loop cost a third of the page's CPU beside the search itself. Here a hit
is one format string filled with values escaped once each. The markup is what the former loop
wrote, character for character (tests/test_search.py:
test_the_search_page_hits_are_the_former_templates).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString

from questions.ach_markup import joined, truncator
from questions.templatetags.iqtrack_ui import lang_attr

register = template.Library()

# The two lines of spaces are where the former template explained the snippet's |safe (below).
_HIT = (
    '\n          <li><a href="{url}">{title}</a>\n'
    + "            \n" * 2
    + '            <div class="snippet"{lang}{rtl}>{snippet}</div></li>\n        '
)


@register.simple_tag
def search_hits(items: Iterable[dict]) -> SafeString:
    """The <li> of each hit of a group (`{"hit": Hit, "url": …}`), as the former loop wrote
    them. Hit.snippet is built by questions.search: its text escaped first, then only the
    <mark> tags around matches added, so it goes in as it is: those marks and nothing else."""
    title = truncator(160)

    def draw(item: dict) -> str:
        hit = item["hit"]
        language = lang_attr(hit.language)
        return _HIT.format(
            url=escape(item["url"]),
            title=escape(title(hit.title)),
            lang=f' lang="{escape(language)}"' if language else "",
            rtl=' dir="rtl"' if hit.rtl else "",
            snippet=hit.snippet,
        )

    return joined(draw(item) for item in items)
