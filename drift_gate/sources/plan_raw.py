"""The pydantic models of the parts of a plan JSON drift-gate reads (`_Raw...`), and the
one way a malformed plan is refused.

The models keep their `_Raw` names: pydantic quotes a model's class name in some messages
("a valid dictionary or instance of _RawChange"), which users see.
"""

from __future__ import annotations

import json
from typing import Any, Literal, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drift_gate.addresses import is_data_address
from drift_gate.errors import InvalidInputError
from drift_gate.sources.answers import ContainerDefinition

TASK_DEFINITION = "aws_ecs_task_definition"
SERVICE = "aws_ecs_service"
V = TypeVar("V", bound=BaseModel)


class _Raw(BaseModel):
    """The fields of a plan drift-gate reads, type-checked; everything else is ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


# Terraform's plan actions (internal/plans/action.go, as the JSON spells them). Anything
# else is refused: an action is printed in findings, so it must be one of these words.
Action = Literal["no-op", "create", "read", "update", "delete", "forget"]


# A resource's mode: a data source (`data.aws_ecs_task_definition.x`) is never the resource.
Mode = Literal["managed", "data"]


class _RawChange(_Raw):
    actions: tuple[Action, ...]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    after_unknown: dict[str, Any] | bool | None = None


class _RawResourceChange(_Raw):
    address: str
    type: str
    mode: Mode | None = None
    # A deposed object (create_before_destroy): a second entry at the address, its delete.
    deposed: str | None = None
    previous_address: str | None = None
    change: _RawChange

    @model_validator(mode="before")
    @classmethod
    def _address_of_terraform_1_0(cls, data: Any) -> Any:
        """Terraform 1.0.x writes resource_drift without `address`; its parts are there.
        When they are not all there either, `address` stays missing and is refused."""
        if isinstance(data, dict) and "address" not in data:
            address = derived_address(data)
            if address is not None:
                return {**data, "address": address}
        return data


def derived_address(entry: dict[str, Any]) -> str | None:
    """An address from module_address, mode, type, name and index, as Terraform writes it
    (`module.a["x"].data.aws_iam_role.r[0]`); None when a part is missing or of a wrong type."""
    kind, name, mode = entry.get("type"), entry.get("name"), entry.get("mode", "managed")
    module, index = entry.get("module_address"), entry.get("index")
    if not (isinstance(kind, str) and kind and isinstance(name, str) and name):
        return None
    if mode not in ("managed", "data") or not isinstance(module, str | None):
        return None
    if index is None:
        key = ""
    elif isinstance(index, int) and not isinstance(index, bool):
        key = f"[{index}]"
    elif isinstance(index, str):
        key = f"[{json.dumps(index, ensure_ascii=False)}]"
    else:
        return None
    resource = f"{'data.' if mode == 'data' else ''}{kind}.{name}{key}"
    return f"{module}.{resource}" if module else resource


class _RawDeferredChange(_Raw):
    # Terraform's reason codes (resource_config_unknown, deferred_prereq, ...): printed, so
    # only a code's shape is accepted, never free text that could be a value.
    reason: str = Field(pattern=r"^[a-z][a-z_]{0,63}$")
    resource_change: _RawResourceChange


class _RawOutputChange(_Raw):
    actions: tuple[Action, ...]


class _RawResource(_Raw):
    address: str
    type: str
    mode: Mode | None = None
    # Left out only when the resource's planned value is null (a `forget`): Terraform leaves
    # out unknown values one by one, never `values` itself, and never writes null here
    # (omitempty), so a null is refused. Which values are unknown, after_unknown says.
    values: dict[str, Any] = Field(default_factory=dict)


class _RawModule(_Raw):
    # None: a resource of a type drift-gate does not read (left out before validation).
    resources: tuple[_RawResource | None, ...] = ()
    child_modules: tuple[_RawModule, ...] = ()


class _RawPlannedValues(_Raw):
    root_module: _RawModule | None = None


class _RawExpression(_Raw):
    constant_value: Any = None
    references: tuple[str, ...] = ()


class _RawConfigResource(_Raw):
    type: str
    name: str
    mode: Mode | None = None
    expressions: dict[str, Any] = Field(default_factory=dict)


class _RawModuleCall(_Raw):
    source: str = ""
    module: _RawModuleConfig | None = None


class _RawModuleConfig(_Raw):
    resources: tuple[_RawConfigResource, ...] = ()
    module_calls: dict[str, _RawModuleCall] = Field(default_factory=dict)


class _RawProvider(_Raw):
    name: str | None = None
    expressions: dict[str, Any] | None = None


class _RawConfiguration(_Raw):
    provider_config: dict[str, _RawProvider] = Field(default_factory=dict)
    root_module: _RawModuleConfig | None = None


class _RawPlan(_Raw):
    format_version: str
    terraform_version: str | None = None
    planned_values: _RawPlannedValues | None = None
    resource_changes: tuple[_RawResourceChange, ...] | None = None
    resource_drift: tuple[_RawResourceChange, ...] | None = None
    deferred_changes: tuple[_RawDeferredChange, ...] | None = None
    output_changes: dict[str, _RawOutputChange] | None = None
    configuration: _RawConfiguration | None = None
    errored: bool = False
    complete: bool = True


class _TaskDefinitionValues(_Raw):
    family: str | None = None
    container_definitions: str | None = None
    execution_role_arn: str | None = None


class _ServiceValues(_Raw):
    name: str | None = None
    cluster: str | None = None
    task_definition: str | None = None


class _ContainerList(_Raw):
    containers: tuple[ContainerDefinition, ...]


def managed(mode: str | None, address: str) -> bool:
    """A managed resource: by its mode, or, without one, by its address (not `data.`)."""
    return mode == "managed" or (mode is None and not is_data_address(address))


def refuse(source: str, problem: str) -> NoReturn:
    # `from None`: called while handling a ValidationError, whose text quotes the input; a
    # --debug traceback would print it as the context.
    raise InvalidInputError(f"{source}: not a plan drift-gate can read: {problem}") from None
