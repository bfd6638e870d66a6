"""Reading `terraform show -json` output into a Plan of names and references.

Format versions 0.1 up to, not including, 2.0 are read (a minor bump only adds fields).
The plan holds sensitive values in plaintext; they are dropped while parsing and never
echoed, not even in error messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from drift_gate.errors import InvalidInputError
from drift_gate.model import (
    ContainerVars,
    OutputChange,
    Plan,
    PlannedService,
    PlannedTaskDefinition,
    ResourceChange,
)
from drift_gate.sources.containers import containers_from_json

TASK_DEFINITION = "aws_ecs_task_definition"
SERVICE = "aws_ecs_service"
_SEGMENT = re.compile(r'(?P<name>[^.\[\]]+)(?P<index>\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\])?')


def read_plan_json(path: Path) -> Plan:
    """Load a plan JSON file; anything unusable is invalid input (exit 2)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInputError(
            f"{path}: cannot read plan JSON ({error.strerror or error})"
        ) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(
            f"{path}: not a JSON plan; give the output of `terraform show -json PLANFILE`"
        ) from error
    return parse_plan(document, str(path))


def parse_plan(document: Any, source: str) -> Plan:
    """A plan document (already JSON-decoded) -> Plan."""
    if not isinstance(document, dict) or "format_version" not in document:
        raise InvalidInputError(
            f"{source}: no format_version; give the output of `terraform show -json PLANFILE`"
        )
    version = str(document["format_version"])
    _check_version(version, source)
    planned_root = (document.get("planned_values") or {}).get("root_module") or {}
    configuration = document.get("configuration") or {}
    resources = list(_module_resources(planned_root))
    return Plan(
        format_version=version,
        terraform_version=document.get("terraform_version"),
        resource_changes=tuple(_change(raw) for raw in document.get("resource_changes") or []),
        resource_drift=tuple(_change(raw) for raw in document.get("resource_drift") or []),
        output_changes=tuple(
            OutputChange(name=name, actions=tuple(raw.get("actions") or ()))
            for name, raw in sorted((document.get("output_changes") or {}).items())
        ),
        task_definitions=tuple(
            _task_definition(r) for r in resources if r.get("type") == TASK_DEFINITION
        ),
        services=tuple(_service(r, configuration) for r in resources if r.get("type") == SERVICE),
        region=_provider_region(configuration),
        errored=bool(document.get("errored", False)),
        complete=bool(document.get("complete", True)),
        module_sources=dict(_module_sources(configuration.get("root_module") or {}, "")),
    )


def _check_version(version: str, source: str) -> None:
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    if not match:
        raise InvalidInputError(f"{source}: format_version {version!r} is not MAJOR.MINOR")
    major, minor = int(match[1]), int(match[2])
    if major >= 2 or (major, minor) < (0, 1):
        raise InvalidInputError(
            f"{source}: plan format_version {version} is not supported; drift-gate reads 0.1 up "
            "to, not including, 2.0 (upgrade drift-gate for newer Terraform)"
        )


def _change(raw: dict[str, Any]) -> ResourceChange:
    change = raw.get("change") or {}
    kind = str(raw.get("type", ""))
    fields: dict[str, Any] = {}
    if kind == TASK_DEFINITION:
        fields = _task_definition_change(change)
    return ResourceChange(
        address=str(raw.get("address", "")),
        type=kind,
        actions=tuple(change.get("actions") or ()),
        previous_address=raw.get("previous_address"),
        **fields,
    )


def _task_definition_change(change: dict[str, Any]) -> dict[str, Any]:
    after_unknown = change.get("after_unknown") or {}
    fields: dict[str, Any] = {
        "after_unknown": isinstance(after_unknown, dict)
        and after_unknown.get("container_definitions") is True
    }
    try:
        fields["before_containers"] = _containers_of(change.get("before"))
        fields["after_containers"] = (
            None if fields["after_unknown"] else _containers_of(change.get("after"))
        )
    except ValueError as error:
        fields.update(before_containers=None, after_containers=None, unreadable=str(error))
    return fields


def _containers_of(values: Any) -> tuple[ContainerVars, ...] | None:
    if not isinstance(values, dict) or not isinstance(values.get("container_definitions"), str):
        return None
    return containers_from_json(values["container_definitions"])


def _module_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _module_resources(child)


def _task_definition(raw: dict[str, Any]) -> PlannedTaskDefinition:
    values = raw.get("values") or {}
    try:
        containers = _containers_of(values)
    except ValueError:
        containers = None
    return PlannedTaskDefinition(
        address=raw["address"], family=values.get("family"), containers=containers
    )


def _service(raw: dict[str, Any], configuration: dict[str, Any]) -> PlannedService:
    values = raw.get("values") or {}
    return PlannedService(
        address=raw["address"],
        name=values.get("name"),
        cluster=values.get("cluster"),
        task_definition=values.get("task_definition"),
        task_definition_address=_referenced_task_definition(raw["address"], configuration),
    )


def split_address(address: str) -> tuple[tuple[tuple[str, str | None], ...], str, str, str | None]:
    """`module.a["x"].aws_ecs_service.api[0]` -> (((a, '["x"]'),), type, name, '[0]')."""
    segments = [(m["name"], m["index"]) for m in _SEGMENT.finditer(address)]
    modules: list[tuple[str, str | None]] = []
    position = 0
    while position + 1 < len(segments) and segments[position][0] == "module":
        modules.append(segments[position + 1])
        position += 2
    if position < len(segments) and segments[position][0] == "data":
        position += 1
    rest = segments[position:]
    if len(rest) < 2:
        return tuple(modules), "", address, None
    return tuple(modules), rest[0][0], rest[1][0], rest[1][1]


def module_path(address: str) -> str:
    """The module part of an address with its instance keys: `module.a["x"].module.b`."""
    modules, _, _, _ = split_address(address)
    return ".".join(f"module.{name}{index or ''}" for name, index in modules)


def _module_config(configuration: dict[str, Any], address: str) -> dict[str, Any]:
    module = configuration.get("root_module") or {}
    for name, _ in split_address(address)[0]:
        module = ((module.get("module_calls") or {}).get(name) or {}).get("module") or {}
    return module


def _referenced_task_definition(service_address: str, configuration: dict[str, Any]) -> str | None:
    """The task definition resource a service's task_definition expression refers to, if any."""
    _, kind, name, _ = split_address(service_address)
    for resource in _module_config(configuration, service_address).get("resources") or []:
        if resource.get("type") != kind or resource.get("name") != name:
            continue
        expression = (resource.get("expressions") or {}).get("task_definition") or {}
        for reference in expression.get("references") or []:
            if str(reference).startswith(f"{TASK_DEFINITION}."):
                _, _, referenced, _ = split_address(str(reference))
                prefix = module_path(service_address)
                return (
                    f"{prefix}.{TASK_DEFINITION}.{referenced}"
                    if prefix
                    else f"{TASK_DEFINITION}.{referenced}"
                )
    return None


def _provider_region(configuration: dict[str, Any]) -> str | None:
    for key, provider in (configuration.get("provider_config") or {}).items():
        if key == "aws" or provider.get("name") == "aws":
            region = ((provider.get("expressions") or {}).get("region") or {}).get("constant_value")
            if isinstance(region, str):
                return region
    return None


def _module_sources(module: dict[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    for name, call in (module.get("module_calls") or {}).items():
        path = f"{prefix}.module.{name}" if prefix else f"module.{name}"
        yield path, str(call.get("source", ""))
        yield from _module_sources(call.get("module") or {}, path)
