"""DG201-DG204, DG213: does the PRIMARY deployment run the latest registered revision,
healthily, and was it not rolled back? DG901 when a rollout did not settle within --wait."""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.checks.remedies import redeploy_command
from drift_gate.model import Finding, ServiceState, Target, TaskDefinitionSpec


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


def rolled_back(service: ServiceState) -> Finding | None:
    """DG213: a circuit-breaker rollback, a FAILED deployment beside a PRIMARY on another
    revision."""
    primary = service.primary
    failed = next(
        (d for d in service.deployments if d.status != "PRIMARY" and d.rollout_state == "FAILED"),
        None,
    )
    if (
        primary is None
        or failed is None
        or failed.task_definition_arn == primary.task_definition_arn
    ):
        return None
    target = Target(environment="", cluster=service.cluster, service=service.name)
    reason = f" ({failed.rollout_state_reason})" if failed.rollout_state_reason else ""
    message = (
        f"deployment {failed.id} of {failed.task_definition_arn} failed{reason} and the service "
        f"was rolled back to {primary.task_definition_arn}"
    )
    return ServiceContext(target).finding("DG213", message)


def rollout_not_settled(target: Target, seconds: float, why: str) -> Finding:
    """DG901: --wait ran out before the service's rollout settled (`why`: what was left)."""
    message = f"could not verify: the rollout did not settle within {seconds:.0f} s ({why})"
    return ServiceContext(target).finding(
        "DG901",
        message,
        remediation="Raise --wait, or look at the deployment's events "
        "(`aws ecs describe-services`); the checks ran on what was deployed then.",
    )
