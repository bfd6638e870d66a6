"""DG307-DG311: can the task execution role read (and decrypt) each secret the task uses?

Only the secrets the running task definition references are asked about: they are what ECS
fetches at start. Each becomes one or two questions for the policy simulator: the read
(secretsmanager:GetSecretValue or ssm:GetParameters) on the secret's ARN, and kms:Decrypt on
its customer-managed key with kms:ViaService set to the store, as ECS's fetch makes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.secrets import SecretUsage
from drift_gate.model import Finding
from drift_gate.references import SecretReference, secret_name
from drift_gate.rules import RuleId
from drift_gate.sources.execution_role import (
    DECRYPT,
    READ_PARAMETERS,
    READ_SECRET,
    AccessAnswer,
    AccessQuestion,
    KeyAnswer,
)


@dataclass(frozen=True)
class SecretAccess:
    """What the execution role must be allowed for one secret a container uses."""

    usage: SecretUsage
    reference: SecretReference
    read: AccessQuestion
    decrypt: AccessQuestion | KeyAnswer | None  # None: an AWS managed key (nothing to ask)


def read_action(reference: SecretReference) -> str:
    return READ_SECRET if reference.store == "secretsmanager" else READ_PARAMETERS


def parameter_arn(name: str, region: str, account: str, partition: str) -> str:
    """An SSM parameter's ARN: `/a/b` and `a` become `parameter/a/b` and `parameter/a`."""
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def no_execution_role(
    context: ServiceContext,
    task_definition: str,
    secrets: Sequence[str],
    where: str | None,
    attribute: str = "executionRoleArn",
) -> Finding:
    """DG307: `task_definition` (its ARN, "task definition file F", a Terraform address) has
    secrets and no role; `attribute` in that source's words."""
    names = ", ".join(sorted(set(secrets)))
    message = (
        f"{task_definition} references secrets ({names}) but has no {attribute}: ECS "
        "cannot fetch them, so its tasks cannot start"
    )
    return context.finding("DG307", message, where=where)


def no_such_role(context: ServiceContext, role: str) -> Finding:
    message = f"execution role {role} does not exist: ECS cannot start the task"
    return context.finding("DG311", message)


def access_findings(
    context: ServiceContext,
    accesses: Sequence[SecretAccess],
    answers: Mapping[AccessQuestion, AccessAnswer],
    *,
    required: bool,
) -> list[Finding]:
    """A finding per access the simulator denied or could not decide; none when allowed."""
    findings: list[Finding] = []
    for access in accesses:
        findings.extend(_read_finding(context, access, answers[access.read], required=required))
        decrypt = access.decrypt
        if isinstance(decrypt, AccessQuestion):
            findings.extend(
                _decrypt_finding(context, access, decrypt, answers[decrypt], required=required)
            )
        elif isinstance(decrypt, KeyAnswer) and decrypt.arn is None:
            subject = f"the KMS key of secret {access.usage.value_from}"
            findings.append(
                _unverified(context, access, f"{subject}: {decrypt.detail}", decrypt.fix, required)
            )
    return findings


def _read_finding(
    context: ServiceContext, access: SecretAccess, answer: AccessAnswer, *, required: bool
) -> list[Finding]:
    usage = access.usage
    role, action = access.read.role, access.read.action
    if answer.verdict in ("explicitDeny", "implicitDeny"):
        message = (
            f"execution role {role} may not {action} on secret {usage.name} of container "
            f"{usage.container} ({access.read.resource}): {_why(answer)}"
        )
        return [_finding(context, "DG308", message, access, _allow(action, access.read.resource))]
    return _undecided(context, access, answer, action, access.read.resource, required)


def _decrypt_finding(
    context: ServiceContext,
    access: SecretAccess,
    question: AccessQuestion,
    answer: AccessAnswer,
    *,
    required: bool,
) -> list[Finding]:
    usage = access.usage
    if answer.verdict in ("explicitDeny", "implicitDeny"):
        message = (
            f"execution role {question.role} may not {DECRYPT} with key {question.resource}, "
            f"which encrypts secret {usage.name} of container {usage.container} "
            f"({secret_name(access.reference)}): {_why(answer)}"
        )
        return [_finding(context, "DG309", message, access, _allow(DECRYPT, question.resource))]
    return _undecided(context, access, answer, DECRYPT, question.resource, required)


def _undecided(
    context: ServiceContext,
    access: SecretAccess,
    answer: AccessAnswer,
    action: str,
    resource: str,
    required: bool,
) -> list[Finding]:
    role = access.read.role
    if answer.verdict == "undecided":
        reason = (
            f"whether execution role {role} may {action} on {resource}: its policies test "
            f"condition keys the simulator was not given ({answer.detail})"
        )
        fix = "Check that statement of the role's policies by hand, or waive the finding."
        return [_unverified(context, access, reason, fix, required)]
    if answer.verdict == "unverified":
        reason = f"whether execution role {role} may {action} on {resource}: {answer.detail}"
        return [_unverified(context, access, reason, answer.fix, required)]
    return []  # allowed; a missing role is one finding per service, made by the caller


def _unverified(
    context: ServiceContext,
    access: SecretAccess,
    reason: str,
    fix: str | None,
    required: bool,
) -> Finding:
    rule: RuleId = "DG901" if required else "DG310"
    return _finding(context, rule, f"could not verify {reason}", access, fix)


def _finding(
    context: ServiceContext,
    rule: RuleId,
    message: str,
    access: SecretAccess,
    remediation: str | None,
) -> Finding:
    return context.finding(
        rule,
        message,
        container=access.usage.container,
        variable=access.usage.name,
        where=access.usage.where,
        remediation=remediation,
    )


def _why(answer: AccessAnswer) -> str:
    if answer.verdict == "explicitDeny":
        return "a Deny statement in its policies, its permissions boundary or an SCP blocks it"
    return "no policy of the role allows it (implicit deny)"


def _allow(action: str, resource: str) -> str:
    return (
        f'Allow it in a policy of the execution role: {{"Effect": "Allow", "Action": '
        f'"{action}", "Resource": "{resource}"}} (Terraform: an aws_iam_role_policy on the '
        "role), or lift the Deny; then run again."
    )
