"""DG601-DG606 and DG903: what the Terraform sources declare for a service's containers
against what the policy and its dotenv files require, offline.

The comparison is the live check's own (`checks/variables.check_container`): a container of
the sources is a candidate like the running one, reported under the DG6xx ids that
`TERRAFORM_RULES` maps. What is particular to the sources is here: a task definition or an
entry that cannot be read statically (DG604, DG903), and values committed in clear (DG106).

Pure: engine/offline.py reads the declarations and the requirements and shapes them so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from drift_gate.checks.credentials import token_in_plain_variable
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.variables import TERRAFORM_RULES, Candidate, check_container, no_container
from drift_gate.model import ContainerVars, DeclaredContainer, Finding


@dataclass(frozen=True)
class Unreadable:
    """Something of the sources only Terraform can know: why, and its file:line."""

    reason: str
    where: str


@dataclass(frozen=True)
class SourceContainer:
    """A container as the sources declare it: its names in the candidate's shape, where each
    is written, the entries whose name cannot be read, the names given a clear credential."""

    names: ContainerVars
    secret_at: Mapping[str, str] = field(default_factory=dict)  # file:line of each entry
    plain_at: Mapping[str, str] = field(default_factory=dict)
    unreadable: tuple[Unreadable, ...] = ()
    committed_tokens: tuple[tuple[str, str, str], ...] = ()  # (name, credential format, where)


@dataclass(frozen=True)
class SourceTaskDefinition:
    """A task definition resource of the sources; `unreadable` when container_definitions
    as a whole cannot be read statically."""

    address: str
    at: str
    containers: Mapping[str, SourceContainer] = field(default_factory=dict)
    unreadable: Unreadable | None = None


@dataclass(frozen=True)
class SourceService:
    """The aws_ecs_service a policy service was found as, and where."""

    name: str
    address: str
    at: str


def check_task_definition(
    context: ServiceContext,
    service: SourceService,
    task_definition: SourceTaskDefinition | None,
    required: Mapping[str, DeclaredContainer],
) -> Iterator[Finding]:
    """What the sources declare for one service's containers against what they require
    (`required`, by container name: the policy's names and its dotenv files')."""
    if task_definition is None or task_definition.unreadable is not None:
        yield from _unreadable_task_definition(context, service, task_definition)
        return
    for name, requirement in required.items():
        found = task_definition.containers.get(name)
        if found is None:
            yield no_container(
                context, name, task_definition.address, task_definition.at, rules=TERRAFORM_RULES
            )
            continue
        yield from _container_findings(context, requirement, found, task_definition)


def _unreadable_task_definition(
    context: ServiceContext, service: SourceService, task_definition: SourceTaskDefinition | None
) -> Iterator[Finding]:
    what = task_definition.unreadable if task_definition else None
    where = what.where if what else service.at
    reason = what.reason if what else "the task_definition expression"
    yield context.finding(
        "DG604",
        f"{service.address}: its task definition's containers cannot be read offline ({reason})",
        where=where,
    )
    yield context.finding(
        "DG903",
        f"{service.name}: no required name can be checked offline ({reason})",
        where=where,
    )


def _container_findings(
    context: ServiceContext,
    required: DeclaredContainer,
    declared: SourceContainer,
    task_definition: SourceTaskDefinition,
) -> Iterator[Finding]:
    address = task_definition.address
    candidate = Candidate(
        words=f"{address} ({task_definition.at})",
        at=task_definition.at,
        rules=TERRAFORM_RULES,
        place=f"in Terraform ({address})",
        secret_at=declared.secret_at,
        plain_at=declared.plain_at,
        unreadable=declared.unreadable[0].where if declared.unreadable else None,
        undeclared_words="which neither the policy nor a dotenv file requires",
    )
    yield from check_container(context, required, declared.names, candidate=candidate)
    container = required.name
    for name, token_format, where in declared.committed_tokens:
        yield token_in_plain_variable(
            context, container, name, token_format, source=f"in Terraform ({address})", where=where
        )
    for unreadable in declared.unreadable:
        message = f"an entry of container {container} cannot be read offline ({unreadable.reason})"
        yield context.finding("DG604", message, container=container, where=unreadable.where)


def service_not_found(
    context: ServiceContext, service: str, where: str | None, unread_modules: Sequence[Unreadable]
) -> Finding:
    """DG605: no aws_ecs_service of that name in the sources; DG903 when a module call could
    not be read, since it may be declared there: could not verify, not absent."""
    if unread_modules:
        first = unread_modules[0]
        message = (
            f"no aws_ecs_service named {service} among the sources read; "
            f"{len(unread_modules)} module call(s) could not be read, first {first.reason}"
        )
        return context.finding("DG903", message, where=first.where)
    message = f"no aws_ecs_service named {service} in the Terraform sources"
    return context.finding("DG605", message, where=where)
