"""The review page's side-by-side comparison (questions.diff)."""

from __future__ import annotations

from questions.diff import Segment, compare_fields, side_by_side


def test_it_pairs_a_changed_line_and_marks_only_the_changed_words():
    [row] = side_by_side("Russia likely armed Hamas.", "Russia very likely armed Hamas.")
    assert row.kind == "replace"
    assert row.old == [Segment("Russia likely armed Hamas.")]
    assert [s.text.strip() for s in row.new if s.changed] == ["very"]
    assert "".join(s.text for s in row.new) == "Russia very likely armed Hamas."


def test_it_shows_added_and_removed_lines_against_an_empty_side():
    rows = side_by_side("kept\ndropped", "kept\nadded\nalso added")
    assert [r.kind for r in rows] == ["equal", "replace", "insert"]
    assert rows[2].old == [] and rows[2].new == [Segment("also added", changed=True)]
    assert [r.kind for r in side_by_side("gone", "")] == ["delete"]


def test_it_keeps_markup_as_plain_text_for_the_template_to_escape():
    [row] = side_by_side("", "<script>alert(1)</script>")
    assert row.new == [Segment("<script>alert(1)</script>", changed=True)]


def test_a_field_without_changes_says_so():
    same, changed = compare_fields(
        [("Confidence", "moderate", "moderate"), ("Likelihood", "a", "b")]
    )
    assert not same.changed and changed.changed
