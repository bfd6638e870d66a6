"""DG101-DG104, DG107, DG108 (and, mapped, DG601-DG603, DG606, DG903): what is declared for a
container against a candidate: what that container would receive.

A candidate is one shape whatever it comes from: the running task definition, the latest
registered revision, a task-definition file before it is registered, a container in the
Terraform sources. It is compared by one function, `check_container`; a path that reports
under its own rule ids (the Terraform sources: DG6xx, so users' ignores and waivers stay
valid) maps them in `CandidateRules`, it never forks the comparison.

Names are compared as sets per container: the order of `secrets` and `environment` is noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.remedies import redeploy_command
from drift_gate.model import (
    ContainerVars,
    DeclaredContainer,
    DeclaredName,
    Finding,
    split_task_definition_arn,
)
from drift_gate.references import UNRENDERED, is_empty_reference, reference_words
from drift_gate.rules import RuleId


@dataclass(frozen=True)
class CandidateRules:
    """The rule each difference is reported under on one path."""

    missing_secret: RuleId = "DG101"  # noqa: S105 - rule ids, not secrets
    missing_variable: RuleId = "DG102"
    secret_as_plain: RuleId = "DG103"  # noqa: S105
    not_declared: RuleId = "DG107"
    no_container: RuleId = "DG207"
    # A declared name not among the names read, when an entry could not be read at all.
    unreadable: RuleId = "DG903"


LIVE_RULES = CandidateRules()
TERRAFORM_RULES = CandidateRules(
    missing_secret="DG601",  # noqa: S106 - rule ids, not secrets
    missing_variable="DG601",
    secret_as_plain="DG602",  # noqa: S106
    not_declared="DG603",
    no_container="DG606",
)


@dataclass(frozen=True)
class Candidate:
    """What the declared names are compared with: its words in a finding and where it is.

    The running task definition by default. A candidate in a file (a task-definition file, a
    .tf container) has `at`, its file:line, where a finding points instead of the
    declaration (named in the message), and the file:line of each of its `secrets` entries
    and of each of its plain `environment` entries: a name may be in both, and a finding
    points at the entry it is about.
    """

    words: str = "the running task definition"
    at: str | None = None
    rules: CandidateRules = LIVE_RULES
    # Where a value sits, for DG104/DG106, when it is not the running container.
    place: str = ""
    secret_at: Mapping[str, str] = field(default_factory=dict)
    plain_at: Mapping[str, str] = field(default_factory=dict)
    # file:line of an entry whose name cannot be read offline (only Terraform knows it): a
    # name not found may be that one, so it is not verified.
    unreadable: str | None = None
    # Why a name of the candidate is reported as not declared (DG107/DG603).
    undeclared_words: str = "which the policy does not declare"

    def points_at(self, name: str, declared: tuple[str, ...], *, plain: bool = False) -> str | None:
        """Where a finding about `name` points: its entry in the candidate's file (the plain
        one when the finding is about a plain variable), else the candidate, else the first
        declaration."""
        entry = (self.plain_at if plain else self.secret_at).get(name)
        return entry or self.at or _first(declared)


RUNNING = Candidate()


def check_container(
    context: ServiceContext,
    declared: DeclaredContainer,
    running: ContainerVars,
    latest: ContainerVars | None = None,
    candidate: Candidate = RUNNING,
) -> list[Finding]:
    """Every way the candidate container differs from what is declared for it."""
    findings: list[Finding] = []
    for secret in declared.secrets:
        findings.extend(_check_secret(context, declared.name, secret, running, latest, candidate))
    for variable in declared.environment:
        findings.extend(
            _check_variable(context, declared.name, variable, running, latest, candidate)
        )
    findings.extend(empty_references(context, running, candidate, declared))
    findings.extend(_undeclared(context, declared, running, candidate))
    return findings


def no_container(
    context: ServiceContext,
    container: str,
    candidate_words: str,
    where: str | None,
    *,
    present: str | None = None,
    rules: CandidateRules = LIVE_RULES,
) -> Finding:
    """DG207 (DG606 in the Terraform sources): the candidate has no container of that name."""
    has = f" (it has: {present})" if present is not None else ""
    message = f"{candidate_words} has no container {container}{has}"
    return context.finding(rules.no_container, message, container=container, where=where)


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
        where = candidate.points_at(secret.name, declaration.where if declaration else ())
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
    if name in running.environment_names:
        where = candidate.points_at(name, secret.where, plain=True)
        message = (
            f"{name} is declared as a secret but container {container} of {candidate.words} "
            "gets it as a plain environment variable (its value is stored in clear text in "
            f"the task definition){_declared_at(secret, candidate)}"
        )
        rule_id = candidate.rules.secret_as_plain
        return [context.finding(rule_id, message, container=container, variable=name, where=where)]
    live = running.secret(name)
    if live is None:
        rule_id = candidate.rules.missing_secret
        return [_missing(context, rule_id, "secret", container, secret, latest, candidate)]
    where = candidate.points_at(name, secret.where)
    mismatch = pinned_source_mismatch(
        context,
        container,
        name,
        actual=live.value_from,
        pinned=secret.value_from,
        source=candidate.place,
        where=where,
        unreadable=candidate.rules.unreadable,
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
    unreadable: RuleId = "DG903",
) -> Finding | None:
    """DG104, for every path (live, offline): the secret reads elsewhere than the policy pins.
    DG903 (not verified) when the reference is known only at deploy time (a template
    placeholder, a CloudFormation parameter, a secret the template itself creates).

    `source` says where it is declared when it is not the running container ("in Terraform").
    """
    # An empty reference is DG108's.
    if not pinned or is_empty_reference(actual or "") or actual == pinned:
        return None
    if actual == UNRENDERED:
        place = f" {source}" if source else ""
        message = (
            f"secret {name} of container {container}{place} reads from a reference known only "
            f"at deploy time, so the policy's pin {pinned} cannot be compared"
        )
        return context.finding(unreadable, message, container=container, variable=name, where=where)
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
    rule_id = candidate.rules.missing_variable
    kind = "environment variable"
    return [_missing(context, rule_id, kind, container, variable, latest, candidate)]


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
    declared_at = _declared_at(declared, candidate)
    if candidate.unreadable is not None:
        # Not among the names read, but an entry could not be read: it may be that one.
        message = (
            f"{kind} {name} is declared but not among the names readable in container "
            f"{container} of {candidate.words}, and an entry at {candidate.unreadable} cannot "
            f"be read offline{declared_at}"
        )
        return context.finding(
            candidate.rules.unreadable,
            message,
            container=container,
            variable=name,
            where=candidate.unreadable,
        )
    message = (
        f"{kind} {name} is declared but missing from container {container} of "
        f"{candidate.words}{declared_at}"
    )
    # A candidate in a file: the finding points at the file to fix, the message names the
    # declaration.
    where = candidate.at or _first(declared.where)
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


def _declared_at(declared: DeclaredName, candidate: Candidate) -> str:
    """Where a name is declared, said in the message when the finding points at the candidate."""
    if candidate.at is None or not declared.where:
        return ""
    return f" (declared at {', '.join(declared.where)})"


def _undeclared(
    context: ServiceContext,
    declared: DeclaredContainer,
    running: ContainerVars,
    candidate: Candidate,
) -> list[Finding]:
    live_names = running.secret_names | running.environment_names
    return [
        context.finding(
            candidate.rules.not_declared,
            f"container {declared.name} of {candidate.words} has {name}, "
            f"{candidate.undeclared_words}",
            container=declared.name,
            variable=name,
            where=candidate.secret_at.get(name) or candidate.plain_at.get(name),
        )
        for name in sorted(live_names - declared.declared_names)
    ]


def _first(where: tuple[str, ...]) -> str | None:
    """The first place a name is declared: where a finding points."""
    return where[0] if where else None
