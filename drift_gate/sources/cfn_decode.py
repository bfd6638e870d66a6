"""A CloudFormation template's text -> its document, and the line of every key and item.

JSON templates (CDK synth, `aws cloudformation get-template`) are read by the standard
library, their lines by the task-definition reader's one-pass scanner. YAML templates are
read by PyYAML (libyaml when installed) with ONE generic constructor for every `!` tag, as
CloudFormation reads them: `!Ref X` is `{"Ref": "X"}`, `!Condition X` is `{"Condition": "X"}`,
every other `!Name v` is `{"Fn::Name": v}`, and `!GetAtt a.b` is `{"Fn::GetAtt": ["a", "b"]}`.
A tag written with a trailing colon (`!Ref:`, seen in real templates and accepted by
CloudFormation) is the same tag. YAML's timestamps and other implicit types stay text, as
CloudFormation keeps them. YAML anchors and aliases (`&name`, `*name`) are refused in one
line: CloudFormation does not read them, and a value reused through aliases grows without
bound when built (a 548-byte "billion laughs" file is gigabytes once expanded).

Why not cfn-lint's decoder (docs/dependencies.md): it pulls sympy, networkx and regex
(about 150 MB installed) and takes about 320 ms to import, against 10 ms for PyYAML, which
drift-gate already uses; what drift-gate needs of it is this one constructor and lines.

No message quotes the template's text: a problem names the file, the line and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from drift_gate.errors import InvalidInputError
from drift_gate.sources.task_definition_file import JsonPath, json_lines

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Deep enough for Resources.X.Properties.ContainerDefinitions.0.Secrets.0.ValueFrom.Fn::Join.
LINE_DEPTH = 10
MAX_DEPTH = 200  # nesting beyond this is no template: refused, never a RecursionError


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Composes nodes only: the document is built by _value below, with its lines."""


@dataclass(frozen=True)
class Decoded:
    """The template as plain values (intrinsics in their long form) and where each part is."""

    document: Any
    lines: dict[JsonPath, int]

    def line(self, path: JsonPath) -> int | None:
        return self.lines.get(path)


def decode_template(text: str, source: str) -> Decoded:
    """JSON or YAML; anything that is neither is exit 2 in one line naming the file."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(text, object_pairs_hook=_unique_keys, parse_float=str)
        except _DuplicateKeyError as error:
            raise InvalidInputError(
                f"{source}: {error.key} is given twice in one object; CloudFormation refuses a "
                "template with a duplicate key"
            ) from None
        except json.JSONDecodeError as error:
            raise InvalidInputError(
                f"{source}: not a CloudFormation template: not JSON (line {error.lineno}: "
                f"{error.msg}); fix the file or give its YAML form"
            ) from None
        except (RecursionError, ValueError):
            raise InvalidInputError(
                f"{source}: JSON nested too deeply or a number too long"
            ) from None
        return Decoded(document, json_lines(text, LINE_DEPTH))
    return _decode_yaml(text, source)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKeyError(key)
        mapping[key] = value
    return mapping


def _decode_yaml(text: str, source: str) -> Decoded:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}: {error.problem or error.context})" if mark else ""
        raise InvalidInputError(
            f"{source}: not a CloudFormation template: not YAML or JSON{where}"
        ) from None
    except (yaml.YAMLError, RecursionError):
        raise InvalidInputError(
            f"{source}: not a CloudFormation template: not YAML or JSON"
        ) from None
    if node is None:
        raise InvalidInputError(f"{source}: empty; expected a CloudFormation template")
    lines: dict[JsonPath, int] = {}
    return Decoded(_Builder(source, lines).value(node, (), 0), lines)


_SCALARS: dict[str, Callable[[str], Any]] = {
    "tag:yaml.org,2002:int": lambda text: _number(text, int),
    "tag:yaml.org,2002:float": str,  # a decimal stays as written: 1.50 is "1.50", not 1.5
    "tag:yaml.org,2002:bool": lambda text: text.lower() in ("true", "yes", "on", "y"),
    "tag:yaml.org,2002:null": lambda text: None,
}


def _number(text: str, kind: Callable[[str], Any]) -> Any:
    """YAML 1.1's numbers as Python reads them; anything else (0o17, 1_000, 0x1F) stays text,
    as a template's values are strings to CloudFormation in the end."""
    try:
        return kind(text)
    except ValueError:
        return text


@dataclass
class _Builder:
    source: str
    lines: dict[JsonPath, int]
    # Every node built: PyYAML composes an alias as the very node its anchor marks, so a node
    # met twice is an alias, refused before it is built again.
    seen: set[int] = field(default_factory=set)

    def value(self, node: yaml.Node, path: JsonPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise InvalidInputError(f"{self.source}: YAML nested too deeply")
        if id(node) in self.seen:
            raise InvalidInputError(
                f"{self.source}:{node.start_mark.line + 1}: a YAML anchor (&name) used through "
                "an alias (*name); CloudFormation does not read anchors and aliases: write "
                "the value out"
            )
        self.seen.add(id(node))
        self.lines[path] = node.start_mark.line + 1
        tag = node.tag or ""
        if tag.startswith("!"):
            return self._intrinsic(node, path, depth)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return _SCALARS.get(tag, str)(str(node.value))

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                raise InvalidInputError(
                    f"{self.source}:{line}: a mapping key is not text; a template's keys are names"
                )
            key = str(key_node.value)
            if key in mapping:
                raise InvalidInputError(
                    f"{self.source}:{key_node.start_mark.line + 1}: {key} is given twice in one "
                    "mapping; CloudFormation refuses a template with a duplicate key"
                )
            if key == "<<":  # a merge key: CloudFormation does not read it either
                raise InvalidInputError(
                    f"{self.source}:{key_node.start_mark.line + 1}: YAML merge keys (<<) are "
                    "not read by CloudFormation; write the keys out"
                )
            where: JsonPath = (*path, key)
            mapping[key] = self.value(value_node, where, depth + 1)
            self.lines[where] = key_node.start_mark.line + 1
        return mapping

    def _intrinsic(self, node: yaml.Node, path: JsonPath, depth: int) -> dict[str, Any]:
        name = (node.tag or "!")[1:].rstrip(":")
        key = name if name in ("Ref", "Condition") else f"Fn::{name}"
        if isinstance(node, yaml.ScalarNode):
            argument: Any = str(node.value)
            if key == "Fn::GetAtt":
                resource, _, attribute = argument.partition(".")
                argument = [resource, attribute]
        elif isinstance(node, yaml.SequenceNode):
            argument = [
                self.value(item, (*path, key, i), depth + 1) for i, item in enumerate(node.value)
            ]
        else:
            argument = self._mapping(node, (*path, key), depth + 1)  # type: ignore[arg-type]
        where: JsonPath = (*path, key)
        self.lines[where] = node.start_mark.line + 1
        return {key: argument}
