"""DG210-DG212: do the service's tasks run the PRIMARY revision, and do they start?

The reasons quoted are ECS's stoppedReason, from which only the secret or parameter ARN is
taken: the rest of a reason is never printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding, ServiceState
from drift_gate.sources.answers import TaskAnswer

# ECS's words when the agent cannot fetch a task's secrets (AWS docs, issues of
# amazon-ecs-deploy-task-definition and copilot-cli).
_SECRET_PULL = re.compile(
    r"unable to pull secrets or registry auth|retrieve secrets? from (?:asm|ssm)"
    r"|invalid ssm parameters",
    re.IGNORECASE,
)
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:(?:secretsmanager|ssm):[A-Za-z0-9:/_+=.@-]+")
_SSM_NAMES = re.compile(r"invalid ssm parameters:\s*([^\s,;]+)", re.IGNORECASE)
# "Right after starting": an essential container that exits within this is not a crash
# under load but a start that failed.
QUICK_EXIT = timedelta(seconds=60)


# On its way to STOPPED: a task whose secrets could not be pulled is DEPROVISIONING for a
# while (the agent tears down its network) with its stoppedReason already set; the reason,
# not the last word of its life cycle, is the finding.
_STOPPING = frozenset({"DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"})


def is_stopping(task: TaskAnswer) -> bool:
    """Stopped, or stopping: ECS will not run it again."""
    return task.lastStatus in _STOPPING or task.desiredStatus == "STOPPED"


def _stopped_at(task: TaskAnswer) -> datetime | None:
    return task.stoppedAt or task.stoppingAt


def _in_window(task: TaskAnswer, since: datetime | None) -> bool:
    # A time not answered cannot place the task before the window: it counts.
    at = _stopped_at(task)
    return since is None or at is None or at >= since


def check_tasks(
    context: ServiceContext,
    service: ServiceState,
    tasks: Sequence[TaskAnswer],
    window: datetime | None = None,
    revision: str | None = None,
) -> list[Finding]:
    """What the tasks say that the deployment counters do not. Stopped tasks count from the
    PRIMARY deployment's start, or from `window` (--since) when that is later. `revision`:
    the task definition whose tasks are judged (a lifecycle hook's target revision, which
    need not be the PRIMARY's yet); the PRIMARY's by default."""
    primary = service.primary
    if primary is None:
        return []
    findings = _stray(context, service, tasks)
    starts = [start for start in (primary.created_at, window) if start is not None]
    since = max(starts) if starts else None
    judged = revision or primary.task_definition_arn
    stopped = [
        task
        for task in tasks
        if is_stopping(task) and task.taskDefinitionArn == judged and _in_window(task, since)
    ]
    findings += _secret_pull_failures(context, stopped)
    findings += _quick_exits(context, stopped)
    return findings


def _stray(
    context: ServiceContext, service: ServiceState, tasks: Sequence[TaskAnswer]
) -> list[Finding]:
    active = {deployment.task_definition_arn for deployment in service.deployments}
    stray: dict[str, int] = {}
    for task in tasks:
        if not is_stopping(task) and task.taskDefinitionArn not in active:
            stray[task.taskDefinitionArn] = stray.get(task.taskDefinitionArn, 0) + 1
    primary = service.primary
    return [
        context.finding(
            "DG210",
            f"{count} running task(s) run {arn}, not the PRIMARY deployment's "
            f"{primary.task_definition_arn if primary else '(none)'} nor an ACTIVE one",
        )
        for arn, count in sorted(stray.items())
    ]


def _secret_pull_failures(context: ServiceContext, stopped: Sequence[TaskAnswer]) -> list[Finding]:
    failing = [t for t in stopped if t.stoppedReason and _SECRET_PULL.search(t.stoppedReason)]
    if not failing:
        return []
    named = sorted(
        {
            found
            for task in failing
            for found in _SECRET_ARN.findall(task.stoppedReason or "")
            + _SSM_NAMES.findall(task.stoppedReason or "")
        }
    )
    which = f": {', '.join(named)}" if named else ""
    message = (
        f"{len(failing)} task(s) of the PRIMARY deployment stopped because ECS could not "
        f"fetch their secrets{which}"
    )
    return [context.finding("DG211", message)]


def _quick_exits(context: ServiceContext, stopped: Sequence[TaskAnswer]) -> list[Finding]:
    quick = [
        task
        for task in stopped
        if task.stopCode == "EssentialContainerExited" and _short(task.startedAt, _stopped_at(task))
    ]
    if not quick:
        return []
    message = (
        f"{len(quick)} task(s) of the PRIMARY deployment stopped because an essential "
        f"container exited within {int(QUICK_EXIT.total_seconds())} s of starting"
    )
    return [context.finding("DG212", message)]


def _short(started: datetime | None, stopped: datetime | None) -> bool:
    return started is None or stopped is None or stopped - started <= QUICK_EXIT


# Launched, not started yet: at POST_SCALE_UP, the target revision's tasks may still be here.
_STARTING = frozenset({"PROVISIONING", "PENDING", "ACTIVATING"})
# The fix of "still starting": the lifecycle hook waits on it (IN_PROGRESS), as on a throttle.
TASKS_STARTING_FIX = (
    "Wait for the tasks to start: the lifecycle hook asks again (IN_PROGRESS) within its bound."
)


def target_tasks_starting(
    context: ServiceContext, service: ServiceState, tasks: Sequence[TaskAnswer], revision: str
) -> list[Finding]:
    """DG901 for a lifecycle hook after scale-up: tasks of the target revision still
    starting, or none of it yet while the service wants tasks, so whether they get their
    secrets is not known yet (the hook waits, within its bound)."""
    mine = [task for task in tasks if task.taskDefinitionArn == revision]
    starting = [t for t in mine if not is_stopping(t) and t.lastStatus in _STARTING]
    if mine and not starting:
        return []
    if not mine and service.desired_count == 0:
        return []  # a service scaled to zero starts no task: nothing to wait for
    count = f"{len(starting)} task(s) still starting (PROVISIONING, PENDING or ACTIVATING)"
    message = (
        f"could not verify the target revision's tasks yet: "
        f"{count if mine else 'no task of it has started'}"
    )
    return [context.finding("DG901", message, remediation=TASKS_STARTING_FIX)]


def tasks_unverified(context: ServiceContext, reason: str, fix: str | None) -> Finding:
    """DG901: the service's tasks could not be listed or described."""
    message = f"could not verify the service's tasks: {reason}"
    return context.finding("DG901", message, remediation=fix)
