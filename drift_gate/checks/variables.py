"""DG101-DG104, DG107: declared secret and variable names against one running container.

Names are compared as sets per container: the order of `secrets` and `environment` is noise.
"""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.remedies import redeploy_command
from drift_gate.model import (
    ContainerVars,
    DeclaredContainer,
    DeclaredName,
    Finding,
    split_task_definition_arn,
)
from drift_gate.rules import RuleId


def check_container(
    context: ServiceContext,
    declared: DeclaredContainer,
    running: ContainerVars,
    latest: ContainerVars | None = None,
) -> list[Finding]:
    """Every way the running container differs from what is declared for it."""
    findings: list[Finding] = []
    for secret in declared.secrets:
        findings.extend(_check_secret(context, declared.name, secret, running, latest))
    for variable in declared.environment:
        findings.extend(_check_variable(context, declared.name, variable, running, latest))
    findings.extend(_undeclared(context, declared, running))
    return findings


def _check_secret(
    context: ServiceContext,
    container: str,
    secret: DeclaredName,
    running: ContainerVars,
    latest: ContainerVars | None,
) -> list[Finding]:
    name = secret.name
    if name in running.environment_names:
        return [
            context.finding(
                "DG103",
                f"{name} is declared as a secret but container {container} gets it as a plain "
                "environment variable (its value is stored in clear text in the task definition)",
                container=container,
                variable=name,
                where=_first(secret.where),
            )
        ]
    live = running.secret(name)
    if live is None:
        return [_missing(context, "DG101", "secret", container, name, _first(secret.where), latest)]
    mismatch = pinned_source_mismatch(
        context,
        container,
        name,
        actual=live.value_from,
        pinned=secret.value_from,
        where=_first(secret.where),
    )
    return [mismatch] if mismatch else []


def pinned_source_mismatch(
    context: ServiceContext,
    container: str,
    name: str,
    *,
    actual: str | None,
    pinned: str | None,
    source: str = "",
    where: str | None,
) -> Finding | None:
    """DG104, for every path (live, offline): the secret reads elsewhere than the policy pins.

    `source` says where it is declared when it is not the running container ("in Terraform").
    """
    if not pinned or not actual or actual == pinned:
        return None
    place = f" {source}" if source else ""
    message = (
        f"secret {name} of container {container}{place} reads from {actual}, "
        f"but the policy pins {pinned}"
    )
    return context.finding("DG104", message, container=container, variable=name, where=where)


def _check_variable(
    context: ServiceContext,
    container: str,
    variable: DeclaredName,
    running: ContainerVars,
    latest: ContainerVars | None,
) -> list[Finding]:
    # A declared plain variable delivered as a secret still reaches the application.
    if variable.name in running.environment_names | running.secret_names:
        return []
    return [
        _missing(
            context,
            "DG102",
            "environment variable",
            container,
            variable.name,
            _first(variable.where),
            latest,
        )
    ]


def _missing(
    context: ServiceContext,
    rule_id: RuleId,
    kind: str,
    container: str,
    name: str,
    where: str | None,
    latest: ContainerVars | None,
) -> Finding:
    message = (
        f"{kind} {name} is declared but missing from container {container} "
        "of the running task definition"
    )
    remediation = None
    latest_arn = context.latest_task_definition
    if latest is not None and latest_arn and name in latest.secret_names | latest.environment_names:
        # The incident's second act: the fix was registered, never rolled out.
        message += f"; the latest registered revision has it ({latest_arn}) but is not deployed"
        family = split_task_definition_arn(latest_arn)[0]
        command = redeploy_command(context.target, family)
        remediation = f"Redeploy the service onto the latest revision: `{command}`."
    return context.finding(
        rule_id, message, container=container, variable=name, where=where, remediation=remediation
    )


def _undeclared(
    context: ServiceContext, declared: DeclaredContainer, running: ContainerVars
) -> list[Finding]:
    live_names = running.secret_names | running.environment_names
    return [
        context.finding(
            "DG107",
            f"container {declared.name} has {name}, which the policy does not declare",
            container=declared.name,
            variable=name,
        )
        for name in sorted(live_names - declared.declared_names)
    ]


def _first(where: tuple[str, ...]) -> str | None:
    """The first place a name is declared: where a finding points."""
    return where[0] if where else None
