"""The ACH matrix's rows as HTML, built in Python for the pages that show it (the heatmap,
questions/analysis_views.py; the rating selects on the question page, questions/views.py).

A 20 × 300 matrix is 6,000 cells. Through the template engine — a loop per cell, a form field
per cell on the question page — they cost most of a second (bench/RESULTS.md); here a cell is one
of a few strings formatted once (its column and its rating), or a short concatenation of pieces
escaped once per row and per column. The markup is the templates' and the forms' own, character
for character where tests compare them (tests/test_pages_analysis.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.http import HttpResponse
from django.template.defaultfilters import truncatechars
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from evidence.choices import Corroboration
from questions.choices import AchRating
from questions.templatetags.iqtrack_ui import ach_label, grading_badge, tlp_badge


def joined(parts: Iterable[str], separator: str = "") -> SafeString:
    """Join HTML that is safe already without escaping it again. Only for parts made in this
    module, by format_html, or by strings whose every value was escaped (board_ui's rows)."""
    return mark_safe(separator.join(parts))  # noqa: S308 — every part is escaped HTML already


def render_with_parts(
    request,
    template: str,
    context: dict,
    name: str,
    parts: Iterable[str],
    separator: str = "",
) -> HttpResponse:
    """`render(request, template, context)` with `context[name]` the joined(parts, separator) —
    the same bytes — for a page whose bulk is drawn in Python (the ACH matrix's 600 KB of rows):
    the parts are encoded to UTF-8 one by one and spliced into the rendered page as bytes,
    wherever (and as often as) the template shows them.

    As one string, that bulk was copied by every template level it passed through, and, since
    a row holds a character beyond Latin-1 ("—"), widened to two bytes a character on each join
    and encoded back at the end: a sixth of the matrix page's time (bench/README.md, Session
    14). The template sees a short stand-in for it (empty when there are no parts, so that
    `{% if not rows %}` still reads true)."""
    parts = list(parts)
    marker = f"\x00{name}\x00"  # NUL: in no template and in no escaped value
    stand_in = mark_safe(marker if parts else "")  # noqa: S308 — no markup, no user text
    page = render_to_string(template, {**context, name: stand_in}, request)
    if not parts:
        return HttpResponse(page)
    body = separator.encode().join([part.encode() for part in parts])
    return HttpResponse(body.join([piece.encode() for piece in page.split(marker)]))


def url_maker(name: str, *fixed: int):
    """`pk → reverse(name, args=[*fixed, pk])` for a route whose arguments are ints, reversed
    once: reversing it for each of 300 rows cost more than drawing them."""
    marker = "9" * 18
    head, tail = reverse(name, args=[*fixed, int(marker)]).split(marker)
    return lambda pk: f"{head}{int(pk)}{tail}"


def truncator(length: int):
    """`text → text|truncatechars:length`, the same string, without the filter's loop over each
    character for the usual text — none of its first `length + 1` characters (after NFC) is a
    combining one, so the filter would keep a fixed number of them and add its ending. That number
    and ending (translated) are read off the filter once, from a probe of the same shape."""
    probe_char = "\x01"
    probe = truncatechars(probe_char * (length + 1), length)
    kept = probe.count(probe_char)
    before, after = probe.split(probe_char * kept) if kept else ("", probe)

    def truncated(text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        if len(text) <= length:
            return text
        if any(map(unicodedata.combining, text[: length + 1])):
            return truncatechars(text, length)
        return f"{before}{text[:kept]}{after}"

    return truncated


# ---------------------------------------------------------------------------------------------
# The question page's matrix: a rating select per cell (RatingForm's fields, rendered by hand)
# ---------------------------------------------------------------------------------------------
_RATING_CHOICES = [("", "Not rated"), *AchRating.choices]


def _options(selected: str) -> str:
    """The options of RatingForm's select with `selected` chosen, as Django's Select draws them."""
    return "\n" + "".join(
        f'  <option value="{escape(value)}"{" selected" if value == selected else ""}>'
        f"{escape(label)}</option>\n\n"
        for value, label in _RATING_CHOICES
    )


class RatingCells:
    """The cells of the question page's matrix for one question's hypotheses (display order):
    a select per hypothesis belonging to the row's form (`rate-<item id>`), named as RatingForm
    with the prefix `e<item id>` names its fields; or, for a reader who may not rate, the rating
    word."""

    def __init__(self, hypotheses) -> None:
        self.hypotheses = [(h.pk, escape(h.title)) for h in hypotheses]
        self.options = {value: _options(value) for value, _ in _RATING_CHOICES}
        self.summary = truncator(60)
        self.readonly = {
            value: format_html('<td class="rating-{}">{}</td>', value, ach_label(value))
            for value, _ in _RATING_CHOICES
        }

    def selects(self, evidence_id: int, summary: str, current: dict[int, str]) -> SafeString:
        evidence_id = int(evidence_id)
        summary = escape(self.summary(summary))
        cells = []
        for hypothesis_id, title in self.hypotheses:
            name = f"e{evidence_id}-h{int(hypothesis_id)}"
            rating = current.get(hypothesis_id, "")
            options = self.options.get(rating) or _options(rating)
            cells.append(
                f'<td><label class="visually-hidden" for="id_{name}">Rating against “{title}” '
                f'for “{summary}”</label><select name="{name}" form="rate-{evidence_id}" '
                f'id="id_{name}">{options}</select></td>'
            )
        return mark_safe("\n".join(cells))  # noqa: S308 — ids are ints, the texts escaped above

    def words(self, current: dict[int, str]) -> SafeString:
        cells = []
        for hypothesis_id, _ in self.hypotheses:
            rating = current.get(hypothesis_id, "")
            cell = self.readonly.get(rating)
            if cell is None:
                cell = format_html('<td class="rating-{}">{}</td>', rating, ach_label(rating))
            cells.append(cell)
        return joined(cells)


# ---------------------------------------------------------------------------------------------
# The question page's matrix: what the first cell of a row says about its item
# ---------------------------------------------------------------------------------------------
_CORROBORATION_LABELS = dict(Corroboration.choices)


class ItemBadges:
    """An item's grading, marking and corroboration badges as the question page shows them
    (iqtrack_ui's tags, the template's corroboration badge), each drawn once per distinct value:
    a page of hundreds of rows has a few dozen gradings and a handful of markings."""

    def __init__(self) -> None:
        self._gradings: dict[str, SafeString] = {}
        self._markings: dict[str, SafeString] = {}
        self._corroborations: dict[str, SafeString] = {}

    def grading(self, evidence) -> SafeString:
        code = evidence.grading
        if code not in self._gradings:
            self._gradings[code] = grading_badge(evidence)
        return self._gradings[code]

    def marking(self, tlp: str) -> SafeString:
        if tlp not in self._markings:
            self._markings[tlp] = tlp_badge(tlp)
        return self._markings[tlp]

    def corroboration(self, value: str) -> SafeString:
        if value not in self._corroborations:
            self._corroborations[value] = format_html(
                '<span class="badge corroboration corroboration-{}">{}</span>',
                value,
                _CORROBORATION_LABELS.get(value, value),
            )
        return self._corroborations[value]
