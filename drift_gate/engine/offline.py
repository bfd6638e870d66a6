"""`drift-gate check --offline`: the policy and .env.example against the Terraform sources.

For a pre-push hook: no AWS client is created, terraform is not run, boto3 is not even
imported. Every name a service's container must receive (the policy's secrets and
variables, and every name in the dotenv files the policy names) must be declared in the
Terraform task definition of that service, as a secret where the policy, or a credential-
like name, says it is one. What cannot be read statically is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.terraform_sources import (
    SourceContainer,
    SourceService,
    SourceTaskDefinition,
    Unreadable,
    check_task_definition,
    service_not_found,
)
from drift_gate.credentials import looks_like_credential_name
from drift_gate.engine.outcome import ServiceResult, apply_ignores, build_report, utc_now
from drift_gate.locations import shown
from drift_gate.model import (
    CheckedService,
    ContainerVars,
    DeclaredContainer,
    DeclaredName,
    FailOn,
    LiveEnvVar,
    LiveSecret,
    Report,
    Target,
)
from drift_gate.policy import (
    ContainerPolicy,
    EnvironmentPolicy,
    Policy,
    ServicePolicy,
    select_environments,
)
from drift_gate.references import UNRENDERED
from drift_gate.sources.dotenv import required_names
from drift_gate.sources.hcl import (
    DeclaredService,
    DeclaredTaskDefinition,
    TerraformContainer,
    TerraformDeclarations,
    TerraformName,
    Unresolved,
    load_declarations,
)


def requirements(container: ContainerPolicy) -> DeclaredContainer:
    """The policy's names, then each dotenv file's; a name required twice is one name."""
    declared = container.declared()
    for dotenv in container.dotenv:
        for required in required_names(dotenv):
            declared = declared.with_name(
                DeclaredName(
                    name=required.name,
                    secret=looks_like_credential_name(required.name),
                    where=(shown(required.file, required.line),),
                )
            )
    return declared


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
    from drift_gate.engine.waivers import apply_waivers

    waived = apply_waivers(results, policy, started.date())
    report = build_report(waived, fail_on, started, clock(), policy.source, {}, str(terraform_dir))
    return report.model_copy(update={"offline": True})


def declared_service(
    environment: EnvironmentPolicy, service: ServicePolicy
) -> tuple[Target, CheckedService]:
    """Where an offline finding about this policy service points, and its report entry."""
    target = Target(
        environment=environment.name,
        region=environment.region,
        cluster=service.cluster,
        service=service.service,
    )
    checked = CheckedService(
        environment=environment.name,
        region=environment.region,
        cluster=service.cluster,
        service=service.service,
        verified=True,
        containers=tuple(c.name for c in service.containers),
        declared_in=service.where,
    )
    return target, checked


def _check_service(
    environment: EnvironmentPolicy, service: ServicePolicy, declarations: TerraformDeclarations
) -> ServiceResult:
    target, checked = declared_service(environment, service)
    context = ServiceContext(target)
    declared = _find_service(service, declarations.services)
    if declared is None:
        unread = [_unreadable(module) for module in declarations.unresolved_modules]
        finding = service_not_found(context, service.service, service.where, unread)
        verified = not finding.is_unverified
        return ServiceResult(checked.model_copy(update={"verified": verified}), (finding,))
    task_definition = next(
        (
            td
            for td in declarations.task_definitions
            if td.address == declared.task_definition_address
        ),
        None,
    )
    required = {c.name: requirements(c) for c in service.containers}
    findings = list(
        check_task_definition(
            context,
            SourceService(service.service, declared.address, shown(declared.file, declared.line)),
            _candidate(task_definition) if task_definition else None,
            required,
        )
    )
    unverified = any(f.is_unverified for f in findings)
    kept = apply_ignores(findings, service.ignore)
    return ServiceResult(checked.model_copy(update={"verified": not unverified}), kept)


def _unreadable(unresolved: Unresolved) -> Unreadable:
    return Unreadable(unresolved.reason, shown(unresolved.file, unresolved.line))


def _candidate(task_definition: DeclaredTaskDefinition) -> SourceTaskDefinition:
    """A task definition of the sources in the shape every candidate has."""
    at = shown(task_definition.file, task_definition.line)
    if task_definition.unresolved is not None:
        return SourceTaskDefinition(
            task_definition.address, at, unreadable=_unreadable(task_definition.unresolved)
        )
    containers = {c.name: _container(c) for c in task_definition.containers}
    return SourceTaskDefinition(task_definition.address, at, containers)


def _container(container: TerraformContainer) -> SourceContainer:
    names = (*container.secrets, *container.environment)
    return SourceContainer(
        names=ContainerVars(
            name=container.name,
            secrets=tuple(
                LiveSecret(name=s.name, value_from=_reference(s)) for s in container.secrets
            ),
            environment=tuple(
                LiveEnvVar(name=v.name, value_token_format=v.value_token_format)
                for v in container.environment
            ),
        ),
        secret_at=_first_places(container.secrets),
        plain_at=_first_places(container.environment),
        unreadable=tuple(_unreadable(entry) for entry in container.unresolved),
        committed_tokens=tuple(
            (name.name, name.value_token_format, shown(name.file, name.line))
            for name in names
            if name.value_token_format
        ),
    )


def _first_places(names: tuple[TerraformName, ...]) -> dict[str, str]:
    """file:line of each name's first entry: where a finding about it points."""
    return {name.name: shown(name.file, name.line) for name in reversed(names)}


def _reference(secret: TerraformName) -> str:
    """A valueFrom only Terraform can know is a placeholder, never compared; none is empty."""
    if secret.value_from_unresolved is not None:
        return UNRENDERED
    return secret.value_from or ""


def _find_service(
    service: ServicePolicy, services: list[DeclaredService]
) -> DeclaredService | None:
    cluster = service.cluster.rsplit("/", 1)[-1]
    matching = [s for s in services if s.name == service.service and s.cluster in (None, cluster)]
    return matching[0] if matching else None
