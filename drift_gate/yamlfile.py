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


# A policy is a few levels deep and a few thousand nodes at most. Aliases let a few hundred
# bytes expand to gigabytes ("billion laughs"); bounding the expanded size and the depth
# before anything walks the expanded tree keeps every later step small.
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 32


# libyaml's loader when PyYAML was built with it (about 9x faster; its nodes carry the same
# marks, so lines are kept), else the pure-Python one.
def without_timestamps(base: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """`base` with dates left as text (`expires: 2026-12-31`): the schema and the policy
    reader check them, so an impossible date is a policy problem with its line, not a YAML
    constructor error."""
    resolvers = {
        first: [(tag, rx) for tag, rx in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in base.yaml_implicit_resolvers.items()
    }
    loader: type[yaml.SafeLoader] = type(
        f"{base.__name__}NoDates", (base,), {"yaml_implicit_resolvers": resolvers}
    )
    return loader


_Loader = without_timestamps(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse YAML text from `source` (a file name used in messages), once."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
        if root is not None:
            _check_size(root, source)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise InvalidInputError(f"{where}: invalid YAML: {error.problem}") from None
    except yaml.reader.ReaderError as error:
        # libyaml gives the character's code, the Python reader the character itself.
        character = chr(error.character) if isinstance(error.character, int) else error.character
        raise InvalidInputError(
            f"{source}: invalid YAML: character {character!r} at position "
            f"{error.position} is not allowed in YAML"
        ) from None
    except yaml.YAMLError as error:
        raise InvalidInputError(f"{source}: invalid YAML: {error}") from None
    except RecursionError:
        raise InvalidInputError(
            f"{source}: YAML nested deeper than {MAX_DEPTH} levels; a policy is not"
        ) from None
    except ValueError:  # an integer of more digits than Python converts
        raise InvalidInputError(f"{source}: a number in the YAML is too long") from None
    finally:
        if loader is not None:
            loader.dispose()
    document = YamlDocument(path=source, data=data)
    if root is not None:
        _record_lines(root, (), document)
    return document


def _check_size(root: yaml.Node, source: str) -> None:
    """Refuse documents whose aliases expand past MAX_EXPANDED_NODES or that nest too deep.

    Sizes are memoised per node, so a shared (aliased) node is measured once: the check
    costs the size of the document as written, not as expanded.
    """
    expanded: dict[int, int] = {}
    # Iterative post-order walk: the document's depth is the user's input.
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            line = node.start_mark.line + 1
            raise InvalidInputError(
                f"{source}:{line}: YAML nested deeper than {MAX_DEPTH} levels; a policy is not"
            )
        children = _children(node)
        if children_done:
            size = 1 + sum(expanded[id(child)] for child in children)
            if size > MAX_EXPANDED_NODES:
                raise InvalidInputError(
                    f"{source}:{node.start_mark.line + 1}: YAML aliases expand to more than "
                    f"{MAX_EXPANDED_NODES:,} values; write the policy without so many aliases"
                )
            expanded[id(node)] = size
            continue
        if id(node) in expanded:
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in expanded)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


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
