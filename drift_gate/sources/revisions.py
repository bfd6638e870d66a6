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
    the_one_asked,
)

OPERATION = "ecs:DescribeServiceRevisions"


def revision_task_definition(client: Any, revision_arn: str, service_arn: str) -> str:
    """The task definition ARN the revision runs; raises what classify_failure explains."""
    response = client.describe_service_revisions(serviceRevisionArns=[revision_arn])
    answer = read_answer(DescribeServiceRevisionsAnswer, response, OPERATION)
    revision = the_one_asked(
        answer.serviceRevisions,
        lambda r: r.serviceRevisionArn,
        revision_arn,
        answer.failures,
        OPERATION,
        "revision",
    )
    if revision.serviceArn != service_arn:
        raise ItemFailureError(OPERATION, "answered a revision of another service")
    return revision.taskDefinition
