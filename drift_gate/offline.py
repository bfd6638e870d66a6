"""`drift-gate check --offline`: the policy and .env.example against the Terraform sources.

For a pre-push hook: no AWS client is created, terraform is not run, boto3 is not even
imported. Every name a service's container must receive (the policy's secrets and
variables, and every name in the dotenv files the policy names) must be declared in the
Terraform task definition of that service, as a secret where the policy, or a credential-
like name, says it is one. What cannot be read statically is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from drift_gate.checks.credentials import token_in_plain_variable
from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.variables import pinned_source_mismatch
from drift_gate.credentials import looks_like_credential_name
from drift_gate.locations import shown
from drift_gate.model import CheckedService, FailOn, Finding, Report, Target
from drift_gate.outcome import ServiceResult, build_report, utc_now
from drift_gate.policy import (
    ContainerPolicy,
    EnvironmentPolicy,
    Policy,
    ServicePolicy,
    select_environments,
)
from drift_gate.sources.dotenv import required_names
from drift_gate.sources.hcl import (
    DeclaredContainer,
    DeclaredName,
    DeclaredService,
    DeclaredTaskDefinition,
    TerraformDeclarations,
    Unresolved,
    load_declarations,
)


@dataclass(frozen=True)
class Requirement:
    """A name one container must receive, and everything that requires it."""

    name: str
    as_secret: bool
    required_by: tuple[str, ...]  # file:line of each requirement
    value_from: str | None = None


def requirements(container: ContainerPolicy) -> list[Requirement]:
    """The policy's names, then each dotenv file's; a name required twice is one requirement."""
    found: dict[str, Requirement] = {}

    def add(name: str, as_secret: bool, where: str | None, value_from: str | None = None) -> None:
        known = found.get(name)
        sources = (known.required_by if known else ()) + ((where,) if where else ())
        found[name] = Requirement(
            name,
            as_secret or (known.as_secret if known else False),
            sources,
            value_from or (known.value_from if known else None),
        )

    for secret in container.secrets:
        add(secret.name, True, secret.where, secret.value_from)
    for variable in container.environment:
        add(variable.name, False, variable.where)
    for dotenv in container.dotenv:
        for required in required_names(dotenv):
            add(
                required.name,
                looks_like_credential_name(required.name),
                shown(required.file, required.line),
            )
    return list(found.values())


def run_offline(
    policy: Policy,
    terraform_dir: Path,
    environment: str | None,
    fail_on: FailOn,
    clock: Callable[[], datetime] = utc_now,
) -> Report:
    """Check the policy (and its dotenv files) against the Terraform sources under terraform_dir."""
    started = clock()
    declarations = load_declarations(terraform_dir)
    results = [
        _check_service(env, service, declarations)
        for env in select_environments(policy, environment)
        for service in env.services
    ]
    report = build_report(results, fail_on, started, clock(), policy.source, {}, str(terraform_dir))
    return report.model_copy(update={"offline": True})


def _check_service(
    environment: EnvironmentPolicy, service: ServicePolicy, declarations: TerraformDeclarations
) -> ServiceResult:
    target = Target(
        environment=environment.name,
        region=environment.region,
        cluster=service.cluster,
        service=service.service,
    )
    context = ServiceContext(target)
    checked = CheckedService(
        environment=environment.name,
        region=environment.region,
        cluster=service.cluster,
        service=service.service,
        verified=True,
        containers=tuple(c.name for c in service.containers),
    )
    declared = _find_service(service, declarations.services)
    if declared is None and declarations.unresolved_modules:
        # It may be declared in a module that was not read: could not verify, not absent.
        first = declarations.unresolved_modules[0]
        message = (
            f"no aws_ecs_service named {service.service} among the sources read; "
            f"{len(declarations.unresolved_modules)} module call(s) could not be read, "
            f"first {first.reason}"
        )
        finding = context.finding("DG903", message, where=shown(first.file, first.line))
        return ServiceResult(checked.model_copy(update={"verified": False}), (finding,))
    if declared is None:
        message = f"no aws_ecs_service named {service.service} in the Terraform sources"
        return ServiceResult(checked, (context.finding("DG605", message, where=service.where),))
    task_definition = next(
        (
            td
            for td in declarations.task_definitions
            if td.address == declared.task_definition_address
        ),
        None,
    )
    findings = list(_task_definition_findings(context, service, declared, task_definition))
    unverified = any(f.is_unverified for f in findings)
    kept = tuple(f for f in findings if f.rule_id not in service.ignore)
    return ServiceResult(checked.model_copy(update={"verified": not unverified}), kept)


def _find_service(
    service: ServicePolicy, services: list[DeclaredService]
) -> DeclaredService | None:
    cluster = service.cluster.rsplit("/", 1)[-1]
    matching = [s for s in services if s.name == service.service and s.cluster in (None, cluster)]
    return matching[0] if matching else None


def _task_definition_findings(
    context: ServiceContext,
    service: ServicePolicy,
    declared: DeclaredService,
    task_definition: DeclaredTaskDefinition | None,
) -> Iterator[Finding]:
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
        yield from _container_findings(context, container, found, task_definition)


def _container_findings(
    context: ServiceContext,
    container: ContainerPolicy,
    declared: DeclaredContainer,
    task_definition: DeclaredTaskDefinition,
) -> Iterator[Finding]:
    secrets = {name.name: name for name in declared.secrets}
    plain = {name.name: name for name in declared.environment}
    required = requirements(container)
    at = shown(task_definition.file, task_definition.line)
    for requirement in required:
        yield from _requirement(
            context,
            container.name,
            requirement,
            secrets,
            plain,
            declared,
            task_definition.address,
            at,
        )
    required_names = {r.name for r in required}
    for name in [*declared.secrets, *declared.environment]:
        where = shown(name.file, name.line)
        if name.value_token_format:
            yield token_in_plain_variable(
                context,
                container.name,
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
                "DG603", message, container=container.name, variable=name.name, where=where
            )
    for unresolved in declared.unresolved:
        message = (
            f"an entry of container {container.name} cannot be read offline ({unresolved.reason})"
        )
        yield context.finding(
            "DG604",
            message,
            container=container.name,
            where=shown(unresolved.file, unresolved.line),
        )


def _requirement(
    context: ServiceContext,
    container: str,
    requirement: Requirement,
    secrets: dict[str, DeclaredName],
    plain: dict[str, DeclaredName],
    declared: DeclaredContainer,
    address: str,
    at: str,
) -> Iterator[Finding]:
    resource = f"{address} ({at})"
    name = requirement.name
    by = ", ".join(requirement.required_by) or "the policy"
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
        if requirement.as_secret:
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
