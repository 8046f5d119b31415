"""The case-file importer (manage.py import_casefile) against the hostile table and hostile
files: each text value follows the same policy as the API and the pages (iqtrack.validation),
and a hostile file is refused with a message, never a traceback, a hang or a partial import."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evidence.models import Evidence
from questions.models import Question
from tests.casefile_helpers import row_counts
from tests.hostile_inputs import HOSTILE, REFUSED, Field

# Fields of the format: (section, field, as the table sees it).
TARGETS = (
    ("questions", "title", Field("title", "line", required=True, max_length=300)),
    ("questions", "body", Field("body", "text")),
    ("evidence", "original_text", Field("original_text", "text", bidi=True)),
    ("evidence", "summary", Field("summary", "text", required=True)),
)


def _casefile(section: str, name: str, value) -> dict:
    evidence = {
        "key": "e1",
        "source": "src",
        "summary": "Something happened.",
        "original_language": "ar",
        "credibility": 3,
        "corroboration": "single_source",
        "tlp": "clear",
    }
    question = {
        "key": "q1",
        "title": "Did it happen?",
        "team": "t",
        "status": "open",
        "tlp": "clear",
    }
    {"questions": question, "evidence": evidence}[section][name] = value
    return {
        "iqtrack_casefile": 1,
        "teams": [{"slug": "t", "name": "Test team"}],
        "sources": [{"key": "src", "name": "A source", "kind": "news_outlet", "reliability": "C"}],
        "evidence": [evidence],
        "questions": [question],
    }


def _import(path: Path) -> tuple[bool, str]:
    try:
        call_command("import_casefile", str(path), "--no-progress")
    except CommandError as error:
        return False, str(error)
    return True, ""


@pytest.mark.parametrize("section,name,target", TARGETS, ids=[f"{s}.{n}" for s, n, _ in TARGETS])
def test_casefile_text_follows_the_one_policy(db, tmp_path, capsys, section, name, target):
    problems, sent = [], 0
    for hostile in HOSTILE:
        if not hostile.applies_to(target) or hostile.name == "10 MB string":
            continue
        outcome = hostile.outcome(target)
        value = hostile.value_for(target)
        if not isinstance(value, str):
            continue  # wrong types are the case-file tests' (test_casefile_malformed.py)
        if outcome is not REFUSED and value.strip() != value:
            continue  # the API trims surrounding spaces; a case file keeps what it says
        path = tmp_path / "hostile.json"
        text = json.dumps(_casefile(section, name, value))  # \ud800 stays a JSON escape
        path.write_text(text, encoding="utf-8")
        before = row_counts()
        imported, why = _import(path)
        capsys.readouterr()
        sent += 1
        if outcome is REFUSED:
            if imported or row_counts() != before:
                problems.append(f"{hostile.name}: imported, expected refused")
            continue
        if not imported:
            problems.append(f"{hostile.name}: refused ({why}), expected stored")
            continue
        model = Question if section == "questions" else Evidence
        stored = getattr(model.objects.get(key="q1" if section == "questions" else "e1"), name)
        if stored != outcome.value:
            problems.append(f"{hostile.name}: stored {stored!r:.60} not {outcome.value!r:.60}")
        Question.objects.filter(key="q1").delete()  # the next value starts from no row
        Evidence.objects.filter(key="e1").delete()
    assert sent > 30
    assert not problems, "\n".join(problems)


BAD_FILES = {
    "bad YAML": "iqtrack_casefile: 1\nteams: [unclosed\n",
    "billion laughs": "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
    "python object tag": "!!python/object/apply:os.system ['touch /tmp/pwned']\n",
    "nested 10,000 deep": "[" * 10_000 + "]" * 10_000,
    "NUL byte": "iqtrack_casefile: 1\x00\n",
    "not UTF-8": "iqtrack_casefile: 1\n# \udcff\n",
    "top-level list": "- iqtrack_casefile: 1\n",
    "empty": "",
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_hostile_file_is_refused_with_a_message(db, tmp_path, capsys, name):
    path = tmp_path / "bad.yaml"
    path.write_bytes(BAD_FILES[name].encode("utf-8", "surrogateescape"))
    before = row_counts()
    imported, why = _import(path)
    assert not imported and "nothing was imported" in why
    assert row_counts() == before
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize(
    "argument",
    ["../../../../etc/passwd", "/etc/passwd", "/dev/zero", "/proc/self/environ", "/etc/"],
)
def test_a_path_that_is_not_a_case_file_is_refused(db, argument):
    before = row_counts()
    imported, why = _import(Path(argument))
    assert not imported and "nothing was imported" in why
    assert row_counts() == before


def test_a_path_traversal_to_a_yaml_name_outside_is_refused(db, tmp_path):
    imported, why = _import(tmp_path / ".." / ".." / "no-such-dir" / "case.yaml")
    assert not imported and "nothing was imported" in why


def test_a_huge_file_is_refused_before_it_is_read(db, tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: over the 64 MB limit, costs no disk
    imported, why = _import(path)
    assert not imported and "nothing was imported" in why


def test_a_fifo_or_device_named_like_a_case_file_does_not_hang(db, tmp_path):
    """Reading a FIFO blocks until a writer comes: the importer must refuse what is not a file."""
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(outcome=_import(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader before failing
        with fifo.open("w") as writer:
            writer.write("")
        worker.join(timeout=5)
        pytest.fail("the importer hung reading a FIFO")
    imported, why = result["outcome"]
    assert not imported and "nothing was imported" in why
