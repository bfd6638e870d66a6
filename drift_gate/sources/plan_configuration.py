"""What a plan's configuration says: which task definition a service's expression refers
to, the AWS provider's region, and the modules' sources."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from drift_gate.addresses import is_data_address, module_path, split_address
from drift_gate.model import PlannedService
from drift_gate.sources.plan_raw import (
    TASK_DEFINITION,
    _RawConfiguration,
    _RawExpression,
    _RawModuleConfig,
    _ServiceValues,
    refuse,
)
from drift_gate.sources.plan_resources import Planned
from drift_gate.validation import first_problem


def planned_service(
    planned: Planned, source: str, configuration: _RawConfiguration
) -> PlannedService:
    values = planned.values(_ServiceValues, source, ("name",))
    resource, given = planned.resource, planned.resource.values
    # The plan leaves unknown values out (None here); a null is known: a null `cluster` is
    # ECS's `default` cluster, and a null `task_definition` (an EXTERNAL deployment
    # controller) is a service that declares none: "" says so.
    null_cluster = "cluster" in given and values.cluster is None
    null_task_definition = "task_definition" in given and values.task_definition is None
    references = _referenced_task_definitions(resource.address, configuration, source)
    managed = [reference for reference in references if not is_data_address(reference)]
    return PlannedService(
        address=resource.address,
        name=values.name,
        cluster="default" if null_cluster else values.cluster,
        task_definition="" if null_task_definition else values.task_definition,
        task_definition_address=managed[0] if len(references) == 1 and managed else None,
        task_definition_references=references,
    )


def _module_config(
    configuration: _RawConfiguration, address: str, source: str
) -> tuple[_RawModuleConfig, str]:
    """The configuration of an address's module, and its JSON path (map keys as `[...]`).
    Terraform writes the configuration of every module a plan has resources in: one left
    out is refused, never read as "no reference" (which sends the service to a family
    look-up, or makes its task definition "known only after apply")."""
    module = configuration.root_module
    path = "configuration.root_module"
    if module is None:
        refuse(
            source,
            f"{path}: missing; terraform writes it in every plan, and a service's "
            "task_definition reference is read there",
        )
    for name, _ in split_address(address)[0]:
        call = module.module_calls.get(name)
        if call is None or call.module is None:
            refuse(source, f"{path}.module_calls: no module {name}, which {address} is in")
        module = call.module
        path += ".module_calls[...].module"
    return module, path


def _referenced_task_definitions(
    service_address: str, configuration: _RawConfiguration, source: str
) -> tuple[str, ...]:
    """Every task definition a service's task_definition expression refers to, resources and
    data sources (`data.aws_ecs_task_definition.x`), each once, in the service's module."""
    _, kind, name, _ = split_address(service_address)
    module, path = _module_config(configuration, service_address, source)
    found: dict[str, None] = {}
    block = False
    for index, resource in enumerate(module.resources):
        if resource.type != kind or resource.name != name or resource.mode == "data":
            continue
        block = True
        # A malformed expression is refused: read as "no reference", it would send the
        # service to a family look-up that may pick another task definition.
        where = f"{path}.resources[{index}].expressions.task_definition"
        expression = _expression(resource.expressions.get("task_definition"), where, source)
        for reference in expression.references:
            for mode in ("", "data."):
                if reference.startswith(f"{mode}{TASK_DEFINITION}."):
                    _, _, referenced, _ = split_address(reference)
                    prefix = module_path(service_address)
                    local = f"{mode}{TASK_DEFINITION}.{referenced}"
                    found[f"{prefix}.{local}" if prefix else local] = None
    if not block:
        refuse(
            source,
            f"{path}.resources: no {kind}.{name}, which {service_address} is planned from; "
            "terraform writes every resource block",
        )
    return tuple(found)


def _expression(raw: Any, where: str, source: str) -> _RawExpression:
    """A configuration expression; absent is none (no constant, no reference)."""
    if raw is None:
        return _RawExpression()
    if not isinstance(raw, dict):
        refuse(source, f"{where}: Input should be a valid dictionary")
    try:
        return _RawExpression.model_validate(raw)
    except ValidationError as error:
        refuse(source, first_problem(error, _RawExpression, where))


def provider_region(configuration: _RawConfiguration, source: str) -> str | None:
    for key, provider in configuration.provider_config.items():
        if key == "aws" or provider.name == "aws":
            where = "configuration.provider_config[...].expressions.region"
            region = _expression((provider.expressions or {}).get("region"), where, source)
            constant = region.constant_value
            if constant is not None and not isinstance(constant, str):
                refuse(source, f"{where}.constant_value: Input should be a valid string")
            if constant:
                return constant
    return None


def module_sources(module: _RawModuleConfig | None, prefix: str) -> Iterator[tuple[str, str]]:
    pending = [(module, prefix)]
    while pending:  # a loop, not recursion: module depth is the user's input
        current, where = pending.pop(0)
        for name, call in (current.module_calls if current else {}).items():
            path = f"{where}.module.{name}" if where else f"module.{name}"
            yield path, call.source
            pending.append((call.module, path))
