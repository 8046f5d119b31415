"""Presentation of the analysis: the judgment-history chart, drawn on the server as inline SVG.

Formats only. Every string that reaches the SVG goes through format_html, so nothing a person
typed can become markup.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from questions.choices import LIKELIHOOD_STEPS, Confidence

register = template.Library()

# Geometry of the chart, in SVG user units (it scales with its container).
_LEFT, _RIGHT, _TOP, _BOTTOM = 150, 56, 14, 46
_HEIGHT_PLOT = 7 * 22
_STEP_X = 110
# Confidence is drawn as the marker's size (and written under each version): colour is not the
# only signal, and a second y-axis would invite reading confidence as a probability.
_RADIUS = {Confidence.LOW: 4, Confidence.MODERATE: 6, Confidence.HIGH: 8}


def _y(step: int) -> float:
    return _TOP + (7 - step) * _HEIGHT_PLOT / 6


@register.simple_tag
def judgment_chart(versions) -> SafeString:
    """Likelihood step (1–7) and confidence of each assessment version, oldest first."""
    versions = list(versions)
    if not versions:
        return SafeString("")
    width = _LEFT + _RIGHT + _STEP_X * max(len(versions) - 1, 1)
    height = _TOP + _HEIGHT_PLOT + _BOTTOM
    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="axis" text-anchor="end" dominant-baseline="middle">{}</text>',
        (
            (_LEFT, width - _RIGHT, _y(s.step), _y(s.step), _LEFT - 8, _y(s.step), s.wording)
            for s in LIKELIHOOD_STEPS
        ),
    )
    points = []
    marks = []
    for index, version in enumerate(versions):
        x = _LEFT + index * _STEP_X
        confidence = version.confidence
        label = Confidence(confidence).label.lower() if confidence else "no confidence"
        marks.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="middle">v{}</text>'
                '<text x="{}" y="{}" class="axis small" text-anchor="middle">{}</text>',
                x,
                _TOP + _HEIGHT_PLOT + 20,
                version.version,
                x,
                _TOP + _HEIGHT_PLOT + 36,
                label,
            )
        )
        if version.likelihood:
            y = _y(version.likelihood)
            points.append(f"{x},{y:g}")
            step = LIKELIHOOD_STEPS[version.likelihood - 1]
            marks.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="{}" class="point confidence-{}">'
                    "<title>Version {}: {} ({}), {}</title></circle>",
                    x,
                    f"{y:g}",
                    _RADIUS.get(confidence, 3),
                    confidence or "none",
                    version.version,
                    step.wording,
                    step.range_label,
                    label,
                )
            )
    line = (
        format_html('<polyline points="{}" class="line"/>', " ".join(points))
        if len(points) > 1
        else ""
    )
    return format_html(
        '<svg class="judgment-chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-labelledby="judgment-chart-title">'
        '<title id="judgment-chart-title">Likelihood and confidence by assessment version '
        "(the table below gives the same values)</title>{}{}{}</svg>",
        width,
        height,
        width,
        height,
        grid,
        line,
        format_html_join("", "{}", ((mark,) for mark in marks)),  # each already safe
    )
