"""The tasks a service really runs, and the recently stopped ones: ecs:ListTasks and
ecs:DescribeTasks (100 a call), metadata only.

ECS lists a service's RUNNING tasks and the ones stopped in about the last hour. A task of a
service carries the group `service:NAME`: a task ListTasks named for the service that
DescribeTasks answers as another group's (an empty group, another name, another case, or an
emulator that ignores the serviceName filter) is "could not verify", never left out: left
out, the link would read "no task to look at" and pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drift_gate.sources.answers import (
    DescribeTasksAnswer,
    ItemFailureError,
    ListTasksAnswer,
    TaskAnswer,
    read_answer,
    shown_reason,
)
from drift_gate.sources.aws import chunks, pages

DESCRIBE_TASKS_LIMIT = 100
OPERATION = "ecs:DescribeTasks"


def service_tasks(client: Any, cluster: str, service: str) -> list[TaskAnswer]:
    """The service's RUNNING and recently STOPPED tasks, described."""
    arns = [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in _listed(client, cluster, service, status)
    ]
    tasks: list[TaskAnswer] = []
    for batch in chunks(list(dict.fromkeys(arns)), DESCRIBE_TASKS_LIMIT):
        tasks.extend(_describe(client, cluster, batch))
    for task in tasks:
        _check_group(task, service)
    return tasks


def _check_group(task: TaskAnswer, service: str) -> None:
    """A task listed for `service` must be answered as the service's (no group: taken as
    asked). The group itself is not printed: it is free text from the answer."""
    if task.group is None or task.group == f"service:{service}":
        return
    shown = "with an empty group" if not task.group.strip() else "as another group's task"
    raise ItemFailureError(
        OPERATION,
        f"answered task {task.taskArn}, which ecs:ListTasks named for service {service}, "
        f"{shown}, not service:{service}",
    )


def _listed(client: Any, cluster: str, service: str, status: str) -> list[str]:
    arguments = {
        "cluster": cluster,
        "serviceName": service,
        "desiredStatus": status,
        "maxResults": 100,
    }
    return [
        arn
        for page in pages(client.list_tasks, arguments, ListTasksAnswer, "ecs:ListTasks")
        for arn in page.taskArns
    ]


def _describe(client: Any, cluster: str, batch: Sequence[str]) -> tuple[TaskAnswer, ...]:
    """The tasks asked for, each answered: a task ListTasks just named that DescribeTasks
    answers with a failure (any reason: it was listed, so even MISSING means the answer
    changed under the run) or not at all is not verified, never "no task to look at"."""
    response = client.describe_tasks(cluster=cluster, tasks=list(batch))
    answer = read_answer(DescribeTasksAnswer, response, OPERATION)
    asked = set(batch)
    for failure in answer.failures:
        arn = failure.arn or "a task it did not name"
        if failure.arn not in asked:
            raise ItemFailureError(
                OPERATION, f"answered a failure for {arn}, not asked for", failure.reason
            )
        raise ItemFailureError(
            OPERATION,
            f"answered task {arn} with failure {shown_reason(failure.reason)}",
            failure.reason,
        )
    answered = {task.taskArn for task in answer.tasks}
    unanswered = [arn for arn in batch if arn not in answered]
    if unanswered:
        raise ItemFailureError(OPERATION, f"answered neither task {unanswered[0]} nor a failure")
    return tuple(task for task in answer.tasks if task.taskArn in asked)
