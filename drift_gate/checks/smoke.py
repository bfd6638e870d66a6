"""DG411-DG412: does the application answer each declared request as declared?

Only the status and which forbidden phrases were found reach a finding: never a header, a
body or a value from the environment.
"""

from __future__ import annotations

from collections.abc import Sequence

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.remedies import smoke_unreachable
from drift_gate.model import Finding, SmokeRequest

# The rules whose finding means the service does not run what is declared: a smoke request
# against it would test the wrong thing.
_DRIFT_RULES = frozenset({"DG101", "DG102", "DG103", "DG104", "DG201", "DG207"})


def runs_what_is_declared(findings: Sequence[Finding]) -> bool:
    """Whether the service's findings so far leave it running what is declared."""
    return not any(finding.rule_id in _DRIFT_RULES for finding in findings)


def request_context(service: ServiceContext, asked: str) -> ServiceContext:
    """The service's context narrowed to one request (`METHOD url`, as shown)."""
    return ServiceContext(
        service.target.model_copy(update={"request": asked}),
        service.deployed_task_definition,
        service.latest_task_definition,
    )


def request_unverified(
    context: ServiceContext, request: SmokeRequest, asked: str, reason: str, cause: str
) -> Finding:
    """DG901: no usable answer; the fix depends on the `cause`."""
    message = f"could not verify: {asked}: {reason}"
    fix = smoke_unreachable(cause)
    return context.finding("DG901", message, where=request.where, remediation=fix)


def check_answer(
    context: ServiceContext,
    request: SmokeRequest,
    asked: str,
    status: int,
    found: Sequence[str],
) -> list[Finding]:
    """DG411 for a status not expected; DG412 for each forbidden phrase found in the body."""
    findings = []
    if status not in request.expect:
        expected = ", ".join(str(code) for code in request.expect)
        message = f"{asked} answered {status}, expected {expected}"
        findings.append(context.finding("DG411", message, where=request.where))
    findings.extend(
        context.finding(
            "DG412", f"{asked} answered {status} with {phrase!r} in its body", where=request.where
        )
        for phrase in found
    )
    return findings
