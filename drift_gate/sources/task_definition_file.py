"""A task-definition file as CI renders it, before it is registered: its containers' names.

Four shapes are read, as real files come: `aws ecs describe-task-definition` output
(`{"taskDefinition": {...}}`), register-task-definition input (`{"family",
"containerDefinitions"}`, what ecspresso and the render action write), a bare list of
container definitions (Terraform's container_definitions, templates), and one container
definition. A CloudFormation `AWS::ECS::TaskDefinition` (or its Properties block), in
PascalCase, is read too. UTF-8 with or without a BOM, and UTF-16 with a BOM.

Values are looked at once for a credential format and dropped, as for the live side; no
message quotes the file's text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from drift_gate.errors import InvalidInputError
from drift_gate.input_files import TASK_DEFINITION_FILE, read_bytes
from drift_gate.jsontext import decode_json_bytes
from drift_gate.model import ContainerVars
from drift_gate.sources.answers import ContainerDefinition
from drift_gate.sources.cfn_containers import cfn_container
from drift_gate.sources.cfn_intrinsics import text_or_none
from drift_gate.sources.containers import UNRENDERED, container_vars, repeated_name
from drift_gate.validation import validate_or_none

EXPECTED = (
    'expected `aws ecs describe-task-definition` output ({"taskDefinition": {...}}), '
    'register-task-definition input ({"family": ..., "containerDefinitions": [...]}), '
    "a JSON list of container definitions, or one container definition"
)
# Template placeholders a rendered file may still hold: ${VAR}, {{ .Env.X }}, <IMAGE>.
PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{.*?\}\}|^<[^<>]+>$")

CLOUDFORMATION = "CloudFormation AWS::ECS::TaskDefinition"

JsonPath = tuple[str | int, ...]
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class FileContainer:
    """One container of the file, where it is (JSON path, line) and its names."""

    names: ContainerVars
    json_path: str
    line: int | None
    # What a CloudFormation container does not know before deploy (an entry whose name is an
    # intrinsic, an Fn::If environment file): a required name not read may be there.
    unresolved: tuple[str, ...] = ()

    @property
    def name_known(self) -> bool:
        return not self.names.name.startswith("${cloudformation")


@dataclass(frozen=True)
class TaskDefinitionFile:
    source: str
    shape: str
    containers: tuple[FileContainer, ...]
    # The shapes with the task level (describe, register, CloudFormation): whether it names
    # an execution role (a template placeholder counts). None: a container-only shape.
    has_execution_role: bool | None = None

    def __post_init__(self) -> None:
        # Two containers of one name: which one ECS would run is not to be guessed (the
        # first of a name once passed on secrets only it had). Exit 2, naming both paths.
        repeated = repeated_name(container.names.name for container in self.containers)
        if repeated is not None:
            first, second = (self.containers[index] for index in repeated)
            raise InvalidInputError(
                f"{self.location(second)}: {second.json_path}.name is the name of "
                f"{first.json_path} ({self.location(first)}) again; the containers of a task "
                "definition have unique names"
            )

    def container(self, name: str) -> FileContainer | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, FileContainer]:
        # Built once: a look-up per declared container must not walk every container.
        # Names are unique (__post_init__).
        return {container.names.name: container for container in self.containers}

    def location(self, container: FileContainer | None = None) -> str:
        """`file:line` of a container (or of the file when its line is unknown)."""
        if container is not None and container.line is not None:
            return f"{self.source}:{container.line}"
        return self.source


def is_placeholder(value: str) -> bool:
    """A value a template has not filled in yet: never compared, never an error."""
    return bool(PLACEHOLDER.search(value))


def read_task_definition_file(path: Path) -> TaskDefinitionFile:
    """Read and validate a task-definition file; anything else is exit 2 naming the shapes."""
    source = str(path)
    try:
        text = decode_json_bytes(read_bytes(path, TASK_DEFINITION_FILE))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{source}: not UTF-8 or UTF-16 text; {EXPECTED}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{source}: not JSON (line {error.lineno}: {error.msg}); {EXPECTED}"
        ) from None
    except (RecursionError, ValueError):
        raise InvalidInputError(f"{source}: JSON nested too deeply or a number too long") from None
    shape, prefix, items = _containers_of(document, source)
    has_role = _has_execution_role(document) if prefix not in ("", None) else None
    lines = _container_lines(text, _container_paths(document, prefix, len(items)))
    containers = []
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        json_path = f"{prefix}[{index}]" if prefix is not None else "(the container)"
        unresolved: tuple[str, ...] = ()
        api, read = item, None
        if shape == CLOUDFORMATION:
            # The one handling of intrinsics (sources/cfn_intrinsics.py): a value known only
            # at deploy time is unresolved, never an error and never a pass.
            read = cfn_container(item)
            api = {**read.definition, "name": text_or_none(read.name) or _unknown_name(index)}
            unresolved = tuple(words for _, words in read.unresolved)
        definition, problem = validate_or_none(ContainerDefinition, api)
        if definition is None:
            where = problem if prefix is None else f"{json_path}.{problem}"
            raise InvalidInputError(f"{source}: {where}; {EXPECTED}")
        names = container_vars(definition)
        names = _without_placeholders(read.names(names) if read else names)
        containers.append(FileContainer(names, json_path, line, unresolved))
    return TaskDefinitionFile(source, shape, tuple(containers), has_role)


def _unknown_name(index: int) -> str:
    """A container name known only at deploy time: unique, and never a name a policy gives."""
    return f"${{cloudformation: container {index}}}"


def _has_execution_role(document: dict[str, Any]) -> bool:
    """Does the task level name an execution role (any non-empty value, a placeholder too)?"""
    if document.get("Type") == "AWS::ECS::TaskDefinition":
        task = document.get("Properties") or {}
        return bool(task.get("ExecutionRoleArn"))
    task = document.get("taskDefinition", document)
    return bool(task.get("executionRoleArn") or task.get("ExecutionRoleArn"))


def _containers_of(document: Any, source: str) -> tuple[str, str | None, list[dict[str, Any]]]:
    """(shape, JSON path of the list or None for one container, the container objects)."""
    if isinstance(document, dict) and document.get("Type") == "AWS::ECS::TaskDefinition":
        document = document.get("Properties")
    if isinstance(document, dict) and isinstance(document.get("ContainerDefinitions"), list):
        return (
            CLOUDFORMATION,
            "ContainerDefinitions",
            _objects(document["ContainerDefinitions"], source),
        )
    if isinstance(document, dict) and isinstance(document.get("taskDefinition"), dict):
        inner = document["taskDefinition"]
        if isinstance(inner.get("containerDefinitions"), list):
            return (
                "describe-task-definition output",
                "taskDefinition.containerDefinitions",
                _objects(inner["containerDefinitions"], source),
            )
    if isinstance(document, dict) and isinstance(document.get("containerDefinitions"), list):
        return (
            "register-task-definition input",
            "containerDefinitions",
            _objects(document["containerDefinitions"], source),
        )
    if isinstance(document, list) and document:
        return "a list of container definitions", "", _objects(document, source)
    if isinstance(document, dict) and isinstance(document.get("name"), str):
        return "one container definition", None, [document]
    raise InvalidInputError(f"{source}: not a task definition; {EXPECTED}")


def _objects(items: list[Any], source: str) -> list[dict[str, Any]]:
    if not items:
        raise InvalidInputError(f"{source}: the task definition has no container; {EXPECTED}")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInputError(f"{source}: container {index} is not a JSON object; {EXPECTED}")
    return items


def _container_paths(document: Any, prefix: str | None, count: int) -> list[JsonPath]:
    """The JSON path of each container: items of the list, or the document itself."""
    root: JsonPath = ()
    if isinstance(document, dict) and document.get("Type") == "AWS::ECS::TaskDefinition":
        root = ("Properties",)
    if prefix is None:  # one container definition
        return [root]
    listed = (*root, *prefix.split(".")) if prefix else root
    return [(*listed, index) for index in range(count)]


def _container_lines(text: str, paths: list[JsonPath]) -> list[int | None]:
    """The line of each container's `"name"` key (of the container when it has none).

    One pass over the text, down to the containers' keys only: the time grows with the
    file, not with containers times file (a search per container counted lines from the top).
    """
    lines = json_lines(text, max(len(path) for path in paths) + 1)
    return [
        lines.get((*path, "name")) or lines.get((*path, "Name")) or lines.get(path)
        for path in paths
    ]


class _LineCounter:
    """1-based line of a position, for positions asked in increasing order: each stretch
    of the text is counted once."""

    def __init__(self, text: str) -> None:
        self.text, self.position, self.line = text, 0, 1

    def __call__(self, position: int) -> int:
        self.line += self.text.count("\n", self.position, position)
        self.position = position
        return self.line


@dataclass
class _Open:
    """An object or array being read: its path and how many items it had so far."""

    path: JsonPath
    is_object: bool
    items: int = 0


def json_lines(text: str, depth: int) -> dict[JsonPath, int]:
    """The line of every object key and array item whose path is at most `depth` long.

    `text` is JSON already parsed (valid). Values deeper than `depth` are skipped by the
    standard library's decoder, in C, as are the keys. One pass.
    """
    lines: dict[JsonPath, int] = {}
    line_of = _LineCounter(text)
    opened: list[_Open] = []
    path: JsonPath = ()
    position = _skip_space(text, 0)
    while True:
        if text[position] in "{[" and len(path) < depth:
            opened.append(_Open(path, text[position] == "{"))
            position = _skip_space(text, position + 1)
            if text[position] not in "}]":
                position, path = _member(text, position, opened[-1], lines, line_of)
                continue
            opened.pop()  # empty: a whole value already
            position = _skip_space(text, position + 1)
        else:
            position = _skip_space(text, _DECODER.raw_decode(text, position)[1])
        # After a value: a comma starts the next member; a bracket closes what is open.
        while opened and text[position] != ",":
            opened.pop()
            position = _skip_space(text, position + 1)
        if not opened:
            return lines
        position, path = _member(text, _skip_space(text, position + 1), opened[-1], lines, line_of)


def _member(
    text: str, position: int, parent: _Open, lines: dict[JsonPath, int], line_of: _LineCounter
) -> tuple[int, JsonPath]:
    """Record the next key or item of `parent`; where its value starts, and its path."""
    lines_at = line_of(position)
    if parent.is_object:
        key, end = _DECODER.raw_decode(text, position)  # the key: a string, escapes read
        path: JsonPath = (*parent.path, key)
        position = _skip_space(text, _skip_space(text, end) + 1)  # past the colon
    else:
        path = (*parent.path, parent.items)
        parent.items += 1
    lines[path] = lines_at  # a repeated key: the last one, as json.loads keeps
    return position, path


def _skip_space(text: str, position: int) -> int:
    found = _SPACE.match(text, position)
    return found.end() if found else position


def _without_placeholders(names: ContainerVars) -> ContainerVars:
    """A valueFrom still a template placeholder is not compared with a pinned one."""
    secrets = tuple(
        secret.model_copy(update={"value_from": UNRENDERED})
        if is_placeholder(secret.value_from)
        else secret
        for secret in names.secrets
    )
    return names.model_copy(update={"secrets": secrets})
