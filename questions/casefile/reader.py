"""Read a case file (YAML, or JSON by extension) into plain data that remembers its lines.

PyYAML silently keeps the last of two equal mapping keys and expands aliases; a case file must
do neither, so the loader here records duplicate keys (reported later with their path), refuses
aliases and merge keys, and turns an impossible date into a marker instead of crashing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from questions.casefile.errors import Issue

MAX_FILE_BYTES = 64 * 1024 * 1024
JSON_SUFFIXES = frozenset({".json"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})


class LocatedDict(dict):
    """A mapping plus the line it starts on and the line of each of its keys."""

    def __init__(self, line: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}
        # Problems found while reading, reported by the validator where it knows the path.
        self.duplicates: list[tuple[str, int | None, int | None]] = []
        self.bad_keys: list[tuple[str, int | None]] = []

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A sequence plus the line it starts on and the line of each item."""

    def __init__(self, items=(), line: int | None = None, item_lines=None) -> None:
        super().__init__(items)
        self.line = line
        self.item_lines: list[int] = list(item_lines or [])

    def line_of(self, index: int) -> int | None:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class InvalidDate:
    """A YAML timestamp that names no real day (2023-02-30)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a case file", event.start_mark
            )
        return super().compose_node(parent, index)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    result = LocatedDict(_line(node))
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            result.bad_keys.append(("merge keys (<<) are not allowed", _line(key_node)))
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            result.bad_keys.append(("field names must be plain text", _line(key_node)))
            continue
        if key in result:
            result.duplicates.append((key, _line(key_node), result.key_lines[key]))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = _line(key_node)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    items = [loader.construct_object(child, deep=True) for child in node.value]
    return LocatedList(items, _line(node), [_line(child) for child in node.value])


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return InvalidDate(node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _json_object(pairs: list[tuple[str, Any]]) -> LocatedDict:
    result = LocatedDict()
    for key, value in pairs:
        if key in result:
            result.duplicates.append((key, None, None))
            continue
        result[key] = _json_lists(value)
    return result


def _json_lists(value: Any) -> Any:
    if isinstance(value, list) and not isinstance(value, LocatedList):
        return LocatedList(_json_lists(item) for item in value)
    return value


def read_document(path: Path) -> tuple[Any, list[Issue]]:
    """The parsed document, or None and the issues that stopped reading it."""
    suffix = path.suffix.lower()
    if suffix not in JSON_SUFFIXES | YAML_SUFFIXES:
        return None, [Issue(path, None, "file", "name it .yaml, .yml or .json")]
    if path.exists() and not path.is_file():
        # A FIFO would block the reader for ever; a device or a directory is no case file.
        return None, [Issue(path, None, "file", "is not a regular file")]
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                Issue(path, None, "file", f"{size} bytes is over the {MAX_FILE_BYTES} byte limit")
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Issue(path, None, "file", f"cannot be read: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Issue(path, line, "file", f"is not UTF-8 (byte {exc.start})")]
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        if suffix in JSON_SUFFIXES:
            return _json_lists(json.loads(text, object_pairs_hook=_json_object)), []
        return yaml.load(text, Loader=_Loader), []  # noqa: S506 - _Loader is a SafeLoader
    except json.JSONDecodeError as exc:
        return None, [Issue(path, exc.lineno, "file", f"is not valid JSON: {exc.msg}")]
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        return None, [
            Issue(path, line, "file", f"contains a character YAML refuses ({exc.character!r})")
        ]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return None, [Issue(path, line, "file", f"is not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, [Issue(path, None, "file", f"is not valid YAML: {exc}")]
    except RecursionError:
        return None, [Issue(path, None, "file", "is nested too deeply")]
