"""The rows of the question page's ACH table, drawn in Python.

questions.views._ach_rows draws each row's pieces once (links, badges, rating cells); through
the template engine, placing them — a dozen variable lookups and a `{% csrf_token %}` per row —
still cost the page more CPU than drawing them, and a question links up to some hundreds of
items. Here a row is one format string filled with values escaped once each. The markup is what
templates/questions/_analysis.html's loop wrote, character for character
(tests/test_pages_analysis.py: test_the_ach_rows_markup_is_the_templates).
"""

from __future__ import annotations

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_ROW = """
      <tr>
        <td>
          <a href="{url}">{summary}</a>
          <div class="meta">
            {grading} {marking}
            {corroboration}
            <span>{source}</span>
            {happened}
          </div>
          {relevance}
        </td>
        {cells}
        {rate}
      </tr>
    """

_RATE = """
          <td><form method="post" id="rate-{evidence_id}" action="{rate_url}">{csrf}
            <button type="submit" class="btn btn-small">Save ratings</button></form></td>
        """


def _e(value) -> str:
    return str(conditional_escape(value))


@register.simple_tag(takes_context=True)
def ach_table_rows(context, rows: list[dict], can_rate: bool) -> SafeString:
    """`rows` (questions.views._ach_rows) as the table's rows; with `can_rate`, each with the
    form its rating selects post through."""
    # The template's own tag, rendered once: the same hidden field in every row's form.
    csrf = CsrfTokenNode().render(context) if can_rate else ""
    out = []
    for row in rows:
        link = row["link"]
        out.append(
            _ROW.format(
                url=_e(row["url"]),
                summary=_e(row["summary"]),
                grading=_e(row["grading"]),
                marking=_e(row["marking"]),
                corroboration=_e(row["corroboration"]),
                source=_e(row["evidence"].source.name),
                happened=f"<span>{_e(row['happened'])}</span>" if row["happened"] else "",
                relevance=(
                    f'<div class="small muted text-block">{_e(link.relevance)}</div>'
                    if link.relevance
                    else ""
                ),
                cells=_e(row["cells"]),
                rate=(
                    _RATE.format(
                        evidence_id=_e(link.evidence_id),
                        rate_url=_e(row["rate_url"]),
                        csrf=csrf,
                    )
                    if can_rate
                    else ""
                ),
            )
        )
    # Every value above is escaped as it is placed.
    return mark_safe("".join(out))  # noqa: S308
