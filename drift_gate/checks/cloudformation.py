"""What a CloudFormation template (or a CloudFormation TaskDefinition given as a
task-definition file) does not know before deploy, as findings: never a pass.

A container whose `Name` is an intrinsic may be the one the policy declares: DG903 (could
not verify offline), not DG207. A service whose name or cluster, or whose task definition,
the template does not know is DG901 for the live check: it cannot be matched to what runs.
"""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding


def unidentified_container(
    context: ServiceContext, container: str, candidate_words: str, where: str, why: str
) -> Finding:
    """DG903: no container of that name was read, and one container's name is unresolved."""
    message = (
        f"{candidate_words} has no container named {container} among those whose name is "
        f"known before deploy, and the container at {where} has a name that is {why}: it "
        "may be that one"
    )
    return context.finding("DG903", message, container=container, where=where)


def unmatched_template_service(
    context: ServiceContext, logical_id: str, template: str, why: str, where: str
) -> Finding:
    """DG901: a service of the template that cannot be matched to a running service."""
    message = (
        f"service {logical_id} of CloudFormation template {template} is not checked: {why}; "
        "give --stack with the stack's name to match it by the stack's physical ids"
    )
    return context.finding("DG901", message, where=where)
