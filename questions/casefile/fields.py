"""The kinds of value a case-file field holds, each with the checks it makes.

Every check is here once: types, lengths, scale values, dates, keys and the characters no
honest text contains. A failed check raises Bad with a message for a person.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from iqtrack.validation import (
    BIDI_CONTROLS,
    FORBIDDEN_CHARACTERS,
    MAX_TEXT_LENGTH,
    clean_text,
)
from questions.casefile.reader import InvalidDate

if TYPE_CHECKING:
    from questions.casefile.schema import Spec

KEY_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")  # Django's slug, what natural_key_field stores
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


class Bad(Exception):
    """A value does not fit its field; the message says what is wrong."""


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a yes/no value ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, InvalidDate):
        return f"an impossible date ({value.text})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


# ---------------------------------------------------------------------------------------------
# Field types
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    """Free text. `max_length` defaults to the model field's, else MAX_TEXT_LENGTH."""

    required: bool = False
    max_length: int = MAX_TEXT_LENGTH
    single_line: bool = False
    bidi_allowed: bool = False
    empty: Any = ""

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, bool | int | float | dt.date) else ""
            raise Bad(f"expected text, got {kind_of(value)}{hint}")
        if self.required and not value.strip():
            raise Bad("must not be empty")
        if len(value) > self.max_length:
            raise Bad(f"is {len(value)} characters long; at most {self.max_length} are allowed")
        if bad := FORBIDDEN_CHARACTERS.search(value):
            raise Bad(f"contains the control character U+{ord(bad.group()):04X}")
        if not self.bidi_allowed and (bad := BIDI_CONTROLS.search(value)):
            raise Bad(f"contains the bidirectional control U+{ord(bad.group()):04X}")
        if self.single_line and ("\n" in value or "\r" in value):
            raise Bad("must be a single line")
        # The rest of the text policy, as the API and the pages apply it (docs/hostile-input.md):
        # nothing visible in a required text, other line separators; stored in NFC.
        try:
            return clean_text(
                value,
                single_line=self.single_line,
                required=self.required,
                bidi_allowed=self.bidi_allowed,
            )
        except ValidationError as error:
            raise Bad(error.messages[0].rstrip(".").lower()) from None


@dataclass(frozen=True)
class Url(Text):
    """A web address: http or https only (no javascript: or file: links into the pages)."""

    def parse(self, value: Any) -> str:
        value = super().parse(value)
        if not value:
            return value
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise Bad("expected an http:// or https:// URL") from None
        return value


@dataclass(frozen=True)
class Key:
    """A natural key: what other entries use to refer to this one."""

    max_length: int = 80
    required: bool = True
    empty: Any = ""

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Bad(f"expected a key (letters, digits, - and _), got {kind_of(value)}")
        if not KEY_PATTERN.fullmatch(value):
            raise Bad(f"{value[:100]!r} is not a key: use only letters, digits, - and _")
        if len(value) > self.max_length:
            raise Bad(f"is {len(value)} characters long; at most {self.max_length} are allowed")
        return value


_A_KEY = Key()  # what a reference holds


@dataclass(frozen=True)
class Choice:
    """One value of a scale; `allowed` narrows the scale (questions: draft or open only)."""

    choices: type[models.Choices]
    required: bool = True
    allowed: tuple[Any, ...] = ()
    default: Any = ""
    why: str = ""

    @property
    def empty(self) -> Any:
        return self.default

    # Worked out once per field, not per value: a scale's `values` rebuilds its list each time.
    @cached_property
    def values(self) -> tuple[Any, ...]:
        return self.allowed or tuple(self.choices.values)

    @cached_property
    def _value_set(self) -> frozenset:
        return frozenset(self.values)

    @cached_property
    def _numeric(self) -> bool:
        return issubclass(self.choices, models.IntegerChoices)

    def parse(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int if self._numeric else str):
            raise Bad(f"expected one of {self._listed()}, got {kind_of(value)}")
        if value not in self._value_set:
            shown = repr(value[:100]) if isinstance(value, str) else value
            raise Bad(f"{shown} is not one of {self._listed()}{self.why}")
        return value

    def _listed(self) -> str:
        return ", ".join(str(value) for value in self.values)


@dataclass(frozen=True)
class Date:
    """A calendar day, written 2023-03-16 (in JSON: "2023-03-16")."""

    required: bool = False
    empty: Any = None

    def parse(self, value: Any) -> dt.date:
        if isinstance(value, str) and DATE_PATTERN.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise Bad(f"{value} is not a real date") from None
        if isinstance(value, InvalidDate):
            raise Bad(f"{value.text} is not a real date")
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise Bad(f"expected a date written YYYY-MM-DD, got {kind_of(value)}")


@dataclass(frozen=True)
class Integer:
    low: int
    high: int
    required: bool = False
    empty: Any = None  # None: the entry's position in its list

    def parse(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Bad(f"expected a whole number, got {kind_of(value)}")
        if not self.low <= value <= self.high:
            raise Bad(f"{value} is outside {self.low}–{self.high}")
        return value


@dataclass(frozen=True)
class Ref:
    """The key of an entry in another section (`section`) of the same file."""

    section: str
    required: bool = False
    empty: Any = None

    def parse(self, value: Any) -> str:
        return _A_KEY.parse(value)


@dataclass(frozen=True)
class Refs:
    """A list of keys of entries in `section`, each at most once."""

    section: str
    required: bool = False

    @property
    def empty(self) -> list[str]:
        return []

    def parse(self, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise Bad(f"expected a list of keys, got {kind_of(value)}")
        keys = [_A_KEY.parse(item) for item in value]
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                raise Bad(f"lists {key!r} twice")
            seen.add(key)
        return keys


@dataclass(frozen=True)
class Nested:
    """A list of entries that belong to their parent entry (a question's hypotheses)."""

    spec: Spec
    required: bool = False

    @property
    def empty(self) -> list:
        return []


FieldType = Text | Url | Key | Choice | Date | Integer | Ref | Refs | Nested
