"""Malformed case files: each is refused with a message naming the place, and nothing is written.

Every case is a small edit of VALID, a case file that imports cleanly (the first test proves it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from questions.casefile import CasefileError, import_casefile
from tests import factories
from tests.casefile_helpers import row_counts

pytestmark = pytest.mark.django_db

VALID = """\
iqtrack_casefile: 1
teams:
  - slug: t
    name: Test team
sources:
  - key: src
    name: A source
    kind: news_outlet
    reliability: C
actors:
  - key: a1
    name: Someone
    kind: person
evidence:
  - key: e1
    source: src
    summary: Something happened.
    happened_text: March 16, 2023
    happened_on: 2023-03-16
    happened_precision: day
    credibility: 3
    corroboration: single_source
    tlp: clear
    actors: [a1]
events:
  - key: ev1
    title: A meeting
    actors: [a1]
    evidence: [e1]
questions:
  - key: q1
    title: Did it happen?
    team: t
    status: open
    tlp: clear
    hypotheses:
      - key: h1
        title: It did
        ratings:
          - evidence: e1
            rating: consistent
    evidence_links:
      - evidence: e1
  - key: q2
    parent: q1
    title: When?
    team: t
    status: draft
    tlp: clear
"""


@dataclass(frozen=True)
class Bad:
    old: str  # text of VALID to replace (must occur exactly once) ...
    new: str  # ... by this
    where: str  # the place the error must name
    what: str  # and a fragment of what it must say
    at: str | None = None  # the error's line is the line where this text starts (None: no line)


def edited(bad: Bad) -> str:
    assert VALID.count(bad.old) == 1, bad.old
    return VALID.replace(bad.old, bad.new)


SOURCE_NAME = "    name: A source\n"
EVIDENCE_TLP = "    tlp: clear\n    actors: [a1]\n"
PRECISION = "    happened_precision: day\n"

CASES = {
    # missing fields
    "missing required field": Bad(
        old=SOURCE_NAME, new="", where="sources[0].name", what="is required", at="key: src"
    ),
    "missing format version": Bad(
        old="iqtrack_casefile: 1\n", new="", where="iqtrack_casefile", what="is missing", at=None
    ),
    "unknown format version": Bad(
        old="iqtrack_casefile: 1",
        new="iqtrack_casefile: 2",
        where="iqtrack_casefile",
        what="is 2",
        at="iqtrack_",
    ),
    # unknown scale values
    "reliability outside A-F": Bad(
        old="reliability: C",
        new="reliability: G",
        where="sources[0].reliability",
        what="'G' is not one of A, B, C, D, E, F",
        at="reliability: G",
    ),
    "credibility outside 1-6": Bad(
        old="credibility: 3",
        new="credibility: 7",
        where="evidence[0].credibility",
        what="7 is not one of 1, 2, 3, 4, 5, 6",
        at="credibility: 7",
    ),
    "unknown TLP marking": Bad(
        old=EVIDENCE_TLP,
        new=EVIDENCE_TLP.replace("clear", "white"),
        where="evidence[0].tlp",
        what="'white' is not one of clear, green, amber, amber+strict (",
        at="tlp: white",
    ),
    "TLP:RED, which needs named recipients a case file cannot carry": Bad(
        old=EVIDENCE_TLP,
        new=EVIDENCE_TLP.replace("clear", "red"),
        where="evidence[0].tlp",
        what="cannot carry TLP:RED recipients",
        at="tlp: red",
    ),
    "TLP:AMBER+STRICT evidence without its owning team": Bad(
        old=EVIDENCE_TLP,
        new=EVIDENCE_TLP.replace("clear", "amber+strict"),
        where="evidence[0].owner_team",
        what="stays within the owning team",
        at="key: e1",
    ),
    "unknown date precision": Bad(
        old=PRECISION,
        new="    happened_precision: exact\n",
        where="evidence[0].happened_precision",
        what="'exact' is not one of day, month, year, approximate",
        at="happened_precision",
    ),
    "workflow status beyond open": Bad(
        old="status: draft",
        new="status: in_review",
        where="questions[1].status",
        what="'in_review' is not one of draft, open",
        at="status: in_review",
    ),
    "unknown ACH rating": Bad(
        old="rating: consistent",
        new="rating: supports",
        where="questions[0].hypotheses[0].ratings[0].rating",
        what="'supports' is not one of very_consistent",
        at="rating: supports",
    ),
    # bad dates
    "impossible date": Bad(
        old="happened_on: 2023-03-16",
        new="happened_on: 2023-02-30",
        where="evidence[0].happened_on",
        what="2023-02-30 is not a real date",
        at="happened_on",
    ),
    "date and time instead of a date": Bad(
        old="happened_on: 2023-03-16",
        new="happened_on: 2023-03-16 10:30:00",
        where="evidence[0].happened_on",
        what="got a date and time",
        at="happened_on",
    ),
    "date in words": Bad(
        old="happened_on: 2023-03-16",
        new='happened_on: "16 March 2023"',
        where="evidence[0].happened_on",
        what="expected a date written YYYY-MM-DD",
        at="happened_on",
    ),
    "month precision not on the first": Bad(
        old=PRECISION,
        new="    happened_precision: month\n",
        where="evidence[0].happened_on",
        what="a month is written as its first day (2023-03-01)",
        at="happened_on",
    ),
    "date without its precision": Bad(
        old=PRECISION,
        new="",
        where="evidence[0].happened_precision",
        what="say how precise",
        at="key: e1",
    ),
    # dangling references and loops
    "dangling source": Bad(
        old="source: src",
        new="source: nowhere",
        where="evidence[0].source",
        what="no entry in sources has key 'nowhere'",
        at="source: nowhere",
    ),
    "dangling actor in a list": Bad(
        old="    actors: [a1]\n    evidence: [e1]",
        new="    actors: [a1, ghost]\n    evidence: [e1]",
        where="events[0].actors",
        what="no entry in actors has key 'ghost'",
        at="actors: [a1, ghost]",
    ),
    "dangling rated evidence": Bad(
        old="- evidence: e1\n            rating",
        new="- evidence: e9\n            rating",
        where="questions[0].hypotheses[0].ratings[0].evidence",
        what="no entry in evidence has key 'e9'",
        at="evidence: e9",
    ),
    "rating of evidence the question does not link": Bad(
        old="    evidence_links:\n      - evidence: e1\n",
        new="",
        where="questions[0].hypotheses[0].ratings[0].evidence",
        what="which question 'q1' does not link",
        at="- evidence: e1",
    ),
    "parent loop": Bad(
        old="  - key: q1\n    title",
        new="  - key: q1\n    parent: q2\n    title",
        where="questions[0].parent",
        what="makes a loop: q1 → q2 → q1",
        at="parent: q2",
    ),
    "evidence derived from itself": Bad(
        old=EVIDENCE_TLP,
        new=EVIDENCE_TLP + "    derived_from: e1\n",
        where="evidence[0].derived_from",
        what="makes a loop: e1 → e1",
        at="derived_from",
    ),
    "actor affiliated with itself": Bad(
        old="    kind: person\n",
        new="    kind: person\n    affiliated_with: [a1]\n",
        where="actors[0].affiliated_with",
        what="cannot be affiliated with itself",
        at="affiliated_with",
    ),
    # duplicate keys
    "field given twice in one mapping": Bad(
        old=SOURCE_NAME,
        new=SOURCE_NAME + "    name: Another source\n",
        where="sources[0].name",
        what="is given twice (first on line 7)",
        at="name: Another source",
    ),
    "two entries with one key": Bad(
        old="    kind: person\n",
        new="    kind: person\n  - key: a1\n    name: Other\n    kind: person\n",
        where="actors[1].key",
        what="'a1' is already used by actors[0]",
        at="key: a1\n    name: Other",
    ),
    "hypothesis key used by two questions": Bad(
        old="    status: draft\n",
        new="    status: draft\n    hypotheses:\n      - key: h1\n        title: X\n",
        where="questions[1].hypotheses[0].key",
        what="'h1' is already used",
        at="key: h1\n        title: X",
    ),
    "evidence linked twice to one question": Bad(
        old="      - evidence: e1\n  - key: q2",
        new="      - evidence: e1\n      - evidence: e1\n  - key: q2",
        where="questions[0].evidence_links[1].evidence",
        what="'e1' is already used",
        at="- evidence: e1\n  - key",
    ),
    # wrong types and shapes
    "number where text belongs": Bad(
        old="summary: Something happened.",
        new="summary: 42",
        where="evidence[0].summary",
        what="expected text, got a number (42) (put it in quotes)",
        at="summary: 42",
    ),
    "yes/no where text belongs": Bad(
        old="name: Someone",
        new="name: yes",
        where="actors[0].name",
        what="got a yes/no value (true)",
        at="name: yes",
    ),
    "credibility as text": Bad(
        old="credibility: 3",
        new='credibility: "3"',
        where="evidence[0].credibility",
        what="expected one of 1, 2, 3, 4, 5, 6, got text",
        at="credibility",
    ),
    "single key instead of a list": Bad(
        old=EVIDENCE_TLP,
        new="    tlp: clear\n    actors: a1\n",
        where="evidence[0].actors",
        what="expected a list of keys, got text",
        at="actors: a1",
    ),
    "text instead of an entry": Bad(
        old="sources:\n",
        new="sources:\n  - just a string\n",
        where="sources[0]",
        what="expected a mapping of fields, got text",
        at="just a string",
    ),
    "mapping instead of a list of entries": Bad(
        old="teams:\n  - slug: t\n    name: Test team\n",
        new="teams: {slug: t, name: Test team}\n",
        where="teams",
        what="expected a list of entries, got a mapping",
        at="teams:",
    ),
    "negative position": Bad(
        old="        title: It did\n",
        new="        title: It did\n        position: -1\n",
        where="questions[0].hypotheses[0].position",
        what="-1 is outside 0–32767",
        at="position: -1",
    ),
    "key with spaces": Bad(
        old="  - key: ev1",
        new='  - key: "ev 1"',
        where="events[0].key",
        what="is not a key",
        at='key: "ev 1"',
    ),
    "unknown field": Bad(
        old="    kind: person\n",
        new="    kind: person\n    colour: red\n",
        where="actors[0].colour",
        what="unknown field (allowed: key, name, kind,",
        at="colour: red",
    ),
    "unknown field with a terminal escape in its name": Bad(
        old="    kind: person\n",
        new='    kind: person\n    "\\e[31mred": x\n',
        where="actors[0].'\\x1b[31mred'",
        what="unknown field",
        at='"\\e[31mred"',
    ),
    "unknown section": Bad(
        old="teams:\n",
        new="people:\n  - name: x\nteams:\n",
        where="people",
        what="unknown section",
        at="people:",
    ),
    "original text without its language": Bad(
        old=EVIDENCE_TLP,
        new=EVIDENCE_TLP + "    original_text: قال\n",
        where="evidence[0].original_language",
        what="say which language original_text is in",
        at="key: e1",
    ),
    # hostile strings
    "NUL byte through an escape": Bad(
        old="summary: Something happened.",
        new='summary: "Something\\0happened."',
        where="evidence[0].summary",
        what="contains the control character U+0000",
        at="summary:",
    ),
    "raw NUL byte": Bad(
        old="summary: Something happened.",
        new="summary: Something\x00happened.",
        where="file",
        what="contains a character YAML refuses",
        at="summary:",
    ),
    "escape sequence control character": Bad(
        old="name: Someone",
        new='name: "Some\\x1bone"',
        where="actors[0].name",
        what="contains the control character U+001B",
        at='name: "Some',
    ),
    "over-long name": Bad(
        old=SOURCE_NAME,
        new=f"    name: {'x' * 201}\n",
        where="sources[0].name",
        what="is 201 characters long; at most 200 are allowed",
        at="name: xxx",
    ),
    "over-long key": Bad(
        old="  - key: a1\n",
        new=f"  - key: {'k' * 81}\n",
        where="actors[0].key",
        what="is 81 characters long; at most 80",
        at="key: kkk",
    ),
    "right-to-left override in a title": Bad(
        old="title: A meeting",
        new="title: A \u202emeeting",
        where="events[0].title",
        what="contains the bidirectional control U+202E",
        at="title: A",
    ),
    "line break in a one-line field": Bad(
        old="title: A meeting",
        new='title: "A\\nmeeting"',
        where="events[0].title",
        what="must be a single line",
        at="title:",
    ),
    "javascript URL": Bad(
        old=SOURCE_NAME,
        new=SOURCE_NAME + "    url: javascript:alert(1)\n",
        where="sources[0].url",
        what="expected an http:// or https:// URL",
        at="url:",
    ),
    # YAML features a case file refuses
    "alias": Bad(
        old="    actors: [a1]\n    evidence: [e1]",
        new="    actors: *people\n    evidence: [e1]",
        where="file",
        what="aliases (*name) are not allowed",
        at="actors: *people",
    ),
    "merge key": Bad(
        old="    kind: person\n",
        new="    kind: person\n    <<: {affiliation: x}\n",
        where="actors[0]",
        what="merge keys (<<) are not allowed",
        at="<<:",
    ),
    "broken YAML": Bad(
        old="title: Did it happen?",
        new="title: [Did it happen?",
        where="file",
        what="is not valid YAML",
        at=None,
    ),
}


@pytest.fixture
def existing(db):
    """Some rows already in the database, so that "unchanged" means something."""
    team = factories.TeamFactory(slug="existing", name="Existing team")
    question = factories.QuestionFactory(key="existing-q", team=team)
    factories.HypothesisFactory(key="existing-h", question=question)
    factories.EvidenceFactory(key="existing-e")
    return question


def assert_refused(path, where: str, what: str, line: int | None) -> None:
    before = row_counts()
    with pytest.raises(CasefileError) as refused:
        import_casefile(path)
    assert row_counts() == before
    matching = [e for e in refused.value.errors if e.where == where and what in e.what]
    assert matching, "\n".join(str(e) for e in refused.value.errors)
    assert all(e.file == path for e in refused.value.errors)
    assert not any(c in str(refused.value) for c in "\x00\x1b\u202e")  # safe to print
    if line is not None:
        assert matching[0].line == line, str(matching[0])
        assert str(matching[0]).startswith(f"{path}:{line}: {where}: ")


def test_the_valid_base_imports_cleanly(existing, tmp_path):
    path = tmp_path / "valid.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert import_casefile(path).counts["questions"].created == 2


@pytest.mark.parametrize("bad", CASES.values(), ids=CASES.keys())
def test_it_refuses_a_malformed_file_and_writes_nothing(existing, tmp_path, bad):
    text = edited(bad)
    if bad.new.startswith("    actors: *people"):
        text = text.replace(EVIDENCE_TLP, "    tlp: clear\n    actors: &people [a1]\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = text[: text.index(bad.at)].count("\n") + 1 if bad.at else None
    assert_refused(path, bad.where, bad.what, line)


def test_it_refuses_a_team_name_another_team_already_has(existing, tmp_path):
    path = tmp_path / "clash.yaml"
    path.write_text(VALID.replace("name: Test team", "name: Existing team"), encoding="utf-8")
    assert_refused(path, "teams[0].name", "team 'existing' already has this name", 4)


def test_it_refuses_to_move_a_hypothesis_to_another_question(existing, tmp_path):
    path = tmp_path / "move.yaml"
    text = VALID.replace("key: h1", "key: existing-h")
    path.write_text(text, encoding="utf-8")
    line = text[: text.index("key: existing-h")].count("\n") + 1
    assert_refused(
        path,
        "questions[0].hypotheses[0].key",
        "belongs to question 'existing-q'; it cannot move",
        line,
    )


def test_it_refuses_a_file_that_is_not_utf8(existing, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.replace("Someone", "Séverine").encode("latin-1"))
    assert_refused(path, "file", "is not UTF-8", 12)


def test_it_refuses_a_list_at_the_top_level(existing, tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- teams\n- sources\n", encoding="utf-8")
    assert_refused(path, "top level", "expected a mapping of sections", 1)


def test_it_refuses_absurdly_deep_nesting(existing, tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("teams: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert_refused(path, "file", "nested too deeply", None)


def test_it_refuses_duplicate_keys_in_json_too(existing, tmp_path):
    path = tmp_path / "dup.json"
    path.write_text(
        '{"iqtrack_casefile": 1, "sources": [{"key": "s", "name": "A", "name": "B",'
        ' "kind": "other", "reliability": "F"}]}',
        encoding="utf-8",
    )
    assert_refused(path, "sources[0].name", "is given twice", None)


def test_it_refuses_an_unknown_extension(existing, tmp_path):
    path = tmp_path / "case.txt"
    path.write_text(VALID, encoding="utf-8")
    assert_refused(path, "file", "name it .yaml, .yml or .json", None)


def test_it_reports_every_problem_at_once(existing, tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(
        VALID.replace("reliability: C", "reliability: G").replace("source: src", "source: x"),
        encoding="utf-8",
    )
    with pytest.raises(CasefileError) as refused:
        import_casefile(path)
    assert {e.where for e in refused.value.errors} == {
        "sources[0].reliability",
        "evidence[0].source",
    }
