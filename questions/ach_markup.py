"""The ACH matrix's rows as HTML, built in Python for the pages that show it (the heatmap,
questions/analysis_views.py; the rating selects on the question page, questions/views.py); and
what every page drawn in Python shares: joining escaped HTML, routes reversed once, truncation,
badges, and a page's bulk spliced into it as bytes (`Bulk`, `render_spliced`).

A 20 × 300 matrix is 6,000 cells. Through the template engine — a loop per cell, a form field
per cell on the question page — they cost most of a second (bench/RESULTS.md); here a cell is one
of a few strings formatted once (its column and its rating), or a short concatenation of pieces
escaped once per row and per column. The markup is the templates' and the forms' own, character
for character where tests compare them (tests/test_pages_analysis.py).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from contextvars import ContextVar

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


# While a page is rendered by render_spliced: a marker only this render writes, and the bulk
# drawn for it so far (each as its parts and separator).
_SPLICING: ContextVar[tuple[str, list[tuple[list[str], str]]] | None] = ContextVar(
    "iqtrack_splicing", default=None
)


class Bulk:
    """A page's bulk drawn in Python (the ACH matrix's rows), handed to its template as a value
    (`{{ rows }}`): false when there are no parts (`{% if not rows %}`). Shown while the page
    is rendered by render_spliced, it is a short stand-in, and the parts are spliced into the
    page as UTF-8 bytes; otherwise it is joined(parts, separator)."""

    def __init__(self, parts: Iterable[str], separator: str = "") -> None:
        self.parts = list(parts)
        self.separator = separator

    def __bool__(self) -> bool:
        return bool(self.parts)

    def __html__(self) -> SafeString:
        splicing = _SPLICING.get()
        if splicing is None or not self.parts:
            return joined(self.parts, self.separator)
        nonce, kept = splicing
        kept.append((self.parts, self.separator))
        return mark_safe(f"\x00{nonce}{len(kept) - 1}\x00")  # noqa: S308 — no markup, no text

    __str__ = __html__


def render_spliced(request, template: str, context: dict) -> HttpResponse:
    """`render(request, template, context)`, the same bytes, with each Bulk the template shows
    encoded part by part and spliced into the rendered page as bytes.

    As one string, a page's bulk was copied by every template level it passed through, and,
    since a row holds a character beyond Latin-1 ("—"), widened to two bytes a character on
    each join and encoded back at the end: a sixth of the ACH matrix page's time, 600 KB of
    rows (bench/README.md, Session 14). Not worth it for a page of 100 KB (the board, the
    dashboard, a timeline: within 2% either way, measured). The stand-ins carry a nonce of this
    render's, so that nothing else in the page (an echoed query) can be taken for one."""
    nonce = secrets.token_hex(8)
    kept: list[tuple[list[str], str]] = []
    token = _SPLICING.set((nonce, kept))
    try:
        page = render_to_string(template, context, request)
    finally:
        _SPLICING.reset(token)
    if not kept:
        return HttpResponse(page)
    pieces = re.split(f"\x00{nonce}(\\d+)\x00", page)
    body = []
    for position, piece in enumerate(pieces):
        if position % 2 == 0:  # the template's own text
            body.append(piece.encode())
        else:
            parts, separator = kept[int(piece)]
            body.append(separator.encode().join([part.encode() for part in parts]))
    return HttpResponse(b"".join(body))


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
