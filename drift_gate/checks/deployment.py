"""DG201-DG204: does the PRIMARY deployment run the latest registered revision, healthily."""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.remedies import redeploy_command
from drift_gate.model import Finding, ServiceState, TaskDefinitionSpec


def check_revision(
    context: ServiceContext, deployed: TaskDefinitionSpec, latest_arn: str | None
) -> list[Finding]:
    """DG201 when the service runs anything but the latest ACTIVE revision of its family."""
    if latest_arn == deployed.arn:
        return []
    if latest_arn is None:
        message = (
            f"the service runs {deployed.arn}, and family {deployed.family} has no ACTIVE revision "
            "(every revision was deregistered)"
        )
    else:
        message = (
            f"registered but not deployed: the service runs revision {deployed.revision} "
            f"({deployed.arn}), the latest ACTIVE revision is {latest_arn}"
        )
    remediation = (
        "Roll the service onto the latest revision: "
        f"`{redeploy_command(context.target, deployed.family)}`; if Terraform manages the service, "
        "check `lifecycle { ignore_changes = [task_definition] }` and your deploy pipeline."
    )
    return [context.finding("DG201", message, remediation=remediation)]


def check_rollout(context: ServiceContext, service: ServiceState) -> list[Finding]:
    """DG202 for a failed rollout; DG203/DG204 while it is not settled."""
    primary = service.primary
    findings: list[Finding] = []
    if primary is not None and primary.rollout_state == "FAILED":
        reason = f": {primary.rollout_state_reason}" if primary.rollout_state_reason else ""
        findings.append(
            context.finding("DG202", f"the PRIMARY deployment {primary.id} failed{reason}")
        )
    elif primary is not None and (
        primary.rollout_state == "IN_PROGRESS" or len(service.deployments) > 1
    ):
        findings.append(
            context.finding(
                "DG203",
                f"the PRIMARY deployment {primary.id} is still rolling out "
                f"({len(service.deployments)} deployments active)",
            )
        )
    if service.running_count != service.desired_count:
        findings.append(
            context.finding(
                "DG204",
                f"the service runs {service.running_count} of "
                f"{service.desired_count} desired tasks",
            )
        )
    return findings
