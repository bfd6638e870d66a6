"""The Terraform plan, reduced to what drift-gate checks: names and references, never values."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_gate.model.base import Frozen
from drift_gate.model.live import ContainerVars

# The environment name of everything declared by Terraform rather than by a policy.
TERRAFORM_ENVIRONMENT = "terraform"


# Plan actions that change nothing: anything else in a resource change is pending.
UNCHANGED_ACTIONS = frozenset({"no-op", "read"})


class ResourceChange(Frozen):
    """A resource_changes (or resource_drift) entry; containers only for task definitions."""

    address: str
    type: str
    actions: tuple[str, ...]
    previous_address: str | None = None
    before_containers: tuple[ContainerVars, ...] | None = None
    after_containers: tuple[ContainerVars, ...] | None = None
    after_unknown: bool = Field(
        default=False, description="container_definitions known only after apply"
    )

    @property
    def is_pending(self) -> bool:
        """An action other than no-op and read: declared, not applied."""
        return bool(set(self.actions) - UNCHANGED_ACTIONS)

    @property
    def is_move(self) -> bool:
        return self.previous_address is not None and self.previous_address != self.address


class DeferredChange(Frozen):
    """A deferred_changes entry (plan format 1.2+): a change Terraform has not worked out
    yet, so the plan does not say what it would do."""

    address: str
    type: str
    reason: str = Field(description="Terraform's reason code, e.g. resource_config_unknown")


class OutputChange(Frozen):
    name: str
    actions: tuple[str, ...]


class PlannedTaskDefinition(Frozen):
    """An aws_ecs_task_definition in planned_values: what Terraform declares."""

    address: str
    family: str | None
    containers: tuple[ContainerVars, ...] | None = Field(
        description="None when known only after apply"
    )
    # "unset": execution_role_arn is null in the plan; "unknown": known after apply (the
    # plan omits unknown values) or not in the plan at all.
    execution_role: Literal["set", "unset", "unknown"] = "unknown"


class PlannedService(Frozen):
    """An aws_ecs_service in planned_values, and the task definition resource it refers to."""

    address: str
    name: str | None
    cluster: str | None
    task_definition: str | None
    # The one task definition resource the service's expression refers to, when it refers
    # to exactly one and to no data source.
    task_definition_address: str | None = None
    # Every task definition its expression refers to: resources and data sources (`data.`).
    task_definition_references: tuple[str, ...] = ()


class Plan(Frozen):
    """A `terraform show -json` plan: names and references only, never values."""

    format_version: str
    terraform_version: str | None = None
    resource_changes: tuple[ResourceChange, ...] = ()
    resource_drift: tuple[ResourceChange, ...] = ()
    output_changes: tuple[OutputChange, ...] = ()
    task_definitions: tuple[PlannedTaskDefinition, ...] = ()
    services: tuple[PlannedService, ...] = ()
    region: str | None = None
    errored: bool = False
    complete: bool = True
    deferred: tuple[DeferredChange, ...] = ()
    module_sources: dict[str, str] = Field(
        default_factory=dict, description="module path (no instance keys) -> source as written"
    )

    @property
    def has_changes(self) -> bool:
        """What -detailed-exitcode 2 should mean: pending resources, moves or output changes."""
        return any(change.is_pending or change.is_move for change in self.resource_changes) or any(
            set(output.actions) - {"no-op"} for output in self.output_changes
        )
