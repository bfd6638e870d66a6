"""The one place YAML is read: safe loading, line numbers per path, duplicate keys refused.

PyYAML silently keeps the last of two equal keys; in a policy that hides a declaration, so
duplicates are reported as errors like any schema error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drift_gate.errors import InvalidInputError

JsonPath = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed data plus the 1-based line of every mapping key and sequence item."""

    path: str
    data: Any
    lines: dict[JsonPath, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[JsonPath, int]] = field(default_factory=list)

    def line_of(self, json_path: JsonPath) -> int:
        """The line of the deepest known part of the path (1 for the document)."""
        for depth in range(len(json_path), 0, -1):
            line = self.lines.get(tuple(json_path[:depth]))
            if line is not None:
                return line
        return 1


def load_yaml_file(path: Path) -> YamlDocument:
    """Read a YAML file; unreadable or malformed input raises InvalidInputError with file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot read file ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"{path}: not UTF-8 text; save the file as UTF-8") from error
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse YAML text from `source` (a file name used in messages)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise InvalidInputError(f"{where}: invalid YAML: {error.problem}") from error
    except yaml.YAMLError as error:
        raise InvalidInputError(f"{source}: invalid YAML: {error}") from error
    document = YamlDocument(path=source, data=data)
    if root is not None:
        _record_lines(root, (), document)
    return document


def _record_lines(node: yaml.Node, json_path: JsonPath, document: YamlDocument) -> None:
    document.lines.setdefault(json_path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*json_path, key)
            if key in seen:
                document.duplicate_keys.append((child, key_node.start_mark.line + 1))
                continue
            seen.add(key)
            document.lines[child] = key_node.start_mark.line + 1
            _record_lines(value_node, child, document)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*json_path, index), document)
