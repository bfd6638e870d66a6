"""An ECS event from EventBridge, validated where it arrives: what `drift-gate on-event` and
the Lambda's event path read of it (docs/deploy-hook.md, "Re-check on deployment events").

Two kinds are re-checked (docs.aws.amazon.com/AmazonECS/latest/developerguide/
ecs_service_deployment_events.html and ecs_cwe_events.html):

- "ECS Deployment State Change": `resources` = [the service's ARN], `detail.eventName`,
  `detail.deploymentId`, `detail.reason`;
- "ECS Task State Change": `detail.clusterArn`, `detail.group` ("service:NAME" for a
  service's task), `detail.taskArn`, `detail.lastStatus`, `detail.stoppedReason`, and
  `detail.version`, which grows with each change of the task.

A field drift-gate reads that is missing or of the wrong type is InvalidInputError naming the
field, never quoting a value (exit 2). Whether an event is worth a re-check is decided here
too (`ignored_because`), from the fields alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift_gate.errors import InvalidInputError

DEPLOYMENT = "ECS Deployment State Change"
TASK = "ECS Task State Change"
RECHECKED_DEPLOYMENTS = ("SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_DEPLOYMENT_FAILED")
IN_PROGRESS = "SERVICE_DEPLOYMENT_IN_PROGRESS"
# A circuit breaker's rollback starts with an IN_PROGRESS event whose reason says so:
# "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/...".
_ROLLBACK = re.compile(r"\broll(?:ing|ed)?[ -]?back\b", re.IGNORECASE)
# "ResourceInitializationError: unable to pull secrets or registry auth: ... unable to
# retrieve secret from asm: ..."
_SECRETS_NOT_PULLED = re.compile(r"unable to (?:pull|retrieve) secret|registry auth", re.IGNORECASE)
_CLUSTER_ARN = re.compile(
    r"^(?P<prefix>arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}):cluster/(?P<cluster>[A-Za-z0-9_-]{1,255})\Z"
)
_SERVICE_GROUP = re.compile(r"^service:(?P<service>[A-Za-z0-9_-]{1,255})\Z")
_MAX_TEXT = 4096  # a reason longer than this is not one ECS wrote


@dataclass(frozen=True)
class EcsEvent:
    """What drift-gate reads of an ECS event; `service_arn` is None for a task of no service."""

    kind: str  # "deployment" or "task"
    event_id: str
    detail_type: str
    service_arn: str | None
    event_name: str | None = None  # deployments
    deployment_id: str | None = None
    reason: str = ""
    task_arn: str | None = None  # tasks
    version: int | None = None
    last_status: str | None = None


def parse_event(event: object) -> EcsEvent | str:
    """The event, or why it is not one drift-gate reads (an ECS event of another kind: the
    reason it is ignored); InvalidInputError for one that is not an ECS event at all, or a
    deployment or task event missing a field drift-gate reads."""
    if not isinstance(event, Mapping):
        raise InvalidInputError("the event is not a JSON object")
    if event.get("source") != "aws.ecs":
        raise InvalidInputError('the event\'s source is not "aws.ecs"')
    detail_type = _text(event, "detail-type", "detail-type")
    event_id = _text(event, "id", "id")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise InvalidInputError("the event has no detail object")
    if detail_type == DEPLOYMENT:
        return _deployment(event, detail, event_id)
    if detail_type == TASK:
        return _task(detail, event_id)
    return f"{_printable(detail_type)} events are not re-checked"


def _deployment(event: Mapping[str, Any], detail: Mapping[str, Any], event_id: str) -> EcsEvent:
    resources = event.get("resources")
    if not isinstance(resources, list) or len(resources) != 1 or not isinstance(resources[0], str):
        raise InvalidInputError("the event's resources is not a list of one service ARN")
    reason = detail.get("reason", "")
    if not isinstance(reason, str) or len(reason) > _MAX_TEXT:
        raise InvalidInputError("the event has no detail.reason string")
    return EcsEvent(
        "deployment",
        event_id,
        DEPLOYMENT,
        resources[0],
        event_name=_text(detail, "eventName", "detail.eventName"),
        deployment_id=_text(detail, "deploymentId", "detail.deploymentId"),
        reason=reason,
    )


def _task(detail: Mapping[str, Any], event_id: str) -> EcsEvent:
    version = detail.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InvalidInputError("the event has no detail.version number")
    reason = detail.get("stoppedReason", "")
    if not isinstance(reason, str) or len(reason) > _MAX_TEXT:
        raise InvalidInputError("the event's detail.stoppedReason is not a string")
    group = detail.get("group", "")
    if not isinstance(group, str):
        raise InvalidInputError("the event's detail.group is not a string")
    return EcsEvent(
        "task",
        event_id,
        TASK,
        _service_of(_text(detail, "clusterArn", "detail.clusterArn"), group),
        reason=reason,
        task_arn=_text(detail, "taskArn", "detail.taskArn"),
        version=version,
        last_status=_text(detail, "lastStatus", "detail.lastStatus"),
    )


def _service_of(cluster_arn: str, group: str) -> str | None:
    """arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME from the task's cluster and group."""
    cluster = _CLUSTER_ARN.match(cluster_arn)
    if cluster is None:
        raise InvalidInputError(
            "the event's detail.clusterArn is not arn:aws:ecs:REGION:ACCOUNT:cluster/NAME"
        )
    service = _SERVICE_GROUP.match(group)
    if service is None:
        return None  # a task started on its own (RunTask), or by another scheduler
    return f"{cluster['prefix']}:service/{cluster['cluster']}/{service['service']}"


def ignored_because(event: EcsEvent) -> str | None:
    """Why this event needs no re-check, or None when it does."""
    if event.kind == "deployment":
        if event.event_name in RECHECKED_DEPLOYMENTS:
            return None
        if event.event_name == IN_PROGRESS and _ROLLBACK.search(event.reason):
            return None
        name = _printable(event.event_name or "")
        return f"{name} is not a completed, failed or rolled-back deployment"
    if event.service_arn is None:
        return "the task belongs to no service (its group is not service:NAME)"
    if event.last_status != "STOPPED":
        return "the task has not stopped"
    if not _SECRETS_NOT_PULLED.search(event.reason):
        return "the task did not stop for secrets or registry auth that could not be pulled"
    return None


def _text(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
        raise InvalidInputError(f"the event has no {where} string")
    return value


def _printable(value: str) -> str:
    """An event's own word, shown in the log: letters, digits, spaces and -_ only, short."""
    return re.sub(r"[^A-Za-z0-9 _-]", "?", value)[:80]
