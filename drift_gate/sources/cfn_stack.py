"""A deployed stack's ECS services by logical id: cloudformation:DescribeStackResources
(read-only, one call, validated where it arrives).

DescribeStackResources answers at most 100 resources of a stack (AWS's documented limit);
a service beyond them has no physical id here and is reported as not checked (DG901),
never passed. A missing or malformed field is could not verify (exit 3).
"""

from __future__ import annotations

from pydantic import Field

from drift_gate.errors import CouldNotVerifyError
from drift_gate.sources.answers import Answer, MalformedAnswerError, read_answer
from drift_gate.sources.aws import AWS_FAILURES, AwsClients, AwsSettings, describe_failure

OPERATION = "cloudformation:DescribeStackResources"
SERVICE_TYPES = frozenset({"AWS::ECS::Service", "AWS::ECS::ExpressGatewayService"})


class StackResource(Answer):
    LogicalResourceId: str
    ResourceType: str
    PhysicalResourceId: str | None = None


class DescribeStackResourcesAnswer(Answer):
    StackResources: tuple[StackResource, ...] = Field(max_length=10_000)


def service_names(physical_id: str) -> tuple[str, str] | None:
    """(cluster, service) of a service ARN `arn:...:service/CLUSTER/NAME`; None for the old
    ARN format without the cluster, or anything else."""
    _, _, resource = physical_id.partition(":service/")
    cluster, _, name = resource.partition("/")
    if not physical_id.startswith("arn:") or not cluster or not name or "/" in name:
        return None
    return cluster, name


def stack_services(
    stack: str, region: str, clients: AwsClients | None = None
) -> dict[str, tuple[str, str]]:
    """{logical id: (cluster, service)} of the stack's ECS services whose physical id names
    both."""
    client = (clients or AwsClients(AwsSettings())).client("cloudformation", region)
    try:
        raw = client.describe_stack_resources(StackName=stack)
    except AWS_FAILURES as error:
        reason = describe_failure(error, OPERATION)
        if reason.startswith("access denied"):
            # docs/iam-policy.json does not hold it: the statement is per stack.
            reason = (
                f"access denied to {OPERATION}; `drift-gate iam-policy --stack {stack}` prints "
                "the statement to grant"
            )
        raise CouldNotVerifyError(
            f"stack {stack}: {reason}; the template's services cannot be matched by the "
            "stack's physical ids"
        ) from error
    try:
        answer = read_answer(DescribeStackResourcesAnswer, raw, OPERATION)
    except MalformedAnswerError as error:
        raise CouldNotVerifyError(f"stack {stack}: {error}") from None
    found = {}
    for resource in answer.StackResources:
        names = service_names(resource.PhysicalResourceId or "")
        if resource.ResourceType in SERVICE_TYPES and names is not None:
            found[resource.LogicalResourceId] = names
    return found
