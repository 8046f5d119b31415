"""Selects are drawn in Python (iqtrack.form_renderer), exactly as Django's templates draw them."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from iqtrack.form_renderer import FormRenderer
from iqtrack.pickers import SearchSelect

CHOICES = [
    ("", "Any"),
    (1, "Tom & <Jerry>"),
    (2, 'Say "hi"'),
    (3, mark_safe("<b>already safe</b>")),
    (4, gettext_lazy("Lazy")),
    ("Group <A>", [(5, "Five"), (6, "Six")]),
]
ATTRS = {
    "id": "id_x",
    "required": True,
    "disabled": False,
    "data-note": '"<&>"',
    "data-safe": mark_safe("<i>"),
}


def both(widget: forms.Widget, name: str, value) -> tuple[str, str]:
    """The widget drawn by iqtrack's renderer and by Django's template renderer."""
    return (
        str(widget.render(name, value, renderer=FormRenderer())),
        str(widget.render(name, value, renderer=DjangoTemplates())),
    )


@pytest.mark.parametrize("value", [None, "", "2", 3, ["1"]])
def test_a_select_is_drawn_character_for_character_as_djangos(value):
    ours, djangos = both(forms.Select(attrs=ATTRS, choices=CHOICES), "x<", value)
    assert ours == djangos


@pytest.mark.parametrize("value", [None, [], ["1", "5"], [2, 6]])
def test_a_multiple_select_is_drawn_as_djangos(value):
    ours, djangos = both(forms.SelectMultiple(attrs=ATTRS, choices=CHOICES), "many", value)
    assert ours == djangos
    assert " multiple" in ours


@pytest.mark.parametrize("value", [None, True, False, "unknown"])
def test_a_yes_no_select_is_drawn_as_djangos(value):
    ours, djangos = both(forms.NullBooleanSelect(), "flag", value)
    assert ours == djangos


def test_a_pickers_select_and_its_search_box_are_drawn_as_djangos():
    widget = SearchSelect("source", "Search sources", attrs={"id": "id_source"})
    widget.choices = CHOICES
    ours, djangos = both(widget, "source", "2")
    assert ours == djangos
    assert 'class="picker-search"' in ours


def test_a_select_whose_options_have_their_own_template_is_left_to_the_templates():
    class Fancy(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    ours, djangos = both(Fancy(choices=CHOICES), "fancy", "1")
    assert ours == djangos
    assert "<label><input" in ours  # radio_option.html's markup, not an <option>


def test_every_form_uses_it():
    assert isinstance(get_default_renderer(), FormRenderer)


def test_the_new_question_form_renders_no_template_per_option(client, lead):
    rendered: list[str] = []

    def seen(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        client.force_login(lead)
        html = client.get(reverse("questions:create")).content.decode()
    finally:
        template_rendered.disconnect(seen)
    assert "<option" in html
    assert "django/forms/widgets/select_option.html" not in rendered
    assert "django/forms/widgets/attrs.html" in rendered  # the other widgets still use them
