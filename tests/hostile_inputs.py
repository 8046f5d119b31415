"""The hostile-input table (issue 9, part 3): values an attacker, a broken script or a careless
paste sends, and what iqtrack must do with each in each kind of field.

Each input names the kinds of field it is aimed at and, for a given field, its outcome:
REFUSED (a 400 naming the field, nothing written) or Stored(value) (written, read back as
`value` — the input itself, or its documented normal form — and shown escaped). The policy
behind the outcomes is docs/hostile-input.md; the tests that send every input through every
write path are tests/test_hostile_*.py.

Kinds of field: "line" (single-line text with a model length), "text" (multi-line text, capped
at MAX_TEXT_LENGTH), "url", "key" (natural keys, slugs), "id" and "ids" (relations written as
`<rel>_id` / `<rel>_ids`), "int" (a plain number, e.g. a position), "scale" (a value of one
of the domain's scales), "date" (a calendar day of a fuzzy date), "datetime" (a moment).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iqtrack.validation import MAX_TEXT_LENGTH

TEXT_KINDS = frozenset({"line", "text"})
ALL_KINDS = frozenset(
    {"line", "text", "url", "key", "id", "ids", "int", "scale", "date", "datetime"}
)
NUMBERS = frozenset({"id", "int"})


@dataclass(frozen=True)
class Field:
    """One writable field of one write path."""

    name: str
    kind: str
    required: bool = False
    max_length: int | None = None  # "text": MAX_TEXT_LENGTH
    nullable: bool = False
    bidi: bool = False  # holds original-language text (bidi controls allowed)
    valid: Any = None  # a valid value (scales: the case tricks start from it)
    labels: tuple[str, ...] = ()  # a scale's display labels, which are not its values

    @property
    def limit(self) -> int:
        return self.max_length or MAX_TEXT_LENGTH


class _Refused:
    def __repr__(self) -> str:
        return "REFUSED"


REFUSED = _Refused()


@dataclass(frozen=True)
class Stored:
    value: Any


Outcome = _Refused | Stored


@dataclass(frozen=True)
class Hostile:
    name: str
    kinds: frozenset[str]
    value: Any  # or a function of the Field
    outcome: Callable[[Field], Outcome]
    form: bool = True  # can a page's urlencoded form carry it (a string)?
    notes: str = ""

    def value_for(self, target: Field) -> Any:
        return self.value(target) if callable(self.value) else self.value

    def form_value_for(self, target: Field) -> str:
        value = self.value_for(target)
        return value if isinstance(value, str) else str(value)

    def applies_to(self, target: Field) -> bool:
        return target.kind in self.kinds


# ---------------------------------------------------------------------------------------------
# Outcome rules (what docs/hostile-input.md promises)
# ---------------------------------------------------------------------------------------------
def _fits(value: str, target: Field) -> Outcome:
    return Stored(value) if len(value) <= target.limit else REFUSED


def kept(value: str) -> Callable[[Field], Outcome]:
    """Harmless text: stored exactly (in NFC), if it fits the field."""
    return lambda target: _fits(unicodedata.normalize("NFC", value), target)


def refused(target: Field) -> Outcome:
    return REFUSED


def bidi(value: str) -> Callable[[Field], Outcome]:
    return lambda target: _fits(value, target) if target.bidi else REFUSED


def multiline(value: str) -> Callable[[Field], Outcome]:
    return lambda target: REFUSED if target.kind == "line" else _fits(value, target)


def invisible(target: Field) -> Outcome:
    """Nothing to see: blank, so refused where text is required and stored as "" elsewhere."""
    return REFUSED if target.required else Stored("")


def trimmed(value: str) -> Callable[[Field], Outcome]:
    """Surrounding spaces are trimmed; blank is refused where text is required."""
    stripped = value.strip()
    return lambda target: REFUSED if target.required and not stripped else Stored(stripped)


def null_outcome(target: Field) -> Outcome:
    return Stored(None) if target.nullable else REFUSED


def exactly(length: int) -> Callable[[Field], str]:
    return lambda target: "x" * (target.limit if length == 0 else length)


def _swapcase(target: Field) -> Any:
    """ "RED" for "red", "a" for "A"; a leading zero ("03") on a numeric scale."""
    value = str(target.valid)
    return f"0{value}" if value.isdigit() else value.swapcase()


def _label(target: Field) -> Any:
    return target.labels[0] if target.labels else f"{target.valid} "


@dataclass(frozen=True)
class RawJSON:
    """A value written into the body as this JSON text (Python's encoder cannot nest this deep)."""

    text: str


def _nested(depth: int) -> RawJSON:
    return RawJSON("[" * depth + '"x"' + "]" * depth)


def encode(body: dict) -> bytes:
    """A JSON body, RawJSON values included, lone surrogates written as JSON escapes."""
    raw = {key: value.text for key, value in body.items() if isinstance(value, RawJSON)}
    plain = {key: (f"@raw:{key}" if key in raw else value) for key, value in body.items()}
    text = json.dumps(plain)
    for key, value in raw.items():
        text = text.replace(json.dumps(f"@raw:{key}"), value)
    return text.encode("utf-8")


PWN = "window.__pwned=1"  # what a payload does if it ever runs (the browser test looks for it)
NOT_TEXT = TEXT_KINDS | {"url", "key"}

# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
HOSTILE: tuple[Hostile, ...] = (
    # --- markup and script ------------------------------------------------------------------
    Hostile("script tag", TEXT_KINDS, f"<script>{PWN}</script>", kept(f"<script>{PWN}</script>")),
    Hostile(
        "img onerror",
        TEXT_KINDS,
        f'<img src=x onerror="{PWN}">',
        kept(f'<img src=x onerror="{PWN}">'),
    ),
    Hostile("svg onload", TEXT_KINDS, f"<svg onload={PWN}>", kept(f"<svg onload={PWN}>")),
    Hostile(
        "double quote breaks an attribute",
        TEXT_KINDS,
        f'"><script>{PWN}</script>',
        kept(f'"><script>{PWN}</script>'),
    ),
    Hostile(
        "single quote breaks an attribute",
        TEXT_KINDS,
        f"' autofocus onfocus='{PWN}",
        kept(f"' autofocus onfocus='{PWN}"),
    ),
    Hostile(
        "iframe srcdoc",
        TEXT_KINDS,
        f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>',
        kept(f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>'),
    ),
    Hostile(
        "javascript: as text",
        TEXT_KINDS,
        f"javascript:{PWN}",
        kept(f"javascript:{PWN}"),
    ),
    Hostile(
        "template syntax",
        TEXT_KINDS,
        "{{ request.user.password }}{% debug %}${7*7}",
        kept("{{ request.user.password }}{% debug %}${7*7}"),
    ),
    Hostile(
        "closing textarea",
        TEXT_KINDS,
        f"</textarea><script>{PWN}</script>",
        kept(f"</textarea><script>{PWN}</script>"),
    ),
    Hostile(
        "HTML entities",
        TEXT_KINDS,
        "&lt;script&gt; &amp;amp; &#x3C;",
        kept("&lt;script&gt; &amp;amp; &#x3C;"),
    ),
    # --- SQL and paths ----------------------------------------------------------------------
    Hostile("SQL OR 1=1", TEXT_KINDS, "' OR 1=1 --", kept("' OR 1=1 --")),
    Hostile(
        "SQL DROP TABLE",
        TEXT_KINDS,
        "'); DROP TABLE questions_question; --",
        kept("'); DROP TABLE questions_question; --"),
    ),
    Hostile(
        "SQL UNION",
        TEXT_KINDS,
        '" UNION SELECT password FROM auth_user --',
        kept('" UNION SELECT password FROM auth_user --'),
    ),
    Hostile("LIKE wildcards", TEXT_KINDS, "%_%\\", kept("%_%\\")),
    Hostile("path traversal", TEXT_KINDS, "../../etc/passwd", kept("../../etc/passwd")),
    Hostile("Windows path traversal", TEXT_KINDS, "..\\..\\win.ini", kept("..\\..\\win.ini")),
    # --- control characters -----------------------------------------------------------------
    Hostile("NUL byte", NOT_TEXT, "a\x00b", refused),
    Hostile("bell (C0)", NOT_TEXT, "a\x07b", refused),
    Hostile("ANSI escape", NOT_TEXT, "\x1b[31mred\x1b[0m", refused),
    Hostile("vertical tab", NOT_TEXT, "a\x0bb", refused),
    Hostile("DEL", NOT_TEXT, "a\x7fb", refused),
    Hostile("C1 next line (U+0085)", NOT_TEXT, "a\x85b", refused),
    Hostile("non-character U+FFFF", NOT_TEXT, "a\uffffb", refused),
    # JSON can carry a lone surrogate (\ud800); a form's UTF-8 cannot.
    Hostile("lone high surrogate", NOT_TEXT, "a\ud800b", refused, form=False),
    Hostile("lone low surrogate", NOT_TEXT, "\udfffz", refused, form=False),
    # --- lines ------------------------------------------------------------------------------
    Hostile("line feed", TEXT_KINDS, "line one\nline two", multiline("line one\nline two")),
    Hostile(
        "CRLF header injection",
        TEXT_KINDS,
        "subject\r\nBcc: victim@example.org",
        multiline("subject\r\nBcc: victim@example.org"),
    ),
    Hostile(
        "Unicode line separator",
        TEXT_KINDS,
        "one\u2028two",
        multiline("one\u2028two"),
    ),
    Hostile("tab", TEXT_KINDS, "a\tb", kept("a\tb")),
    # --- bidirectional text and invisible characters ------------------------------------------
    Hostile(
        "right-to-left override (U+202E)",
        TEXT_KINDS,
        "invoice\u202efdp.exe",
        bidi("invoice\u202efdp.exe"),
    ),
    Hostile("bidi isolate (U+2066…U+2069)", TEXT_KINDS, "\u2066abc\u2069", bidi("\u2066abc\u2069")),
    Hostile("bidi embedding (U+202B)", TEXT_KINDS, "\u202bابc\u202c", bidi("\u202bابc\u202c")),
    Hostile(
        "Arabic with right-to-left marks",
        TEXT_KINDS,
        "\u200fحماس\u200f و روسيا",
        kept("\u200fحماس\u200f و روسيا"),
    ),
    Hostile("Persian with ZWNJ", TEXT_KINDS, "می\u200cخواهم", kept("می\u200cخواهم")),
    Hostile("Hebrew", TEXT_KINDS, "חמאס ורוסיה", kept("חמאס ורוסיה")),
    Hostile("zero-width space inside", TEXT_KINDS, "Ha\u200bmas", kept("Ha\u200bmas")),
    Hostile("byte-order mark inside", TEXT_KINDS, "Ha\ufeffmas", kept("Ha\ufeffmas")),
    Hostile(
        "only invisible characters",
        TEXT_KINDS,
        "\u200b\ufeff\u200b\u2060",
        invisible,
    ),
    Hostile("only spaces", TEXT_KINDS, "   \t  ", trimmed("   \t  ")),
    Hostile("surrounding spaces", TEXT_KINDS, "  padded  ", trimmed("  padded  ")),
    # --- Unicode tricks ---------------------------------------------------------------------
    Hostile(
        "decomposed accents (NFD)",
        TEXT_KINDS,
        "Cafe\u0301 Tehra\u0304n",
        kept("Cafe\u0301 Tehra\u0304n"),  # stored NFC: "Café Tehrān"
    ),
    Hostile("fullwidth and ligatures", TEXT_KINDS, "ＳＥＬＥＣＴ ﬁle", kept("ＳＥＬＥＣＴ ﬁle")),
    Hostile(
        "Cyrillic homoglyphs",
        TEXT_KINDS,
        "Наmаs раураl",  # Cyrillic Н, а, р, у mixed with Latin
        kept("Наmаs раураl"),
    ),
    Hostile("combining-mark flood", TEXT_KINDS, "Z" + "\u0336" * 150, kept("Z" + "\u0336" * 150)),
    Hostile(
        "emoji and 4-byte characters",
        TEXT_KINDS,
        "🇮🇷🕌👩‍👩‍👧 𝕳𝖆𝖒𝖆𝖘 \U0010fffd",
        kept("🇮🇷🕌👩‍👩‍👧 𝕳𝖆𝖒𝖆𝖘 \U0010fffd"),
    ),
    Hostile(
        "private-use search marks (U+E000, U+E001)",
        TEXT_KINDS,
        "\ue000marked\ue001",
        kept("\ue000marked\ue001"),
    ),
    # --- sizes ------------------------------------------------------------------------------
    Hostile("exactly the field's limit", TEXT_KINDS, exactly(0), lambda t: Stored("x" * t.limit)),
    Hostile("one over the field's limit", TEXT_KINDS, lambda t: "x" * (t.limit + 1), refused),
    Hostile("1 MB string", TEXT_KINDS | {"url", "key"}, "x" * 1_000_000, refused),
    # A 10 MB body passes no request-size limit (a 400 or 413 before any field is read).
    Hostile("10 MB string", TEXT_KINDS, "x" * 10_000_000, refused, form=False),
    # --- wrong JSON types (the API; a form only ever sends strings) ---------------------------
    Hostile("list for a value", ALL_KINDS - {"ids"}, ["a"], refused, form=False),
    Hostile("object for a value", ALL_KINDS, {"a": 1}, refused, form=False),
    Hostile("number for text", NOT_TEXT | {"date", "datetime"}, 42, refused, form=False),
    Hostile("boolean", ALL_KINDS, True, refused, form=False),
    Hostile("null", ALL_KINDS - {"ids"}, None, null_outcome, form=False),
    Hostile("array nested 10,000 deep", ALL_KINDS, _nested(10_000), refused, form=False),
    Hostile("array nested 33 deep", ALL_KINDS, _nested(33), refused, form=False),
    # --- ids --------------------------------------------------------------------------------
    Hostile("number as a string", NUMBERS, lambda t: str(t.valid or 1), refused, form=False),
    Hostile("negative id", NUMBERS, -1, refused),
    Hostile("id zero", frozenset({"id"}), 0, refused),
    Hostile("id past bigint", NUMBERS, 2**63, refused),
    Hostile("huge integer id", NUMBERS, 10**30, refused),
    Hostile("fractional id", NUMBERS, 1.5, refused),
    Hostile("SQL in an id", NUMBERS, "1 OR 1=1", refused),
    Hostile("path traversal as an id", NUMBERS, "../../etc/passwd", refused),
    Hostile(
        "ids not a list", frozenset({"ids"}), lambda t: (t.valid or [1])[0], refused, form=False
    ),
    Hostile("negative id in a list", frozenset({"ids"}), [-1], refused, form=False),
    Hostile("string id in a list", frozenset({"ids"}), ["1"], refused, form=False),
    Hostile("huge id in a list", frozenset({"ids"}), [10**30], refused, form=False),
    # --- scales -----------------------------------------------------------------------------
    Hostile("scale value in the wrong case", frozenset({"scale"}), _swapcase, refused),
    Hostile("scale label instead of value", frozenset({"scale"}), _label, refused),
    Hostile("scale value out of range (high)", frozenset({"scale"}), 99, refused),
    Hostile("scale value out of range (zero)", frozenset({"scale"}), 0, refused),
    Hostile("scale value negative", frozenset({"scale"}), -1, refused),
    Hostile("scale value huge", frozenset({"scale"}), 10**30, refused),
    Hostile(
        "scale value padded", frozenset({"scale"}), lambda t: f" {t.valid} ", refused, form=False
    ),
    Hostile("scale value with NUL", frozenset({"scale"}), lambda t: f"{t.valid}\x00", refused),
    Hostile("TLP with prefix", frozenset({"scale"}), "TLP:RED", refused),
    # --- dates and moments ------------------------------------------------------------------
    Hostile("impossible date", frozenset({"date"}), "2023-02-30", refused),
    Hostile("date day-first", frozenset({"date"}), "30/02/2023", refused),
    Hostile("year zero", frozenset({"date"}), "0000-01-01", refused),
    Hostile("year 10000", frozenset({"date"}), "10000-01-01", refused),
    Hostile("fuzzy words for a date", frozenset({"date"}), "two weeks before the attack", refused),
    Hostile("date with time", frozenset({"date", "datetime"}), "2023-10-07T25:61:00", refused),
    Hostile(
        "offset beyond ±15:59",
        frozenset({"datetime"}),
        "9999-12-31T23:59:59-23:59",
        refused,
    ),
    Hostile("moment before year 1", frozenset({"datetime"}), "0001-01-01T00:00:00+05:00", refused),
    # --- URLs -------------------------------------------------------------------------------
    Hostile("javascript: URL", frozenset({"url"}), f"javascript:{PWN}", refused),
    Hostile("mixed-case javascript: URL", frozenset({"url"}), f"JaVaScRiPt:{PWN}", refused),
    Hostile("data: URL", frozenset({"url"}), f"data:text/html,<script>{PWN}</script>", refused),
    Hostile("vbscript: URL", frozenset({"url"}), "vbscript:msgbox(1)", refused),
    Hostile("file: URL", frozenset({"url"}), "file:///etc/passwd", refused),
    # A page's form completes it to https://evil.example/x (Django's assume_scheme): API only.
    Hostile("protocol-relative URL", frozenset({"url"}), "//evil.example/x", refused, form=False),
    Hostile(
        "URL breaking out of href",
        frozenset({"url"}),
        f'https://example.org/"><script>{PWN}</script>',
        kept(f'https://example.org/"><script>{PWN}</script>'),  # a valid URL; escaped in href
    ),
    Hostile(
        "very long URL",
        frozenset({"url"}),
        "https://example.org/" + "a" * 10_000,
        refused,
    ),
    Hostile(
        "IDN homoglyph URL",
        frozenset({"url"}),
        "https://аpple.com/login",  # Cyrillic а
        kept("https://аpple.com/login"),
    ),
    # --- keys and slugs ---------------------------------------------------------------------
    Hostile("path traversal key", frozenset({"key"}), "../../etc/passwd", refused),
    Hostile("key with a slash", frozenset({"key"}), "a/b", refused),
    Hostile("non-ASCII key", frozenset({"key"}), "ключ", refused),
    Hostile("key with a space", frozenset({"key"}), "a b", refused),
    Hostile("key too long", frozenset({"key"}), "k" * 81, refused),
)

# Whole bodies rather than one field's value: each is refused with a 400 and writes nothing.
BODIES: dict[str, bytes] = {
    "not JSON": b"{'title': 'single quotes'}",
    "truncated JSON": b'{"title": "x"',
    "invalid UTF-8": b'{"title": "\xed\xa0\x80\xff"}',
    "UTF-8 byte-order mark": b'\xef\xbb\xbf{"title": "x"}',
    "NaN": b'{"title": NaN}',
    "Infinity": b'{"title": Infinity}',
    "integer of 5,000 digits": b'{"title": ' + b"9" * 5000 + b"}",
    "float overflow": b'{"title": 1e400}',
    "top-level list": b"[]",
    "top-level string": b'"title"',
    "object nested 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "array nested 10,000 deep": b"[" * 10_000 + b"]" * 10_000,
}

# A duplicated key names the field: {"<field>": "first", "<field>": "second"}.
DUPLICATE_KEY = "duplicated key"

# Query-string values for search and list filters.
QUERIES: dict[str, str] = {
    "script": f"<script>{PWN}</script>",
    "SQL OR 1=1": "' OR 1=1 --",
    "SQL DROP": "'; DROP TABLE evidence_evidence; --",
    "NUL": "a\x00b",
    "C0 control": "a\x07b",
    "right-to-left override": "\u202eabc",
    "zero-width": "\u200b\ufeff",
    "path traversal": "../../etc/passwd",
    "LIKE wildcards": "%_%",
    "tsquery syntax": "!(a & b) | c:* <-> ''",
    "emoji": "🇮🇷👩‍👩‍👧",
    "very long": "x" * 100_000,
}
# Raw percent-encoded query strings (bytes no client library would build).
RAW_QUERIES: dict[str, str] = {
    "invalid UTF-8": "%ff%fe",
    "encoded surrogate": "%ed%a0%80",
    "encoded NUL": "%00",
    "double-encoded": "%253Cscript%253E",
}
FILTER_VALUES: dict[str, str] = {
    "negative id": "-1",
    "huge id": str(10**30),
    "float id": "1.5",
    "exponent id": "1e3",
    "SQL id": "1 OR 1=1",
    "NUL id": "1\x00",
    "wrong-case scale": "RED",
    "label scale": "TLP:RED",
    "impossible date": "2023-02-30",
    "offset beyond ±15:59": "9999-12-31T23:59:59-23:59",
    "empty": "",
}


@dataclass(frozen=True)
class Path:
    """One write path: an API endpoint or a page form, with its writable fields."""

    name: str
    fields: tuple[Field, ...] = field(default_factory=tuple)


def count() -> int:
    return len(HOSTILE) + len(BODIES) + 1 + len(QUERIES) + len(RAW_QUERIES) + len(FILTER_VALUES)
