"""The one place YAML is read: safe loading, line numbers per path, duplicate keys refused.

PyYAML silently keeps the last of two equal keys; in a policy that hides a declaration, so
duplicates are reported as errors like any schema error. Only what JSON can hold is
constructed (strings, finite numbers, booleans, null, lists, maps with string keys): a tag
such as !!binary, !!set or !!python/... is refused with its path and line before anything
downstream could meet a type it cannot serialise. Messages never quote the file's text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drift_gate.errors import InvalidInputError
from drift_gate.input_files import POLICY, read_bytes
from drift_gate.schema_words import shown_path

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
    """Read a YAML file (a regular file of at most 32 MiB: input_files.py); unreadable or
    malformed input raises InvalidInputError with file:line."""
    try:
        text = read_bytes(path, POLICY).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"{path}: not UTF-8 text; save the file as UTF-8") from error
    return parse_yaml(text, str(path))


# Aliases let a few hundred bytes expand to gigabytes ("billion laughs"). What is bounded is
# what aliases add: the values reached through them, beyond those written in the file. A
# large honest policy (a fleet of 10,000 services) is as big as its text, so it is not.
MAX_ALIAS_VALUES = 100_000
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
            _check_json_types(loader, root, source)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise InvalidInputError(f"{where}: invalid YAML: {_unquoted(error.problem)}") from None
    except yaml.reader.ReaderError as error:
        # libyaml gives the character's code, the Python reader the character itself.
        character = chr(error.character) if isinstance(error.character, int) else error.character
        raise InvalidInputError(
            f"{source}: invalid YAML: character {character!r} at position "
            f"{error.position} is not allowed in YAML"
        ) from None
    except yaml.YAMLError as error:
        raise InvalidInputError(f"{source}: invalid YAML: {_unquoted(str(error))}") from None
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
    """Refuse documents whose aliases add more than MAX_ALIAS_VALUES values, or that nest
    deeper than MAX_DEPTH.

    Each node is walked once (sizes are memoised), so the check costs the document as
    written. A node referenced a second time is reached through an alias: it adds its whole
    expanded size again, and those additions are what is bounded.
    """
    expanded: dict[int, int] = {}
    referenced: set[int] = set()
    through_aliases = 0
    # Iterative post-order walk: the document's depth is the user's input. Scalars (most
    # of a policy) are one value each and never pushed.
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        children = _children(node)
        if children_done:
            total = 1
            for child in children:
                size = expanded.get(id(child), 1)
                if id(child) in referenced:
                    through_aliases += size
                referenced.add(id(child))
                total += size
            if through_aliases > MAX_ALIAS_VALUES:
                raise InvalidInputError(
                    f"{source}:{node.start_mark.line + 1}: YAML aliases expand to more than "
                    f"{MAX_ALIAS_VALUES:,} values; write the policy without so many aliases"
                )
            expanded[id(node)] = total
            continue
        if id(node) in expanded:
            continue
        if children and depth >= MAX_DEPTH:
            line = children[0].start_mark.line + 1
            raise InvalidInputError(
                f"{source}:{line}: YAML nested deeper than {MAX_DEPTH} levels; a policy is not"
            )
        stack.append((node, depth, True))
        stack.extend(
            (child, depth + 1, False)
            for child in children
            if not isinstance(child, yaml.ScalarNode) and id(child) not in expanded
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_YAML_TAG = "tag:yaml.org,2002:"
_TEXT = _YAML_TAG + "str"
# The YAML types JSON has, and the kind of node each may tag.
_JSON_KINDS: dict[str, type[yaml.Node]] = {
    "str": yaml.ScalarNode,
    "int": yaml.ScalarNode,
    "float": yaml.ScalarNode,
    "bool": yaml.ScalarNode,
    "null": yaml.ScalarNode,
    "seq": yaml.SequenceNode,
    "map": yaml.MappingNode,
}
_KIND_WORDS = {yaml.ScalarNode: "a scalar", yaml.SequenceNode: "a list", yaml.MappingNode: "a map"}
_TYPE_WORDS = {"int": "an integer", "float": "a number", "bool": "true/false", "null": "null"}
# An explicit tag (`!!int abc`) is not checked by the resolver: the text must still be one.
_SCALAR_FORMS: dict[str, list[re.Pattern[str]]] = {}
for _found in _Loader.yaml_implicit_resolvers.values():
    for _tag, _form in _found:
        _SCALAR_FORMS.setdefault(_tag.removeprefix(_YAML_TAG), []).append(_form)


def _check_json_types(loader: yaml.SafeLoader, root: yaml.Node, source: str) -> None:
    """Refuse, with path and line, anything that would not construct to a JSON type.

    Walks each node once, in file order, before anything is constructed: a tag PyYAML's
    safe constructor would turn into bytes, a date or a set (or fail on) never gets there.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, JsonPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        problem = _json_type_problem(loader, node)
        if problem is not None:
            line = node.start_mark.line + 1
            raise InvalidInputError(f"{source}:{line}: {shown_path(path)}: {problem}")
        children: list[tuple[yaml.Node, JsonPath]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                problem = _key_problem(key_node)
                if problem is not None:
                    line = key_node.start_mark.line + 1
                    raise InvalidInputError(f"{source}:{line}: {shown_path(path)}: {problem}")
                children.append((value_node, (*path, str(key_node.value))))
        elif isinstance(node, yaml.SequenceNode):
            children = [(item, (*path, index)) for index, item in enumerate(node.value)]
        stack.extend(reversed(children))


def _json_type_problem(loader: yaml.SafeLoader, node: yaml.Node) -> str | None:
    if node.tag == _TEXT and isinstance(node, yaml.ScalarNode):  # most of a policy: fast
        return None
    short = node.tag.removeprefix(_YAML_TAG) if node.tag.startswith(_YAML_TAG) else None
    kind = _JSON_KINDS.get(short or "")
    if short is None or kind is None:
        return (
            f"{_tag_words(node.tag)} makes a value JSON has no type for; write a string, "
            "a number, true/false, null, a list or a map"
        )
    if not isinstance(node, kind):
        return f"the YAML tag !!{short} cannot tag {_KIND_WORDS.get(type(node), 'this node')}"
    # `!!float 1` is a float in YAML: a number may be written in either form.
    forms = _SCALAR_FORMS.get(short, []) + (_SCALAR_FORMS["int"] if short == "float" else [])
    if short in _TYPE_WORDS and not any(form.match(str(node.value)) for form in forms):
        return f"tagged !!{short} but not written as {_TYPE_WORDS[short]}"
    if (
        short == "float"
        and isinstance(node, yaml.ScalarNode)
        and not math.isfinite(yaml.SafeLoader.construct_yaml_float(loader, node))
    ):
        return "not a finite number (JSON has no NaN or infinity)"
    return None


def _key_problem(key_node: yaml.Node) -> str | None:
    """Keys are text (JSON's are): `1: x`, `true: x` and `? [a]: b` are refused."""
    if not isinstance(key_node, yaml.ScalarNode):
        return f"a key is {_KIND_WORDS.get(type(key_node), 'not text')}; keys must be text"
    if key_node.tag in (_TEXT, _YAML_TAG + "merge"):
        return None
    short = key_node.tag.removeprefix(_YAML_TAG)
    if short in _TYPE_WORDS:
        return f"a key is {_TYPE_WORDS[short]}, not text; put the key in quotes"
    return f"a key has {_tag_words(key_node.tag)}; keys must be text"


def _tag_words(tag: str) -> str:
    """The tag in YAML's words, without repeating text a user wrote after a known prefix."""
    short = tag.removeprefix(_YAML_TAG)
    if short == tag:
        return "a custom YAML tag"
    if short.startswith("python/"):
        return "a !!python/... YAML tag"
    known = ("binary", "timestamp", "set", "omap", "pairs", "merge", "value", "yaml")
    return f"the YAML tag !!{short}" if short in known else "an unknown YAML tag"


# A YAML error's problem may quote text of the file (an alias's name, PyYAML's repr of a
# token). One character or an escape (`'\t'`) says what is wrong; anything longer is hidden.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _unquoted(problem: str | None) -> str:
    def hide(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        short = len(inner) == 1 or (inner.startswith("\\") and len(inner) <= 10)
        return match.group(0) if short else "(text hidden)"

    return _QUOTED.sub(hide, problem or "malformed")


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
