"""Small presentation helpers for the pages: badges in the trade's own notation.

Everything here formats; nothing decides. Who may see or do what is asked of the domain modules.
"""

from __future__ import annotations

from django import template
from django.apps import apps
from django.urls import reverse
from django.utils.html import format_html

from evidence.choices import RTL_LANGUAGES, Credibility, Reliability, Tlp
from questions.choices import (
    AchRating,
    Confidence,
    Likelihood,
    LikelihoodWording,
    Priority,
    Status,
)

register = template.Library()


@register.simple_tag
def status_badge(status: str):
    label = Status(status).label if status in Status.values else status
    return format_html('<span class="badge status status-{}">{}</span>', status, label)


@register.simple_tag
def priority_badge(priority: int):
    label = Priority(priority).label if priority in Priority.values else priority
    return format_html(
        '<span class="badge priority priority-{}">{} priority</span>', priority, label
    )


@register.simple_tag
def tlp_badge(tlp: str):
    label = Tlp(tlp).label if tlp in Tlp.values else tlp
    return format_html('<span class="badge tlp tlp-{}">{}</span>', tlp, label)


@register.simple_tag
def grading_badge(evidence):
    """Admiralty code such as B2, spelled out for screen readers and on hover."""
    reliability = Reliability(evidence.source.reliability).label
    credibility = Credibility(evidence.credibility).label
    spelled = f"Source {reliability}; information {credibility}"
    return format_html(
        '<abbr class="badge grading" title="{}" aria-label="Admiralty grading {}: {}">{}</abbr>',
        spelled,
        evidence.grading,
        spelled,
        evidence.grading,
    )


@register.filter
def text_dir(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


@register.filter
def lang_attr(language: str) -> str:
    """A BCP 47 tag for lang="…"; empty when the language is unknown."""
    return "" if language in ("", "other") else language


@register.simple_tag
def likelihood_words(assessment) -> str:
    """ICD 203 words of an assessment: "likely (55–80 %)" in the wording the analyst chose."""
    if not assessment or not assessment.likelihood:
        return ""
    step = Likelihood(assessment.likelihood).step
    words = (
        step.alternative
        if assessment.likelihood_wording == LikelihoodWording.ALTERNATIVE
        else step.wording
    )
    return f"{words} ({step.range_label})"


@register.simple_tag
def confidence_words(assessment) -> str:
    if not assessment or not assessment.confidence:
        return ""
    return f"{Confidence(assessment.confidence).label.lower()} confidence"


@register.inclusion_tag("includes/notifications_link.html", takes_context=True)
def notifications_link(context, oob: bool = False):
    """The inbox link with its unread count, once the notifications app is installed.

    `oob=True` marks it for an htmx out-of-band swap, so the count follows a "mark as read".
    """
    request = context["request"]
    if not apps.is_installed("notifications"):
        return {"enabled": False}
    from notifications.delivery import unread_count  # optional app until it is installed

    match = request.resolver_match
    current = bool(match and match.namespace == "notifications")
    # The inbox has counted them already (notifications.views): one count per page, not two.
    counted = context.get("unread") if current else None
    return {
        "enabled": True,
        "url": reverse("notifications:inbox"),
        "unread": counted if isinstance(counted, int) else unread_count(request.user),
        "current": current,
        "oob": oob,
    }


_ACH_LABELS = dict(AchRating.choices)


@register.filter
def ach_label(rating: str) -> str:
    # A dict, not AchRating(rating).label: called once per cell, 6,000 times for a 20 × 300 matrix.
    return _ACH_LABELS.get(rating, "—")
