"""The fields drift-gate reads from each AWS answer, validated where the answer arrives.

A 200 answer that lacks a field drift-gate relies on (a proxy's `{}`, a truncated body,
an API change) is "could not verify", never an empty result: `services: []` would read as
"service not found", `taskDefinitionArns: []` as "every revision was deregistered",
`events: []` as "the log is clean". So lists the checks read are required here, not
defaulted. Field names are AWS's own; unknown fields are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from drift_gate.references import TASK_DEFINITION_ARN
from drift_gate.validation import first_problem


class Answer(BaseModel):
    """Base of every answer model: read-only, unknown fields ignored (AWS adds fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


A = TypeVar("A", bound=Answer)


class MalformedAnswerError(Exception):
    """An AWS answer without the fields drift-gate reads: the link could not be verified."""

    def __init__(self, operation: str, problem: str) -> None:
        super().__init__(f"{operation} answered without what drift-gate reads ({problem})")
        self.operation = operation
        self.problem = problem


# A failure reason is AWS's code (MISSING, ACCESS_DENIED, INTERNAL_ERROR); anything else in
# that field (a proxy's text, a document) is not printed.
_REASON = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")


def shown_reason(reason: str | None) -> str:
    """A failure's reason as it may be printed: AWS's code, never free text."""
    if reason is None or not reason.strip():
        return "(no reason given)"
    return reason if _REASON.match(reason) else "(a reason that is not an AWS code)"


class ItemFailureError(Exception):
    """A batch answer that does not answer an item as asked: a failure whose reason is not
    "absent", a failure for an item not asked, or an item answered neither way."""

    def __init__(self, operation: str, problem: str, reason: str | None = None) -> None:
        super().__init__(f"{operation} {problem}")
        self.operation = operation
        self.reason = reason


def read_answer(model: type[A], raw: object, operation: str) -> A:
    """Validate one answer; the message names the field, never a value from the answer."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise MalformedAnswerError(operation, first_problem(error, model)) from None


# --- ECS ---------------------------------------------------------------------------------


class EnvironmentEntry(Answer):
    name: str
    # Looked at once for its credential format, then dropped. A plan's jsonencode() may hold
    # a number or a boolean here; ECS itself always answers a string.
    value: str | int | float | bool | None = None


class SecretEntry(Answer):
    name: str
    # Required: left out, the answer (or file) is not what ECS accepts. Blank, it reads no
    # secret: kept as "" and reported (DG108), never passed as delivered.
    valueFrom: str


class EnvironmentFileEntry(Answer):
    value: str
    type: str | None = None


class ContainerDefinition(Answer):
    """One containerDefinitions entry, from ECS or from a plan's container_definitions."""

    name: str
    image: str | None = None
    environment: tuple[EnvironmentEntry, ...] | None = None
    secrets: tuple[SecretEntry, ...] | None = None
    environmentFiles: tuple[EnvironmentFileEntry, ...] | None = None


class TaskDefinitionBody(Answer):
    taskDefinitionArn: str = Field(pattern=TASK_DEFINITION_ARN)
    family: str
    revision: int
    status: str
    containerDefinitions: tuple[ContainerDefinition, ...]
    executionRoleArn: str | None = None


class DescribeTaskDefinitionAnswer(Answer):
    taskDefinition: TaskDefinitionBody


class DeploymentAnswer(Answer):
    """A deployment of a service with the rolling (ECS) controller."""

    id: str
    status: str
    taskDefinition: str = Field(pattern=TASK_DEFINITION_ARN)
    rolloutState: str | None = None
    rolloutStateReason: str | None = None
    desiredCount: int
    runningCount: int
    failedTasks: int = 0
    createdAt: datetime | None = None


class TaskSetAnswer(Answer):
    """A task set of a CODE_DEPLOY or EXTERNAL service.

    AWS always sends the counts; moto 5.2 omits runningCount and computedDesiredCount, so
    they default to 0 (a missing count can then only raise a finding, never hide one).
    """

    id: str
    status: str
    taskDefinition: str = Field(pattern=TASK_DEFINITION_ARN)
    computedDesiredCount: int = 0
    runningCount: int = 0
    stabilityStatus: str | None = None
    createdAt: datetime | None = None


class DeploymentController(Answer):
    type: str = "ECS"


class TagAnswer(Answer):
    key: str
    value: str = ""


class ServiceAnswer(Answer):
    serviceName: str
    serviceArn: str
    status: str
    desiredCount: int
    runningCount: int
    deploymentController: DeploymentController = DeploymentController()
    deployments: tuple[DeploymentAnswer, ...] = ()
    taskSets: tuple[TaskSetAnswer, ...] = ()
    # Only with include=["TAGS"]; AWS leaves the key out for a service without tags.
    tags: tuple[TagAnswer, ...] = ()


class ServiceFailure(Answer):
    arn: str | None = None
    reason: str | None = None


class DescribeServicesAnswer(Answer):
    services: tuple[ServiceAnswer, ...]
    failures: tuple[ServiceFailure, ...]


class ContainerImageAnswer(Answer):
    containerName: str | None = None
    image: str | None = None
    imageDigest: str | None = None


class ServiceRevisionAnswer(Answer):
    """One service revision: what a deployment's target will run (DescribeServiceRevisions)."""

    serviceRevisionArn: str
    serviceArn: str
    taskDefinition: str = Field(pattern=TASK_DEFINITION_ARN)
    containerImages: tuple[ContainerImageAnswer, ...] = ()


class RevisionFailure(Answer):
    arn: str | None = None
    reason: str | None = None


Item = TypeVar("Item")


def the_one_asked(
    items: Sequence[Item],
    named: Callable[[Item], str],
    asked: str,
    failures: Sequence[RevisionFailure],
    operation: str,
    noun: str,
) -> Item:
    """The one item a batch answer gives for `asked` (a revision, a deployment): any failure
    in the answer, or not exactly one item named `asked`, is ItemFailureError (could not
    verify), never read as "nothing there"."""
    for failure in failures:
        reason = shown_reason(failure.reason)
        raise ItemFailureError(
            operation, f"answered the {noun} with failure {reason}", failure.reason
        )
    found = [item for item in items if named(item) == asked]
    if len(found) != 1:
        raise ItemFailureError(operation, f"answered neither the {noun} asked nor a failure")
    return found[0]


class DescribeServiceRevisionsAnswer(Answer):
    # Both required: an answer without them has not said whether the revision exists.
    serviceRevisions: tuple[ServiceRevisionAnswer, ...]
    failures: tuple[RevisionFailure, ...]


class ServiceDeploymentBrief(Answer):
    """One service deployment as ListServiceDeployments lists it."""

    serviceDeploymentArn: str
    status: str


class ListServiceDeploymentsAnswer(Answer):
    serviceDeployments: tuple[ServiceDeploymentBrief, ...]
    nextToken: str | None = None


class LifecycleHookDetail(Answer):
    """A lifecycle hook of a deployment: a PAUSE hook AWAITING_ACTION waits for
    ContinueServiceDeployment with its hookId."""

    hookId: str
    status: str
    targetType: str | None = None


class RevisionSummary(Answer):
    arn: str


class ServiceDeploymentAnswer(Answer):
    """One service deployment (DescribeServiceDeployments): its target revision and hooks."""

    serviceDeploymentArn: str
    serviceArn: str
    status: str
    targetServiceRevision: RevisionSummary | None = None
    lifecycleStage: str | None = None
    lifecycleHookDetails: tuple[LifecycleHookDetail, ...] = ()


class DescribeServiceDeploymentsAnswer(Answer):
    # Both required, as for revisions: without them the answer has said nothing.
    serviceDeployments: tuple[ServiceDeploymentAnswer, ...]
    failures: tuple[RevisionFailure, ...]


class ContinueServiceDeploymentAnswer(Answer):
    serviceDeploymentArn: str


class ListClustersAnswer(Answer):
    clusterArns: tuple[str, ...]
    nextToken: str | None = None


class ListServicesAnswer(Answer):
    serviceArns: tuple[str, ...]
    nextToken: str | None = None


class ListTaskDefinitionsAnswer(Answer):
    taskDefinitionArns: tuple[str, ...]
    nextToken: str | None = None


# --- Secret stores -------------------------------------------------------------------------


class DescribeSecretAnswer(Answer):
    ARN: str
    Name: str
    DeletedDate: datetime | None = None
    VersionIdsToStages: dict[str, tuple[str, ...]] | None = None
    KmsKeyId: str | None = None  # absent: the AWS managed key aws/secretsmanager


class ParameterAnswer(Answer):
    Name: str
    Type: str | None = None
    KeyId: str | None = None  # SecureString only; alias/aws/ssm is the AWS managed key
    ARN: str | None = None


class DescribeParametersAnswer(Answer):
    Parameters: tuple[ParameterAnswer, ...]
    NextToken: str | None = None


# --- Logs and metrics ----------------------------------------------------------------------


class LogEvent(Answer):
    timestamp: int  # the message is never read


class FilterLogEventsAnswer(Answer):
    events: tuple[LogEvent, ...]
    nextToken: str | None = None


class ResponseMetadata(Answer):
    RequestId: str = Field(min_length=1)
    HTTPStatusCode: int = Field(ge=200, le=299)


class AcknowledgedAnswer(Answer):
    """An answer with no body (PutMetricData): only AWS's request id shows it was received."""

    ResponseMetadata: ResponseMetadata


# --- ECR ---------------------------------------------------------------------------------


class ImageIdAnswer(Answer):
    imageDigest: str | None = None
    imageTag: str | None = None


class ImageDetailAnswer(Answer):
    imageDigest: str
    imageTags: tuple[str, ...] = ()


class DescribeImagesAnswer(Answer):
    imageDetails: tuple[ImageDetailAnswer, ...]
    nextToken: str | None = None


class ListTasksAnswer(Answer):
    taskArns: tuple[str, ...]
    nextToken: str | None = None


class TaskAnswer(Answer):
    taskArn: str
    taskDefinitionArn: str
    lastStatus: str
    desiredStatus: str | None = None
    startedBy: str | None = None
    group: str | None = None
    stoppedReason: str | None = None
    stopCode: str | None = None
    startedAt: datetime | None = None
    stoppingAt: datetime | None = None  # set while it stops (DEPROVISIONING), before stoppedAt
    stoppedAt: datetime | None = None


class TaskFailureAnswer(Answer):
    arn: str | None = None
    reason: str | None = None


class DescribeTasksAnswer(Answer):
    tasks: tuple[TaskAnswer, ...]
    failures: tuple[TaskFailureAnswer, ...]


# --- IAM policy simulator and KMS ----------------------------------------------------------

Decision = Literal["allowed", "explicitDeny", "implicitDeny"]


class ResourceResultAnswer(Answer):
    EvalResourceName: str
    EvalResourceDecision: Decision
    MissingContextValues: tuple[str, ...] = ()


class EvaluationResultAnswer(Answer):
    EvalActionName: str
    EvalDecision: Decision
    EvalResourceName: str | None = None
    MissingContextValues: tuple[str, ...] = ()
    ResourceSpecificResults: tuple[ResourceResultAnswer, ...] = ()


class SimulationAnswer(Answer):
    """SimulatePrincipalPolicy: one result per action (per action and resource before 2025)."""

    EvaluationResults: tuple[EvaluationResultAnswer, ...]
    IsTruncated: bool = False
    Marker: str | None = None

    @model_validator(mode="after")
    def _marker_when_truncated(self) -> SimulationAnswer:
        # A truncated page without a marker would silently drop the results after it.
        if self.IsTruncated and not self.Marker:
            raise ValueError("IsTruncated without a Marker")
        return self

    @property
    def next_marker(self) -> str | None:
        """The marker of the next page, only when IAM says there is one."""
        return self.Marker if self.IsTruncated else None


class KeyMetadataAnswer(Answer):
    Arn: str = Field(pattern=r"^arn:[^:\s]+:kms:[^:\s]+:[0-9]{12}:key/\S+$")
    KeyManager: str | None = None


class DescribeKeyAnswer(Answer):
    KeyMetadata: KeyMetadataAnswer
