"""`drift-gate init`: a starting policy drafted from what a team already has.

Each source of services is one small function from its input to a list of `DraftService`:
the Terraform sources (`terraform_services`), a task-definition file
(`task_definition_services`), and a live account (`engine/policy_draft_live.py`). A draft
holds names and where each came from, never a value: the readers drop values where they
read them, and a draft has no field that could hold one. What a source cannot resolve is
kept as a note (shown as a comment), never as a name the policy would require.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from drift_gate.locations import shown
from drift_gate.model import ContainerVars

if TYPE_CHECKING:
    from drift_gate.sources.hcl import DeclaredService, TerraformContainer, TerraformName


# The policy schema's variableName: what a policy can declare.
VARIABLE_NAME = re.compile(r"[^=\s]{1,255}")


@dataclass(frozen=True)
class DraftName:
    """A name a container receives today, and where it is declared (file:line), if known."""

    name: str
    origin: str | None = None


@dataclass(frozen=True)
class DraftContainer:
    name: str
    secrets: tuple[DraftName, ...] = ()
    environment: tuple[DraftName, ...] = ()
    unresolved: tuple[str, ...] = ()  # notes: entries whose name cannot be known, "where: why"
    deploy_only: tuple[str, ...] = ()  # where each entry whose name only a deploy knows is

    @property
    def left_out(self) -> str | None:
        """Why the container is not drafted: no name of it read, an entry unresolved (an
        entry with no names would pass whatever it receives); None: it is drafted."""
        if self.secrets or self.environment or not self.deploy_only:
            return None
        where = ", ".join(self.deploy_only)
        return (
            f"container {self.name}: not drafted: no name of it is known before deploy "
            f"({where}); an entry with no names would pass whatever it receives: declare "
            "what it must receive"
        )


@dataclass(frozen=True)
class DraftService:
    """A service as a source declares it. `containers` empty, or `service` None, means it
    cannot be drafted: it is written as a comment, with `notes` saying why."""

    service: str | None
    cluster: str | None
    origin: str  # file:line of the declaration, or the task definition's ARN
    containers: tuple[DraftContainer, ...] = ()
    notes: tuple[str, ...] = ()
    region: str | None = None
    account: str | None = None
    guessed_service: bool = False  # the name is a stand-in (a file's name), to be checked
    check_as: str | None = None  # what `check --offline ... --service` names it, if needed

    @property
    def draftable(self) -> bool:
        drafted = [c for c in self.containers if c.left_out is None]
        return self.service is not None and bool(drafted)

    @property
    def why_notes(self) -> tuple[str, ...]:
        """The notes, and why each container left out is."""
        return (*self.notes, *(why for c in self.containers if (why := c.left_out)))


@dataclass(frozen=True)
class DraftEnvironment:
    """The services of one source, as one policy environment."""

    name: str
    source: str  # what they were drafted from, in words
    services: tuple[DraftService, ...]
    region: str | None = None
    account: str | None = None
    check: str | None = None  # `check --offline` arguments ("": a live check; None: none)

    @property
    def drafted(self) -> tuple[DraftService, ...]:
        return tuple(service for service in self.services if service.draftable)


@dataclass(frozen=True)
class Draft:
    """What the policy is drafted from: one environment per source, in order."""

    environments: tuple[DraftEnvironment, ...]

    @property
    def services(self) -> tuple[DraftService, ...]:
        return tuple(s for environment in self.environments for s in environment.services)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(environment.source for environment in self.environments)


def draft_container(
    name: str,
    secrets: Sequence[tuple[str, str | None]],
    environment: Sequence[tuple[str, str | None]],
    unresolved: Iterable[str] = (),
) -> DraftContainer:
    """A container's names (each with where it is declared), each once; a name given both as
    a secret and as a plain variable is drafted as a secret, and said."""
    secret_names = _first_of_each(secrets)
    plain = _first_of_each(environment)
    both = sorted(name for name in plain if name in secret_names)
    notes = [f"{name} is both a secret and a plain variable: drafted as a secret" for name in both]
    refused = sorted(n for n in (*secret_names, *plain) if not VARIABLE_NAME.fullmatch(n))
    notes += [f"{n}: not a name a policy can declare (white space or '=')" for n in refused]
    deploy = tuple(unresolved)
    return DraftContainer(
        name,
        tuple(DraftName(n, at) for n, at in secret_names.items() if n not in refused),
        tuple(
            DraftName(n, at)
            for n, at in plain.items()
            if n not in secret_names and n not in refused
        ),
        (*deploy, *notes),
        tuple(note.split(": ", 1)[0] for note in deploy),
    )


def _first_of_each(names: Sequence[tuple[str, str | None]]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name, at in names:
        found.setdefault(name, at)
    return found


def container_draft(names: ContainerVars, origin: str | None) -> DraftContainer:
    """A container as ECS or a task-definition file has it: its names, in their order."""
    return draft_container(
        names.name,
        [(s.name, origin) for s in names.secrets],
        [(v.name, with_token(origin, v.value_token_format)) for v in names.environment],
    )


def with_token(origin: str | None, token_format: str | None) -> str | None:
    """A plain value in a credential's format: said (never the value), as check reports it."""
    if token_format is None:
        return origin
    said = f"its value is in {token_format} format (not shown): check reports it (DG106)"
    return f"{origin}; {said}" if origin else said


def task_definition_services(path: Path) -> list[DraftService]:
    """One service from a task-definition file: the file names none, so its name is the
    file's, marked as a stand-in; the cluster is unknown. A name (or a container's name)
    that is still a template placeholder (`${VAR}`, `{{ ... }}`) is a note, never required."""
    from drift_gate.sources.task_definition_file import is_placeholder, read_task_definition_file

    file = read_task_definition_file(path)
    containers = []
    notes = []
    for found in file.containers:
        at = file.location(found)
        if is_placeholder(found.names.name):
            notes.append(f"a container whose name is a template placeholder ({at}): not drafted")
            continue
        drafted = container_draft(found.names, at)
        placeholders = [n.name for n in (*drafted.secrets, *drafted.environment)]
        placeholders = [name for name in placeholders if is_placeholder(name)]
        containers.append(
            replace(
                drafted,
                secrets=tuple(n for n in drafted.secrets if n.name not in placeholders),
                environment=tuple(n for n in drafted.environment if n.name not in placeholders),
                unresolved=(
                    *drafted.unresolved,
                    *(f"{at}: a name that is a template placeholder" for _ in placeholders),
                ),
            )
        )
    stem = path.stem or path.name
    origin = f"{file.source} ({file.shape})"
    return [
        DraftService(
            stem, None, origin, tuple(containers), tuple(notes), guessed_service=True, check_as=stem
        )
    ]


def terraform_services(directory: Path) -> list[DraftService]:
    """Every aws_ecs_service of the Terraform sources under `directory` (local modules
    included), with the containers of its task definition; what is not known statically
    (a name, a whole container_definitions, a module not read) is a note."""
    from drift_gate.sources.hcl import load_declarations

    declarations = load_declarations(directory)
    by_address = {td.address: td for td in declarations.task_definitions}
    regions = set(declarations.provider_regions)
    region = regions.pop() if len(regions) == 1 else None
    drafted: list[DraftService] = []
    served: set[str] = set()
    for declared in declarations.services:
        origin = f"{declared.address} at {shown(declared.file, declared.line)}"
        cluster, notes = _terraform_cluster(declared, declarations.clusters)
        task_definition = by_address.get(declared.task_definition_address or "")
        if declared.name is None:
            notes.append("its name is not known statically")
        if task_definition is None:
            notes.append("its task definition is not an aws_ecs_task_definition of the sources")
            drafted.append(DraftService(declared.name, cluster, origin, (), tuple(notes)))
            continue
        served.add(task_definition.address)
        where = f"{task_definition.address} at {shown(task_definition.file, task_definition.line)}"
        if task_definition.unresolved is not None:
            u = task_definition.unresolved
            notes.append(
                f"{where}: its containers cannot be read offline: {u.reason} "
                f"({shown(u.file, u.line)})"
            )
            drafted.append(DraftService(declared.name, cluster, origin, (), tuple(notes)))
            continue
        containers = tuple(_terraform_container(c) for c in task_definition.containers)
        if not containers:
            notes.append(f"{where}: no container with a name that is known statically")
        notes.append(f"task definition {where}")
        drafted.append(
            DraftService(declared.name, cluster, origin, containers, tuple(notes), region=region)
        )
    for td in declarations.task_definitions:
        if td.address not in served:
            origin = f"{td.address} at {shown(td.file, td.line)}"
            note = "no aws_ecs_service of the sources runs it (a policy entry is a service)"
            drafted.append(DraftService(None, None, origin, (), (note,)))
    for module in declarations.unresolved_modules:
        where = shown(module.file, module.line)
        note = f"a module not read ({module.reason}): its services, if any, are not drafted"
        drafted.append(DraftService(None, None, where, (), (note,)))
    return drafted


def _terraform_cluster(
    declared: DeclaredService, clusters: dict[str, str]
) -> tuple[str | None, list[str]]:
    """The service's cluster: its `cluster` when known, else the `name` of the
    aws_ecs_cluster it refers to (said in a note)."""
    if declared.cluster is not None or declared.cluster_address not in clusters:
        return declared.cluster, []
    address = declared.cluster_address
    return clusters[address], [f"cluster: the name of {address}"]


def _terraform_container(container: TerraformContainer) -> DraftContainer:
    return draft_container(
        container.name,
        _places(container.secrets),
        _places(container.environment),
        (f"{shown(u.file, u.line)}: {u.reason}" for u in container.unresolved),
    )


def _places(names: Sequence[TerraformName]) -> list[tuple[str, str | None]]:
    return [(n.name, with_token(shown(n.file, n.line), n.value_token_format)) for n in names]
