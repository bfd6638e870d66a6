"""The running tasks: do they run the PRIMARY revision, and do they start (DG210-DG212)?"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from drift_gate.checks.tasks import check_tasks, target_tasks_starting, tasks_unverified
from drift_gate.engine.service_run import LinkOutcome, ServiceRun, outcome_of
from drift_gate.sources.aws import AWS_FAILURES, classify_failure
from drift_gate.sources.tasks import service_tasks


def check_running_tasks(
    runs: Sequence[ServiceRun], ecs: Any, since: datetime | None = None, workers: int = 8
) -> list[LinkOutcome]:
    """Each service's tasks, read concurrently (they are independent round trips); stopped
    ones count from `since` (--since), else from the PRIMARY deployment's start."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda run: _tasks_outcome(run, ecs, since), runs))


def check_target_tasks(run: ServiceRun, ecs: Any) -> LinkOutcome:
    """After scale-up (a lifecycle hook at POST_SCALE_UP): the target revision's tasks, read
    as `check` reads a service's (DG211: secrets that could not be pulled), and those still
    starting (DG901, which the hook waits on)."""
    if run.state is None:
        return LinkOutcome(not_checked="the service was not read")
    context = run.context()
    try:
        tasks = service_tasks(ecs, run.state.cluster, run.state.name)
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:ListTasks")
        return outcome_of([tasks_unverified(context, failure.reason, failure.fix)])
    if run.deployed is None:
        return LinkOutcome(not_checked="the target revision's task definition was not read")
    revision = run.deployed.arn  # the hook's target: not necessarily the PRIMARY's yet
    found = check_tasks(context, run.state, tasks, revision=revision)
    return outcome_of([*found, *target_tasks_starting(context, run.state, tasks, revision)])


def _tasks_outcome(run: ServiceRun, ecs: Any, since: datetime | None) -> LinkOutcome:
    if run.state is None:
        return LinkOutcome(not_checked="the service was not read")
    context = run.context()
    try:
        tasks = service_tasks(ecs, run.state.cluster, run.state.name)
    except AWS_FAILURES as error:
        failure = classify_failure(error, "ecs:ListTasks")
        return outcome_of([tasks_unverified(context, failure.reason, failure.fix)])
    if not tasks:
        return LinkOutcome(not_checked="no running or recently stopped task to look at")
    return outcome_of(check_tasks(context, run.state, tasks, since))
