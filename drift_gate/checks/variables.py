"""DG101-DG104, DG107: declared secret and variable names against one running container.

Names are compared as sets per container: the order of `secrets` and `environment` is noise.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from drift_gate.sources.containers import UNRENDERED, is_empty_reference, reference_words


@dataclass(frozen=True)
class Candidate:
    """What the declared names are compared with, in a finding's words, and where it is.

    The running task definition by default; a task-definition file before it is registered
    (`at` is then its file:line, where a finding points instead of the declaration).
    """

    words: str = "the running task definition"
    at: str | None = None


RUNNING = Candidate()


def check_container(
    context: ServiceContext,
    declared: DeclaredContainer,
    running: ContainerVars,
    latest: ContainerVars | None = None,
    candidate: Candidate = RUNNING,
) -> list[Finding]:
    """Every way the container differs from what is declared for it."""
    findings: list[Finding] = []
    for secret in declared.secrets:
        findings.extend(_check_secret(context, declared.name, secret, running, latest, candidate))
    for variable in declared.environment:
        findings.extend(
            _check_variable(context, declared.name, variable, running, latest, candidate)
        )
    findings.extend(empty_references(context, running, candidate, declared))
    findings.extend(_undeclared(context, declared, running))
    return findings


def empty_references(
    context: ServiceContext,
    running: ContainerVars,
    candidate: Candidate = RUNNING,
    declared: DeclaredContainer | None = None,
) -> list[Finding]:
    """DG108: each secret of the container whose valueFrom names nothing. Its name is there, so
    every name check passes; it reads nothing, so no store can be asked about it."""
    declarations = {secret.name: secret for secret in declared.secrets} if declared else {}
    findings = []
    for secret in running.secrets:
        if not is_empty_reference(secret.value_from):
            continue
        declaration = declarations.get(secret.name)
        where = candidate.at or (_first(declaration.where) if declaration else None)
        message = (
            f"secret {secret.name} of container {running.name} of {candidate.words} has "
            f"{reference_words(secret.value_from)}: it reads no secret"
        )
        findings.append(
            context.finding(
                "DG108", message, container=running.name, variable=secret.name, where=where
            )
        )
    return findings


def _check_secret(
    context: ServiceContext,
    container: str,
    secret: DeclaredName,
    running: ContainerVars,
    latest: ContainerVars | None,
    candidate: Candidate,
) -> list[Finding]:
    name = secret.name
    where = candidate.at or _first(secret.where)
    if name in running.environment_names:
        return [
            context.finding(
                "DG103",
                f"{name} is declared as a secret but container {container} of {candidate.words} "
                "gets it as a plain environment variable (its value is stored in clear text in "
                "the task definition)",
                container=container,
                variable=name,
                where=where,
            )
        ]
    live = running.secret(name)
    if live is None:
        return [_missing(context, "DG101", "secret", container, secret, latest, candidate)]
    mismatch = pinned_source_mismatch(
        context,
        container,
        name,
        actual=live.value_from,
        pinned=secret.value_from,
        where=where,
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
    # An empty reference is DG108's; a template placeholder is filled in only at deploy time.
    if not pinned or is_empty_reference(actual or "") or actual in (pinned, UNRENDERED):
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
    candidate: Candidate,
) -> list[Finding]:
    # A declared plain variable delivered as a secret still reaches the application.
    if variable.name in running.environment_names | running.secret_names:
        return []
    return [
        _missing(context, "DG102", "environment variable", container, variable, latest, candidate)
    ]


def _missing(
    context: ServiceContext,
    rule_id: RuleId,
    kind: str,
    container: str,
    declared: DeclaredName,
    latest: ContainerVars | None,
    candidate: Candidate,
) -> Finding:
    name = declared.name
    message = (
        f"{kind} {name} is declared but missing from container {container} of {candidate.words}"
    )
    where = _first(declared.where)
    if candidate.at is not None:
        # The finding points at the file to fix; the declaration is named in the message.
        message += f" (declared at {where})" if where else ""
        where = candidate.at
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
