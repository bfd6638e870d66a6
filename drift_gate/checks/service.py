"""DG205-DG207 and the service's DG901: is the service the policy names there to be checked?

What DescribeServices answered about a declared service, and whether the task definition it
runs has the containers the policy declares.
"""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding


def service_unverified(
    context: ServiceContext, reason: str, fix: str | None, where: str | None = None
) -> Finding:
    """DG901: the service (or the task definition it runs) could not be read."""
    return context.finding("DG901", f"could not verify: {reason}", where=where, remediation=fix)


def cluster_missing(
    context: ServiceContext, cluster: str, region: str, where: str | None = None
) -> Finding:
    """DG205: the cluster the policy names does not exist in its region."""
    return context.finding("DG205", f"cluster {cluster} does not exist in {region}", where=where)


def service_missing(
    context: ServiceContext, service: str, cluster: str, state: str, where: str | None = None
) -> Finding:
    """DG206: absent from its cluster, or there and not ACTIVE (`state` says which)."""
    message = f"service {service} not found in cluster {cluster} ({state})"
    return context.finding("DG206", message, where=where)


def container_missing(
    context: ServiceContext, task_definition: str, container: str, where: str | None = None
) -> Finding:
    """DG207: the running task definition has no container of the declared name."""
    message = f"task definition {task_definition} has no container {container}"
    return context.finding("DG207", message, container=container, where=where)


NOT_DECLARED_FIXES = {
    "hook": "Declare the service (its region, cluster and name) in the policy the hook "
    "reads, or remove the hook from this service.",
    # An ECS event's service: the function has no hook to remove; its rules choose the events.
    "event": "Declare the service (its region, cluster and name) in the policy the function "
    "reads (DRIFT_GATE_POLICY), or narrow the function's EventBridge rules to the declared "
    "services' clusters (docs/deploy-hook.md).",
}


def service_not_declared(
    context: ServiceContext, service_arn: str, policy: str, asked_by: str = "hook"
) -> Finding:
    """DG901: a deployment (`asked_by` "hook") or an ECS event ("event") of a service the
    policy does not declare: nothing to check it against, so it is not verified (never
    passed). The fix in the words of the one who asked."""
    return context.finding(
        "DG901",
        f"could not verify: service {service_arn} is not declared in {policy}",
        remediation=NOT_DECLARED_FIXES[asked_by],
    )
