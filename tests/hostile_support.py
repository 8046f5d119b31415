"""Helpers for the hostile-input tests: row counts of every table, the fields of a serializer or
a form as the table's Fields, and a checker that collects every mismatch before failing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django import forms
from django.db import connection
from django.forms.models import model_to_dict
from rest_framework import relations, serializers

from iqtrack.api import serializers as strict
from tests.hostile_inputs import HOSTILE, REFUSED, Field, Hostile, Outcome, Stored


def table_counts() -> dict[str, int]:
    """Rows in every table (history and transitions included), in one query."""
    tables = sorted(connection.introspection.table_names())
    # Table names come from the schema itself, not from input.
    selects = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def row_of(instance) -> dict:
    """Everything a refused update must leave as it was."""
    return model_to_dict(type(instance).objects.get(pk=instance.pk))


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for value, label in choices.items() if str(label) != str(value))


def api_fields(serializer, *, valid: dict) -> list[Field]:
    """The writable fields of `serializer` as the hostile table sees them."""
    found = []
    for name, given in serializer.fields.items():
        if given.read_only:
            continue
        common = {"name": name, "nullable": getattr(given, "allow_null", False)}
        if isinstance(given, relations.ManyRelatedField):
            found.append(Field(kind="ids", valid=valid.get(name), **common))
        elif isinstance(given, relations.RelatedField):
            found.append(Field(kind="id", valid=valid.get(name), **common))
        elif isinstance(given, serializers.ChoiceField):
            value = valid.get(name, next(iter(given.choices)))
            found.append(Field(kind="scale", valid=value, labels=_labels(given.choices), **common))
        elif isinstance(given, strict.URLField):
            found.append(Field(kind="url", max_length=given.max_length, **common))
        elif isinstance(given, strict.SlugField):
            found.append(Field(kind="key", max_length=given.max_length, **common))
        elif isinstance(given, strict.CharField):
            found.append(
                Field(
                    kind="line" if given.single_line else "text",
                    required=not given.allow_blank,
                    max_length=given.max_length,
                    bidi=name == "original_text",
                    **common,
                )
            )
        elif isinstance(given, serializers.DateTimeField):
            found.append(Field(kind="datetime", **common))
        elif isinstance(given, serializers.DateField):
            found.append(Field(kind="date", **common))
        elif isinstance(given, serializers.IntegerField):
            found.append(Field(kind="int", **common))
        else:
            raise AssertionError(f"{name}: {type(given).__name__} is not in the hostile table")
    return found


def form_fields(form: forms.BaseForm, *, valid: dict) -> list[Field]:
    """The fields of a page's form as the hostile table sees them."""
    found = []
    for name, given in form.fields.items():
        if isinstance(given, forms.ModelMultipleChoiceField):
            kind = "ids"
        elif isinstance(given, forms.ModelChoiceField):
            kind = "id"
        elif isinstance(given, forms.ChoiceField):
            kind = "scale"
        elif isinstance(given, forms.URLField):
            kind = "url"
        elif isinstance(given, forms.DateTimeField):
            kind = "datetime"
        elif isinstance(given, forms.DateField):
            kind = "date"
        elif isinstance(given, forms.CharField):
            kind = "text" if isinstance(given.widget, forms.Textarea) else "line"
        elif isinstance(given, forms.BooleanField):
            continue  # a checkbox: present or not
        else:
            raise AssertionError(f"{name}: {type(given).__name__} is not in the hostile table")
        labels, default = (), ""
        if kind == "scale":
            labels = tuple(str(label) for value, label in given.choices if str(label) != value)
            default = next(value for value, label in given.choices if value != "")
        found.append(
            Field(
                name=name,
                kind=kind,
                required=given.required,
                max_length=given.max_length if kind in ("line", "url", "text") else None,
                bidi=name == "original_text",
                valid=valid.get(name, default),
                labels=labels,
            )
        )
    return found


def inputs_for(target: Field, *, form: bool = False) -> list[tuple[Hostile, Outcome]]:
    return [
        (hostile, hostile.outcome(target))
        for hostile in HOSTILE
        if hostile.applies_to(target) and (hostile.form or not form)
    ]


@dataclass
class Findings:
    """Every (input, path, field) that went wrong, reported together."""

    path: str
    sent: int = 0
    sent_huge: bool = False
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, hostile: Hostile, target: Field, what: str) -> None:
        if not ok:
            self.problems.append(f"{self.path} {target.name} ← {hostile.name}: {what}")

    def assert_none(self) -> None:
        assert not self.problems, "\n".join(self.problems[:60])


def error_body(response) -> dict | None:
    """The one error shape, or None."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or set(body) != {"code", "message", "fields"}:
        return None
    return body


def refused_properly(response, name: str | None) -> tuple[bool, str]:
    """A 400 naming the field in the one error shape; a body too big or too deep to read is
    refused as a whole (413 `request_too_large`, 400 `parse_error`).
    `name` None: any 400 will do."""
    body = error_body(response)
    if body is None:
        return False, f"{response.status_code} not in the error shape: {response.content[:200]!r}"
    if response.status_code == 413 and body["code"] == "request_too_large":
        return True, ""
    if response.status_code != 400:
        return False, f"{response.status_code}: {body}"
    if (
        name is None
        or body["code"] == "parse_error"
        or any(key == name or key.startswith(f"{name}.") for key in body["fields"])
    ):
        return True, ""
    return False, f"400 without naming {name}: {str(body)[:300]}"


def outcome_name(outcome: Outcome) -> str:
    return "refused" if outcome is REFUSED else f"stored {outcome.value!r:.60}"


__all__ = ["REFUSED", "Stored"]
