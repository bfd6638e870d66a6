"""Findings in, verdict and Report out: what every command shares (no AWS, no terraform).

Kept apart from gate.py so the offline path and `merge` never import boto3.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from drift_gate._version import __version__
from drift_gate.errors import ExitCode
from drift_gate.model import (
    CheckedService,
    FailOn,
    Finding,
    Report,
    Severity,
    Stats,
    ToolInfo,
    Verdict,
)


@dataclass(frozen=True)
class ServiceResult:
    """One service's outcome; `checked` is None for findings about no service (the plan's)."""

    checked: CheckedService | None
    findings: tuple[Finding, ...]


def apply_ignores(findings: Iterable[Finding], ignore: Collection[str]) -> tuple[Finding, ...]:
    """The findings a service's policy does not ignore. DG9xx cannot be ignored (the policy
    schema refuses them), so "could not verify" always stays."""
    return tuple(f for f in findings if f.rule_id not in ignore or f.is_unverified)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def decide(findings: Sequence[Finding], fail_on: FailOn) -> tuple[Verdict, ExitCode]:
    """Could-not-verify outranks drift, drift outranks pass; --fail-on never hides exit 3,
    and a waived finding never blocks."""
    if any(finding.is_unverified for finding in findings):
        return Verdict.COULD_NOT_VERIFY, ExitCode.COULD_NOT_VERIFY
    if any(fail_on.blocks(finding.severity) and finding.waiver is None for finding in findings):
        return Verdict.DRIFT, ExitCode.DRIFT
    return Verdict.PASS, ExitCode.PASS


def build_report(
    results: Sequence[ServiceResult],
    fail_on: FailOn,
    started_at: datetime,
    finished_at: datetime,
    policy_source: str | None,
    aws_calls: dict[str, int],
    plan_source: str | None = None,
    *,
    workspace: str | None = None,
    declared: Sequence[str] = (),
) -> Report:
    """Assemble the Report: findings deduplicated, sorted worst first, then by where they are."""
    # A policy and a plan may declare the same name: one finding per rule and target. A
    # finding about no service (two `match:` entries selecting nothing in one region), and
    # a smoke request's (two requests to one URL), is told apart by where it is declared.
    unique = {
        (f.rule_id, f.target, _declared_key(f)): f
        for result in reversed(results)
        for f in reversed(result.findings)
    }
    findings = sorted(
        unique.values(),
        key=lambda f: (-f.severity.rank, f.target.label(), f.rule_id, f.message),
    )
    verdict, exit_code = decide(findings, fail_on)
    by_severity = Counter(finding.severity for finding in findings)
    return Report(
        tool=ToolInfo(version=__version__),
        started_at=started_at,
        finished_at=finished_at,
        policy=policy_source,
        plan=plan_source,
        workspace=workspace,
        declared=tuple(declared),
        fail_on=fail_on,
        verdict=verdict,
        exit_code=int(exit_code),
        services=tuple(result.checked for result in results if result.checked is not None),
        findings=tuple(findings),
        stats=Stats(
            services_checked=sum(1 for result in results if result.checked is not None),
            aws_calls=dict(sorted(aws_calls.items())),
            findings_by_severity={severity: by_severity.get(severity, 0) for severity in Severity},
            waived=sum(1 for finding in findings if finding.waiver is not None),
        ),
    )


def _declared_key(finding: Finding) -> str | None:
    if finding.target.service and not finding.target.request:
        return None
    return finding.declared_in
