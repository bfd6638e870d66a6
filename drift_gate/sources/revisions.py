"""A service revision: the task definition a deployment's target will run.

A lifecycle hook is told the deployment's target revision, not its task definition:
`ecs:DescribeServiceRevisions` says which task definition that revision runs. Only an
answer naming the revision asked, of the service asked, is read; a failure for it (a
revision created before 2024-10-25 cannot be described), an answer about something else or
about nothing is "could not verify", raised as a value the engine turns into DG901.
"""

from __future__ import annotations

from typing import Any

from drift_gate.sources.answers import (
    DescribeServiceRevisionsAnswer,
    ItemFailureError,
    read_answer,
    shown_reason,
)

OPERATION = "ecs:DescribeServiceRevisions"


def revision_task_definition(client: Any, revision_arn: str, service_arn: str) -> str:
    """The task definition ARN the revision runs; raises what classify_failure explains."""
    response = client.describe_service_revisions(serviceRevisionArns=[revision_arn])
    answer = read_answer(DescribeServiceRevisionsAnswer, response, OPERATION)
    for failure in answer.failures:
        reason = shown_reason(failure.reason)
        raise ItemFailureError(
            OPERATION, f"answered the revision with failure {reason}", failure.reason
        )
    found = [r for r in answer.serviceRevisions if r.serviceRevisionArn == revision_arn]
    if len(found) != 1:
        raise ItemFailureError(OPERATION, "answered neither the revision asked nor a failure")
    if found[0].serviceArn != service_arn:
        raise ItemFailureError(OPERATION, "answered a revision of another service")
    return found[0].taskDefinition
