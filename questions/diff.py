"""Side-by-side comparison of two assessment versions for the review page (difflib).

Returns plain data (text segments flagged as changed or not); the template escapes every piece,
so nothing an analyst typed is ever interpreted as markup.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool = False


@dataclass
class DiffRow:
    kind: str  # "equal", "replace", "delete" or "insert"
    old: list[Segment] = field(default_factory=list)
    new: list[Segment] = field(default_factory=list)
    old_number: int | None = None
    new_number: int | None = None


@dataclass
class FieldDiff:
    label: str
    rows: list[DiffRow]

    @property
    def changed(self) -> bool:
        return any(row.kind != "equal" for row in self.rows)


def _word_segments(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """Within one changed line, mark just the words that differ."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), changed=tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), changed=tag != "equal"))
    return _merged(left), _merged(right)


def _merged(segments: list[Segment]) -> list[Segment]:
    """Neighbouring pieces with the same flag become one (fewer, longer runs to read)."""
    out: list[Segment] = []
    for segment in segments:
        if out and out[-1].changed == segment.changed:
            out[-1] = Segment(out[-1].text + segment.text, segment.changed)
        else:
            out.append(segment)
    return out


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """Line-by-line rows; a replaced line pairs old with new and highlights the changed words."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                rows.append(
                    DiffRow(
                        "equal",
                        [Segment(a[i1 + k])],
                        [Segment(b[j1 + k])],
                        i1 + k + 1,
                        j1 + k + 1,
                    )
                )
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            has_old, has_new = i < i2, j < j2
            if has_old and has_new:
                left, right = _word_segments(a[i], b[j])
                rows.append(DiffRow("replace", left, right, i + 1, j + 1))
            elif has_old:
                rows.append(DiffRow("delete", [Segment(a[i], True)], [], i + 1, None))
            else:
                rows.append(DiffRow("insert", [], [Segment(b[j], True)], None, j + 1))
    return rows


def compare_fields(pairs: list[tuple[str, str, str]]) -> list[FieldDiff]:
    """`pairs` are (label, old text, new text); one FieldDiff each, in the order given."""
    return [FieldDiff(label, side_by_side(old, new)) for label, old, new in pairs]
