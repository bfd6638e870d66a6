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
from pathlib import Path
from typing import Any

from drift_gate.errors import InvalidInputError
from drift_gate.jsontext import decode_json_bytes
from drift_gate.model import ContainerVars
from drift_gate.sources.answers import ContainerDefinition
from drift_gate.sources.containers import UNRENDERED, container_vars
from drift_gate.validation import validate_or_none

EXPECTED = (
    'expected `aws ecs describe-task-definition` output ({"taskDefinition": {...}}), '
    'register-task-definition input ({"family": ..., "containerDefinitions": [...]}), '
    "a JSON list of container definitions, or one container definition"
)
# Template placeholders a rendered file may still hold: ${VAR}, {{ .Env.X }}, <IMAGE>.
PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{.*?\}\}|^<[^<>]+>$")

_CFN_KEYS = {
    "Name": "name",
    "Value": "value",
    "ValueFrom": "valueFrom",
    "Type": "type",
    "Environment": "environment",
    "Secrets": "secrets",
    "EnvironmentFiles": "environmentFiles",
    "Image": "image",
}


@dataclass(frozen=True)
class FileContainer:
    """One container of the file, where it is (JSON path, line) and its names."""

    names: ContainerVars
    json_path: str
    line: int | None


@dataclass(frozen=True)
class TaskDefinitionFile:
    source: str
    shape: str
    containers: tuple[FileContainer, ...]
    # The shapes with the task level (describe, register, CloudFormation): whether it names
    # an execution role (a template placeholder counts). None: a container-only shape.
    has_execution_role: bool | None = None

    def container(self, name: str) -> FileContainer | None:
        return next((c for c in self.containers if c.names.name == name), None)

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
        text = decode_json_bytes(path.read_bytes())
    except OSError as error:
        raise InvalidInputError(f"{source}: cannot read file ({error.strerror or error})") from None
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
    lines = _name_lines(text, [item.get("name") for item in items])
    containers = []
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        json_path = f"{prefix}[{index}]" if prefix is not None else "(the container)"
        definition, problem = validate_or_none(ContainerDefinition, item)
        if definition is None:
            where = problem if prefix is None else f"{json_path}.{problem}"
            raise InvalidInputError(f"{source}: {where}; {EXPECTED}")
        containers.append(
            FileContainer(_without_placeholders(container_vars(definition)), json_path, line)
        )
    return TaskDefinitionFile(source, shape, tuple(containers), has_role)


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
            "CloudFormation AWS::ECS::TaskDefinition",
            "ContainerDefinitions",
            [_camel(item) for item in _objects(document["ContainerDefinitions"], source)],
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


def _camel(value: Any) -> Any:
    """CloudFormation's PascalCase keys -> the API's camelCase, for the keys drift-gate reads.
    An intrinsic function as a value (`{"Ref": ...}`, `{"Fn::Sub": ...}`) is known only at
    deploy time: a placeholder, like a template's."""
    if isinstance(value, dict):
        return {
            _CFN_KEYS.get(key, key): (
                "${cloudformation}"
                if key in ("Value", "ValueFrom") and isinstance(item, dict)
                else _camel(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def _name_lines(text: str, names: list[Any]) -> list[int | None]:
    """The line of each container's `"name": "..."`, searched in order; None if not found."""
    lines: list[int | None] = []
    position = 0
    for name in names:
        if not isinstance(name, str):
            lines.append(None)
            continue
        found = re.compile(r'"[Nn]ame"\s*:\s*' + re.escape(json.dumps(name))).search(text, position)
        if found is None:
            lines.append(None)
            continue
        position = found.end()
        lines.append(text.count("\n", 0, found.start()) + 1)
    return lines


def _without_placeholders(names: ContainerVars) -> ContainerVars:
    """A valueFrom still a template placeholder is not compared with a pinned one."""
    secrets = tuple(
        secret.model_copy(update={"value_from": UNRENDERED})
        if is_placeholder(secret.value_from)
        else secret
        for secret in names.secrets
    )
    return names.model_copy(update={"secrets": secrets})
