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


def no_template_service(context: ServiceContext, template: str) -> Finding:
    """DG901: a template given to the live check declares no service: nothing of it is
    compared with what runs, and a run that checked nothing is no pass."""
    message = (
        f"CloudFormation template {template} declares no AWS::ECS::Service or "
        "AWS::ECS::ExpressGatewayService: nothing of it can be compared with what runs; check "
        "its task definitions against the policy with --offline, or give the template that "
        "declares the services"
    )
    fix = "Check the template's task definitions with --offline, or give the services' template."
    return context.finding("DG901", message, where=template, remediation=fix)


def unmatched_template_service(
    context: ServiceContext, logical_id: str, template: str, why: str, where: str
) -> Finding:
    """DG901: a service of the template that cannot be matched to a running service."""
    message = (
        f"service {logical_id} of CloudFormation template {template} is not checked: {why}; "
        "give --stack with the stack's name to match it by the stack's physical ids"
    )
    fix = (
        "Give `--stack STACK_NAME` (the deployed stack: its physical ids name the service), or "
        "a ServiceName and Cluster the template resolves (docs/cloudformation.md)."
    )
    return context.finding("DG901", message, where=where, remediation=fix)


def unresolved_template_entry(
    context: ServiceContext, container: str, template: str, where: str, why: str
) -> Finding:
    """DG901, live: an entry (or a whole Environment/Secrets list) of a template's container
    whose names are known only at deploy; what the template declares there is not compared
    with what runs, as for an unreadable entry of the Terraform sources (DG604)."""
    message = (
        f"container {container} of CloudFormation template {template}: the entry at {where} "
        f"is {why}; the names it declares are not compared with what runs"
    )
    fix = (
        "Give the parameter values the deploy uses (--cfn-parameters), or write the entry "
        "so the template resolves it (docs/cloudformation.md)."
    )
    return context.finding("DG901", message, container=container, where=where, remediation=fix)
