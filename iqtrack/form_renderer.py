"""The form renderer (settings.FORM_RENDERER): Django's, with every select drawn in Python.

Through Django's templates a select costs a template include per option and another per
option's attributes. A form offering a hundred-odd people and teams (the board's filter, the
new-question and new-evidence forms, each picker) spent more on those includes than on the rest
of its page. Here the markup of Django's select.html, select_option.html and attrs.html is
written directly, character for character and escaped the same way (conditional_escape, as the
templates' autoescaping does), for every Select and SelectMultiple of every form. A select
whose options name another template is left to the templates. tests/test_form_renderer.py
compares the two.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict[str, Any]) -> str:
    """As attrs.html writes them: a True value is a bare name, a False one is left out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{conditional_escape(option["value"])}"'
            f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request=None) -> SafeString:
        widget = context.get("widget")
        if template_name == SELECT and all(
            option["template_name"] == OPTION
            for _name, options, _index in widget["optgroups"]
            for option in options
        ):
            return mark_safe(_select(widget))  # noqa: S308 — every value in it is escaped
        return super().render(template_name, context, request)
