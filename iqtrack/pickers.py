"""Pickers: a choice among thousands (20,000 sources, hundreds of questions) as a short list of
likely choices plus a search as you type, instead of a select with every one as an <option>.

At the benchmark's scale the evidence form was 1.6 MB of <option>s and seconds of work. A picker
renders a search box above an ordinary <select>: the select holds the current choice and a few
suggestions (works without JavaScript); typing in the box asks `picker_options` (htmx) for the
matches, which replace the select's options, keeping the current choice. The field's queryset
still decides what may be chosen, so a value typed or posted by hand is validated server-side as
before ("Select a valid choice").

Each form module registers its pickers (`register`) with what may be chosen, how to search it and
what to suggest; the one view answers for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from iqtrack.response_cache import cached_read
from iqtrack.validation import clean_query

# Options shown at once: enough to recognise the likely ones, few enough to stay a short page.
LIMIT = 20
BLANK = ("", "---------")


@dataclass(frozen=True)
class Picker:
    allowed: Callable[[Any], QuerySet]  # user -> what they may choose (the field's queryset)
    label: Callable[[Model], str]
    search: Callable[[QuerySet, str], QuerySet]  # (allowed, text) -> matches, best first
    suggested: Callable[[QuerySet, Any], QuerySet]  # (allowed, user) -> the short list

    def choices(
        self, user, query: str = "", current: Any = None, allowed: QuerySet | None = None
    ) -> list[tuple[Any, str]]:
        """The options for `user`: matches of `query`, or the suggestions; the current choice
        (an id, when it is one `user` may choose) always among them. `allowed`: what
        `self.allowed(user)` answers, when the caller has it."""
        if allowed is None:
            allowed = self.allowed(user)
        found = self.search(allowed, query) if query else self.suggested(allowed, user)
        found = list(found[:LIMIT])
        current = str(current or "")
        if current.isdigit() and all(str(obj.pk) != current for obj in found):
            found[:0] = allowed.filter(pk=int(current))
        return [(obj.pk, self.label(obj)) for obj in found]


PICKERS: dict[str, Picker] = {}


def register(name: str, picker: Picker) -> None:
    PICKERS[name] = picker


class SearchSelect(forms.Select):
    """A select with a search box above it that refills its options as the user types."""

    def __init__(self, picker: str, search_label: str, attrs=None) -> None:
        super().__init__(attrs)
        self.picker, self.search_label = picker, search_label

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        url = reverse("picker", args=[self.picker]) + f"?field={name}"
        box = format_html(
            '<input type="search" id="{0}_search" name="{1}_search" class="picker-search" '
            'aria-label="{2}" placeholder="{2}" autocomplete="off" maxlength="200" '
            'data-picker-search hx-get="{3}" hx-trigger="input changed delay:250ms, search" '
            'hx-target="#{0}" hx-swap="innerHTML" hx-include="#{0}" hx-sync="this:replace">',
            select_id,
            name,
            self.search_label,
            url,
        )
        return box + select


def use_picker(
    field: forms.ModelChoiceField,
    name: str,
    *,
    user,
    current: Any,
    search_label: str,
    allowed: QuerySet | None = None,
) -> None:
    """Make `field` pick with the registered picker `name` for `user`; `current` is the bound
    value (posted or initial), kept among the options. `search_label` names the search box (not
    the field's own label: that names the select). `allowed`: the picker's queryset for `user`,
    when the caller has it."""
    picker = PICKERS[name]
    field.queryset = picker.allowed(user) if allowed is None else allowed
    widget = SearchSelect(name, search_label)
    widget.is_required = field.required
    widget.choices = [BLANK, *picker.choices(user, current=current, allowed=field.queryset)]
    field.widget = widget


@login_required
@cached_read
def picker_options(request: HttpRequest, name: str) -> HttpResponse:
    """The <option>s of picker `name` matching `?q=`, the current choice (`?<field>=<id>`)
    kept and selected: what the search box swaps into its select."""
    picker = PICKERS.get(name)
    if picker is None:
        raise Http404
    query = clean_query(request.GET.get("q", ""))
    current = request.GET.get(request.GET.get("field", ""), "")
    current = current if current.isdigit() else ""
    options = [BLANK, *picker.choices(request.user, query, current)]
    html = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == current else "", label) for value, label in options),
    )
    return HttpResponse(html)
