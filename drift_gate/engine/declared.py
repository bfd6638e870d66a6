"""The declared side read from a Terraform plan, in the same shape as a policy's.

Each aws_ecs_service in planned_values becomes a declared service whose containers must
receive what its aws_ecs_task_definition declares, valueFrom included: the same rules then
apply as for a policy. What is known only after apply is reported (DG505), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from drift_gate.addresses import split_address
from drift_gate.checks.findings import ServiceContext
from drift_gate.model import (
    TERRAFORM_ENVIRONMENT,
    Finding,
    Plan,
    PlannedService,
    PlannedTaskDefinition,
    Target,
)
from drift_gate.policy import (
    ContainerPolicy,
    DeclaredSecret,
    DeclaredVariable,
    EnvironmentPolicy,
    ServicePolicy,
)

if TYPE_CHECKING:  # the HCL reader is imported only by runs that read Terraform sources
    from drift_gate.sources.tf_sources import TerraformSources


@dataclass(frozen=True)
class DeclaredFromPlan:
    environment: EnvironmentPolicy | None
    findings: tuple[Finding, ...]
    # task definition address -> (cluster, service) of the service that runs it
    services_by_task_definition: dict[str, tuple[str, str]]


def services_from_plan(
    plan: Plan, sources: TerraformSources | None, region: str
) -> DeclaredFromPlan:
    """Declared services from planned_values; DG505 for those that cannot be known yet."""
    declared: list[ServicePolicy] = []
    findings: list[Finding] = []
    runs: dict[str, tuple[str, str]] = {}
    index = TaskDefinitionIndex(plan.task_definitions)
    for service in plan.services:
        task_definition = index.of(service)
        problem = _unknown(service, task_definition)
        if problem or task_definition is None or task_definition.containers is None:
            target = Target(
                environment=TERRAFORM_ENVIRONMENT, region=region, resource=service.address
            )
            where = sources.where_resource(service.address) if sources else None
            findings.append(ServiceContext(target).finding("DG505", problem, where=where))
            continue
        cluster, name = cluster_name(str(service.cluster)), str(service.name)
        runs[task_definition.address] = (cluster, name)
        declared.append(_service_policy(service, task_definition, cluster, name, sources))
    environment = (
        EnvironmentPolicy(name=TERRAFORM_ENVIRONMENT, region=region, services=tuple(declared))
        if declared
        else None
    )
    return DeclaredFromPlan(environment, tuple(findings), runs)


def cluster_name(cluster: str) -> str:
    """`arn:aws:ecs:R:A:cluster/NAME` -> NAME; a name stays a name."""
    return cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster


def _unknown(service: PlannedService, task_definition: PlannedTaskDefinition | None) -> str:
    if service.name is None or service.cluster is None:
        return f"{service.address}: the service's name or cluster is known only after apply"
    if task_definition is None:
        return (
            f"{service.address}: which task definition the service runs is known only after apply"
        )
    if task_definition.containers is None:
        return (
            f"{task_definition.address}: container_definitions is known only after apply, so what "
            f"service {service.name} must run cannot be said yet"
        )
    return ""


class TaskDefinitionIndex:
    """The plan's task definitions by address (without their own count/for_each key) and by
    family, built once: a plan of thousands of services is then read in linear time."""

    def __init__(self, task_definitions: tuple[PlannedTaskDefinition, ...]) -> None:
        self._by_address: dict[str, list[PlannedTaskDefinition]] = {}
        self._by_family: dict[str | None, list[PlannedTaskDefinition]] = {}
        for td in task_definitions:
            self._by_address.setdefault(_without_own_index(td.address), []).append(td)
            self._by_family.setdefault(td.family, []).append(td)

    def of(self, service: PlannedService) -> PlannedTaskDefinition | None:
        """By the resource the service's expression refers to; else by family from its value."""
        if service.task_definition_address:
            candidates = self._by_address.get(service.task_definition_address, [])
            if len(candidates) == 1:
                return candidates[0]
            own_index = split_address(service.address)[3]
            matching = [td for td in candidates if split_address(td.address)[3] == own_index]
            if len(matching) == 1:
                return matching[0]
        if service.task_definition:
            family = service.task_definition.rsplit("/", 1)[-1].split(":")[0]
            by_family = self._by_family.get(family, [])
            if len(by_family) == 1:
                return by_family[0]
        return None


def _without_own_index(address: str) -> str:
    _, _, _, index = split_address(address)
    return address[: -len(index)] if index else address


def _service_policy(
    service: PlannedService,
    task_definition: PlannedTaskDefinition,
    cluster: str,
    name: str,
    sources: TerraformSources | None,
) -> ServicePolicy:
    def where(variable: str) -> str | None:
        return sources.where_name(task_definition.address, variable) if sources else None

    containers = tuple(
        ContainerPolicy(
            name=container.name,
            secrets=tuple(
                DeclaredSecret(name=s.name, value_from=s.value_from or None, where=where(s.name))
                for s in container.secrets
            ),
            environment=tuple(
                DeclaredVariable(name=v.name, where=where(v.name)) for v in container.environment
            ),
        )
        for container in task_definition.containers or ()
    )
    return ServicePolicy(
        cluster=cluster,
        service=name,
        containers=containers,
        where=sources.where_resource(service.address) if sources else None,
    )
