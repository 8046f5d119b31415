"""What text iqtrack accepts: one policy for the API, the pages, the admin and case files.

Every text a person or a script writes goes through `clean_text`, hooked in once per entry
point: the API's strict CharField (iqtrack/api/serializers.py), `TextPolicyForm` (the pages'
forms and the admin's) and the case-file field types (questions/casefile/fields.py). The
policy is documented in docs/hostile-input.md; keep the two in step.

- Refused everywhere: NUL and the other C0 controls except tab and line breaks, DEL and the C1
  controls, UTF-16 surrogates, the non-characters U+FFFE and U+FFFF. They break PostgreSQL
  (NUL), terminals and mail headers, and are never part of honest text.
- Refused except in original-language excerpts: the bidirectional embeddings, overrides and
  isolates U+202A–U+202E and U+2066–U+2069, which make text display in another order than it is
  stored ("Trojan source"). The marks LRM, RLM and ALM (U+200E, U+200F, U+061C) and the joiners
  ZWNJ and ZWJ (U+200C, U+200D), which Persian, Arabic and Hebrew text needs, are kept everywhere.
- Refused in single-line fields (titles, names, places, dates as written): line breaks.
- A text that holds nothing visible (only spaces, zero-width or format characters) is blank:
  refused where text is required, stored as "" elsewhere.
- Normalised: every accepted text is stored in Unicode NFC (canonically equivalent, looks the
  same, and searches the same whichever way the keyboard composed it).
- Lengths: a field with a model length keeps it; every other text is capped at MAX_TEXT_LENGTH.

Imports nothing of iqtrack's, so every layer may use it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

MAX_TEXT_LENGTH = 50_000  # characters; about 25 pages, far more than any excerpt or judgment
MAX_QUERY_LENGTH = 200  # a search or filter text
MAX_JSON_DEPTH = 32  # nesting of a request body; iqtrack's bodies are at most 3 deep

FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
LINE_BREAKS = re.compile("[\r\n\u2028\u2029\x85]")
# Spaces, zero-width and other format characters (Unicode categories Z*, Cf): nothing to see.
_VISIBLE = re.compile(r"[^\s\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")

# Fields that hold text in its original language, where bidi controls may be part of the text.
BIDI_FIELDS = frozenset({"original_text"})


def describe(character: str) -> str:
    return f"U+{ord(character):04X}"


def text_problem(
    value: str,
    *,
    field: str = "",
    single_line: bool = False,
    required: bool = False,
    bidi_allowed: bool | None = None,
) -> str | None:
    """What is wrong with `value` under the policy, as a sentence; None when nothing is.

    `field` names the field (bidi controls are allowed in BIDI_FIELDS); `bidi_allowed` says so
    directly where the field has no name (case-file field types)."""
    if bidi_allowed is None:
        bidi_allowed = field in BIDI_FIELDS
    if bad := FORBIDDEN_CHARACTERS.search(value):
        return f"Contains the control character {describe(bad.group())}, which is not allowed."
    if not bidi_allowed and (bad := BIDI_CONTROLS.search(value)):
        return (
            f"Contains the bidirectional control {describe(bad.group())}, which is allowed only "
            "in an original-language excerpt."
        )
    if single_line and LINE_BREAKS.search(value):
        return "Must be a single line."
    if required and value and not _VISIBLE.search(value):
        return "Holds nothing visible: write some text."
    return None


def clean_text(value: str, **policy) -> str:
    """`value` in NFC, or ValidationError saying what the policy refuses in it (`policy`: the
    keyword arguments of `text_problem`)."""
    if problem := text_problem(value, **policy):
        raise ValidationError(problem, code="invalid_text")
    if not _VISIBLE.search(value):
        return ""  # nothing to see (zero-width characters only): blank
    return unicodedata.normalize("NFC", value)


def clean_query(value: str) -> str:
    """A search text from a page's query string: what cannot be searched is dropped, not refused
    (nothing is stored; the search box shows what was searched)."""
    value = FORBIDDEN_CHARACTERS.sub("", value)
    return unicodedata.normalize("NFC", value).strip()[:MAX_QUERY_LENGTH]


# ---------------------------------------------------------------------------------------------
# JSON bodies
# ---------------------------------------------------------------------------------------------
class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)  # json would keep the last one silently
        result[key] = value
    return result


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text[:20]} is out of range")
    return number


def load_json(text: str) -> Any:
    """Strict JSON: no duplicate keys (DuplicateKey), no NaN, Infinity or numbers that overflow
    to it, at most MAX_JSON_DEPTH levels (ValueError for the others)."""
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_refuse_constant,
            parse_float=_finite,
        )
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return data


# ---------------------------------------------------------------------------------------------
# Forms (pages and admin)
# ---------------------------------------------------------------------------------------------
class TextPolicyForm(forms.BaseForm):
    """Mixed into a form (before forms.Form / forms.ModelForm): every text field is capped at
    MAX_TEXT_LENGTH unless it has a length, and its cleaned text goes through `clean_text`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length is None:
                field.max_length = MAX_TEXT_LENGTH
                field.validators.append(MaxLengthValidator(MAX_TEXT_LENGTH))
                field.widget.attrs.setdefault("maxlength", str(MAX_TEXT_LENGTH))

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            value = data.get(name)
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                # PostgreSQL refuses offsets past ±15:59 (a 500 before): stored as UTC.
                try:
                    data[name] = value.astimezone(dt.UTC)
                except OverflowError:
                    self.add_error(name, ValidationError("This moment is out of range."))
                continue
            if not isinstance(field, forms.CharField) or not isinstance(value, str):
                continue
            single_line = not isinstance(field.widget, forms.Textarea)
            try:
                data[name] = clean_text(
                    value, field=name, single_line=single_line, required=field.required
                )
            except ValidationError as error:
                self.add_error(name, error)
        return data
