"""The declared side read from a Terraform plan, in the same shape as a policy's.

Each aws_ecs_service in planned_values becomes a declared service whose containers must
receive what its aws_ecs_task_definition declares, valueFrom included: the same rules then
apply as for a policy. What is known only after apply is reported (DG505), never guessed;
a service whose task definition is deferred or declared elsewhere is not checked (DG901).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drift_gate.addresses import split_address
from drift_gate.checks import planned_services as planned
from drift_gate.model import (
    TERRAFORM_ENVIRONMENT,
    Finding,
    Plan,
    PlannedService,
    PlannedTaskDefinition,
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
    plan: Plan,
    sources: TerraformSources | None,
    region: str,
    declared_elsewhere: Collection[tuple[str, str, str]] = (),
) -> DeclaredFromPlan:
    """Declared services from planned_values; a finding for each that cannot be checked.
    `declared_elsewhere`: (region, cluster, service) a policy declares, checked against it."""
    declared: list[ServicePolicy] = []
    findings: list[Finding] = []
    runs: dict[str, tuple[str, str]] = {}
    index = TaskDefinitionIndex(plan.task_definitions)
    deferred = frozenset(_resource_key(d.address) for d in plan.deferred)
    for service in plan.services:
        if _resource_key(service.address) in deferred:
            continue  # check_plan reports every deferred service change (DG901)
        side = _declared_side(service, index, deferred)
        if not isinstance(side, PlannedTaskDefinition):
            if side[0] == "DG901" and _runs_as(service, region) in declared_elsewhere:
                continue  # the policy says what its containers must receive: checked live
            where = sources.where_resource(service.address) if sources else None
            findings.append(planned.not_checked(service, side, region, where))
            continue
        cluster, name = cluster_name(str(service.cluster)), str(service.name)
        runs[side.address] = (cluster, name)
        declared.append(_service_policy(service, side, cluster, name, sources))
    environment = (
        EnvironmentPolicy(name=TERRAFORM_ENVIRONMENT, region=region, services=tuple(declared))
        if declared
        else None
    )
    return DeclaredFromPlan(environment, tuple(findings), runs)


def _runs_as(service: PlannedService, region: str) -> tuple[str, str, str]:
    return region, cluster_name(str(service.cluster)), str(service.name)


def cluster_name(cluster: str) -> str:
    """`arn:aws:ecs:R:A:cluster/NAME` -> NAME; a name stays a name."""
    return cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster


def _declared_side(
    service: PlannedService, index: TaskDefinitionIndex, deferred: frozenset[ResourceKey]
) -> PlannedTaskDefinition | planned.NotChecked:
    """The task definition that declares what the service's containers must receive, or why
    there is none to check against. Only what the plan leaves out is "known only after apply"
    (DG505); a task definition that is deferred, not in the plan, or not told apart from
    others cannot be verified (DG901): the service is never passed unchecked."""
    unfollowed = planned.reference_not_followed(service)
    if unfollowed is not None:
        return unfollowed
    if service.name is None or service.cluster is None:
        return planned.unknown_name(service)
    referenced = service.task_definition_address
    task_definition = index.of(service)
    for address in (referenced, task_definition.address if task_definition else None):
        if address and _resource_key(address) in deferred:
            return planned.deferred(service, address)
    if task_definition is None:
        return planned.not_in_plan(service, index.candidates(service))
    if task_definition.containers is None:
        return planned.unknown_containers(service, task_definition)
    return task_definition


# A resource without its instance keys: a deferred change's address may name every instance
# at once (`aws_ecs_task_definition.api[*]`, `module.x[*]...`).
ResourceKey = tuple[tuple[str, ...], str, str]


def _resource_key(address: str) -> ResourceKey:
    modules, kind, name, _ = split_address(address.replace("[*]", ""))
    return tuple(module for module, _ in modules), kind, name


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
        by_family = self._family(service)
        return by_family[0] if len(by_family) == 1 else None

    def candidates(self, service: PlannedService) -> int:
        """How many task definitions `of` could not choose between."""
        by_address = self._by_address.get(service.task_definition_address or "", [])
        return max(len(by_address), len(self._family(service)))

    def _family(self, service: PlannedService) -> list[PlannedTaskDefinition]:
        if not service.task_definition:
            return []
        family = service.task_definition.rsplit("/", 1)[-1].split(":")[0]
        return self._by_family.get(family, [])


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
