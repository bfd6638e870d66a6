"""DG601-DG606 and DG903 (DG104, DG106 through their shared functions): what the Terraform
sources declare for a service's containers against what they require, offline.

Pure: drift_gate/offline.py reads the declarations and the requirements (policy, dotenv).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from drift_gate.checks.credentials import token_in_plain_variable
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.variables import pinned_source_mismatch
from drift_gate.locations import shown
from drift_gate.model import DeclaredContainer, DeclaredName, Finding
from drift_gate.policy import ServicePolicy
from drift_gate.sources.hcl import (
    DeclaredService,
    DeclaredTaskDefinition,
    TerraformContainer,
    TerraformName,
    Unresolved,
)


def check_task_definition(
    context: ServiceContext,
    service: ServicePolicy,
    declared: DeclaredService,
    task_definition: DeclaredTaskDefinition | None,
    required: Mapping[str, DeclaredContainer],
) -> Iterator[Finding]:
    """What the sources declare for one service's containers against what they require
    (`required`, by container name: the policy's names and its dotenv files')."""
    if task_definition is None or task_definition.unresolved is not None:
        what = task_definition.unresolved if task_definition else None
        where = shown(what.file, what.line) if what else shown(declared.file, declared.line)
        reason = what.reason if what else "the task_definition expression"
        yield context.finding(
            "DG604",
            f"{declared.address}: its task definition's containers cannot be read offline "
            f"({reason})",
            where=where,
        )
        yield context.finding(
            "DG903",
            f"{service.service}: no required name can be checked offline ({reason})",
            where=where,
        )
        return
    for container in service.containers:
        found = next((c for c in task_definition.containers if c.name == container.name), None)
        if found is None:
            message = f"{task_definition.address} has no container {container.name}"
            where = shown(task_definition.file, task_definition.line)
            yield context.finding("DG606", message, container=container.name, where=where)
            continue
        yield from _container_findings(
            context, container.name, required[container.name], found, task_definition
        )


def _container_findings(
    context: ServiceContext,
    container: str,
    required: DeclaredContainer,
    declared: TerraformContainer,
    task_definition: DeclaredTaskDefinition,
) -> Iterator[Finding]:
    secrets = {name.name: name for name in declared.secrets}
    plain = {name.name: name for name in declared.environment}
    at = shown(task_definition.file, task_definition.line)
    for requirement in required.names:
        yield from _requirement(
            context,
            container,
            requirement,
            secrets,
            plain,
            declared,
            task_definition.address,
            at,
        )
    required_names = required.declared_names
    for name in [*declared.secrets, *declared.environment]:
        where = shown(name.file, name.line)
        if name.value_token_format:
            yield token_in_plain_variable(
                context,
                container,
                name.name,
                name.value_token_format,
                source=f"in Terraform ({task_definition.address})",
                where=where,
            )
        if name.name not in required_names:
            message = (
                f"{name.name} is declared in {task_definition.address} but neither the policy "
                "nor a dotenv file requires it"
            )
            yield context.finding(
                "DG603", message, container=container, variable=name.name, where=where
            )
    for unresolved in declared.unresolved:
        message = f"an entry of container {container} cannot be read offline ({unresolved.reason})"
        yield context.finding(
            "DG604",
            message,
            container=container,
            where=shown(unresolved.file, unresolved.line),
        )


def _requirement(
    context: ServiceContext,
    container: str,
    requirement: DeclaredName,
    secrets: dict[str, TerraformName],
    plain: dict[str, TerraformName],
    declared: TerraformContainer,
    address: str,
    at: str,
) -> Iterator[Finding]:
    resource = f"{address} ({at})"
    name = requirement.name
    by = ", ".join(requirement.where) or "the policy"
    common = {"container": container, "variable": name}
    if name in secrets:
        mismatch = pinned_source_mismatch(
            context,
            container,
            name,
            actual=secrets[name].value_from,
            pinned=requirement.value_from,
            source=f"in Terraform ({address})",
            where=shown(secrets[name].file, secrets[name].line),
        )
        if mismatch:
            yield mismatch
        return
    if name in plain:
        if requirement.secret:
            message = (
                f"{by} requires {name} as a secret, but {resource} declares it as a plain "
                f"environment variable of container {container}"
            )
            yield context.finding(
                "DG602", message, where=shown(plain[name].file, plain[name].line), **common
            )
        return
    if declared.unresolved:
        first: Unresolved = declared.unresolved[0]
        unreadable = shown(first.file, first.line)
        message = (
            f"{by} requires {name}; it is not among the names readable in {resource}, and "
            f"an entry at {unreadable} cannot be read offline"
        )
        yield context.finding("DG903", message, where=shown(first.file, first.line), **common)
        return
    message = f"{by} requires {name}, but {resource} does not declare it for container {container}"
    yield context.finding("DG601", message, where=at, **common)
