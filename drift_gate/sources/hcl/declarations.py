"""What the Terraform sources declare for ECS: task definitions, containers, services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from drift_gate.sources.hcl.values import Unresolved


@dataclass(frozen=True)
class TerraformName:
    """A secret or plain variable Terraform gives a container, with its valueFrom when known."""

    name: str
    file: Path
    line: int
    value_from: str | None = None
    value_from_unresolved: Unresolved | None = None
    value_token_format: str | None = None  # a plain value in a known token format; never the value


@dataclass(frozen=True)
class TerraformContainer:
    name: str
    secrets: tuple[TerraformName, ...]
    environment: tuple[TerraformName, ...]
    unresolved: tuple[Unresolved, ...]  # entries whose name could not be known


@dataclass(frozen=True)
class DeclaredTaskDefinition:
    address: str
    family: str | None
    file: Path
    line: int
    containers: tuple[TerraformContainer, ...]
    unresolved: Unresolved | None = None  # container_definitions as a whole


@dataclass(frozen=True)
class DeclaredService:
    address: str
    name: str | None
    cluster: str | None
    task_definition_address: str | None
    file: Path
    line: int
    # `aws_ecs_cluster.main` when `cluster` refers to one (its name is in `clusters`)
    cluster_address: str | None = None


@dataclass
class TerraformDeclarations:
    task_definitions: list[DeclaredTaskDefinition] = field(default_factory=list)
    services: list[DeclaredService] = field(default_factory=list)
    # Module calls whose resources were not read (not on disk, a cycle, past a bound): a
    # service not found elsewhere may be in one, so it is "could not verify", not "absent".
    unresolved_modules: list[Unresolved] = field(default_factory=list)
    # aws_ecs_cluster address -> its name, when known statically (`init` names the cluster of
    # a service declared `cluster = aws_ecs_cluster.main.id`)
    clusters: dict[str, str] = field(default_factory=dict)
    # the root module's aws provider regions known statically (one per provider block)
    provider_regions: list[str] = field(default_factory=list)
