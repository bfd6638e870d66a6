"""DG301-DG306: does each secret a container references exist, current, within reach?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drift_gate.checks import remedies
from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding
from drift_gate.references import SecretStatus, StoreKey, parse_value_from, store_key
from drift_gate.rules import RuleId


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
        fix = remedies.missing_parameter(reference, region)
        message = f"{subject}: the SSM parameter does not exist"
        return context.finding("DG305", message, remediation=fix, **common)
    if status.status == "missing":
        fix = remedies.missing_secret(reference, region)
        message = f"{subject}: the secret does not exist"
        return context.finding("DG301", message, remediation=fix, **common)
    if status.status == "scheduled-deletion":
        fix = remedies.secret_scheduled_for_deletion(reference, region)
        return context.finding("DG302", f"{subject}: {status.detail}", remediation=fix, **common)
    if status.status == "version-missing":
        return context.finding("DG303", f"{subject}: the secret {status.detail}", **common)
    if status.status == "unverified":
        rule_id: RuleId = "DG306" if best_effort else "DG901"
        message = f"could not verify {subject}: {status.detail}"
        return context.finding(rule_id, message, remediation=status.fix, **common)
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
