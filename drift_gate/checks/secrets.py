"""DG301-DG306: does each secret a container references exist, current, within reach?"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding
from drift_gate.references import SecretStatus, StoreKey, parse_value_from, secret_name, store_key


@dataclass(frozen=True)
class SecretUsage:
    """A container's use of a secret reference, live or declared."""

    container: str
    name: str
    value_from: str
    where: str | None = None


def check_secret_usages(
    context: ServiceContext,
    usages: Sequence[SecretUsage],
    statuses: Mapping[StoreKey, SecretStatus],
    task_account: str | None,
    *,
    best_effort: bool,
) -> list[Finding]:
    """A finding for each usage whose secret is missing, going away, versionless or unreachable."""
    region = context.target.region or ""
    findings = []
    for usage in usages:
        reference = parse_value_from(usage.value_from)
        status = statuses[store_key(reference, region)]
        finding = _finding(context, usage, status, best_effort=best_effort)
        if finding is None and status.status == "ok":
            finding = _elsewhere(context, usage, task_account)
        if finding is not None:
            findings.append(finding)
    return findings


def _finding(
    context: ServiceContext, usage: SecretUsage, status: SecretStatus, *, best_effort: bool
) -> Finding | None:
    reference = parse_value_from(usage.value_from)
    region = reference.region or context.target.region or ""
    subject = f"secret {usage.name} of container {usage.container} reads {usage.value_from}"
    common = {"container": usage.container, "variable": usage.name, "where": usage.where}
    if status.status == "missing" and reference.store == "ssm":
        command = shlex.join(
            [
                "aws",
                "ssm",
                "put-parameter",
                "--name",
                reference.key,
                "--type",
                "SecureString",
                "--value",
                "<value>",
                "--region",
                region,
            ]
        )
        return context.finding(
            "DG305",
            f"{subject}: the SSM parameter does not exist",
            remediation=f"Create it: `{command}`, or fix the valueFrom; then redeploy.",
            **common,
        )
    if status.status == "missing":
        command = shlex.join(
            [
                "aws",
                "secretsmanager",
                "create-secret",
                "--name",
                secret_name(reference),
                "--region",
                region,
            ]
        )
        return context.finding(
            "DG301",
            f"{subject}: the secret does not exist",
            remediation=f"Create it (`{command}`, then put its value) or fix the valueFrom; "
            "the new secret's ARN gets a new suffix, so update valueFrom, register and redeploy.",
            **common,
        )
    if status.status == "scheduled-deletion":
        command = shlex.join(
            [
                "aws",
                "secretsmanager",
                "restore-secret",
                "--secret-id",
                reference.key,
                "--region",
                region,
            ]
        )
        return context.finding(
            "DG302",
            f"{subject}: {status.detail}",
            remediation=f"Restore it: `{command}`.",
            **common,
        )
    if status.status == "version-missing":
        return context.finding("DG303", f"{subject}: the secret {status.detail}", **common)
    if status.status == "unverified":
        rule_id = "DG306" if best_effort else "DG901"
        return context.finding(
            rule_id,
            f"could not verify {subject}: {status.detail}",
            remediation=status.fix,
            **common,
        )
    return None


def _elsewhere(
    context: ServiceContext, usage: SecretUsage, task_account: str | None
) -> Finding | None:
    reference = parse_value_from(usage.value_from)
    other_region = reference.region is not None and reference.region != context.target.region
    other_account = (
        reference.account is not None
        and task_account is not None
        and reference.account != task_account
    )
    if not (other_region or other_account):
        return None
    where = " and ".join(
        part
        for part, applies in (
            (f"region {reference.region}", other_region),
            (f"account {reference.account}", other_account),
        )
        if applies
    )
    message = f"secret {usage.name} of container {usage.container} lives in {where}, not the task's"
    return context.finding(
        "DG304", message, container=usage.container, variable=usage.name, where=usage.where
    )
