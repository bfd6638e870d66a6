"""Make moto's ECS roll out a deployment the way real ECS does. Used by the demo and the tests.

moto 5.2 does not replace the PRIMARY deployment on update_service: it changes
service.taskDefinition but keeps a single PRIMARY deployment on the old revision, and a
new service stays IN_PROGRESS with no running tasks forever. Real ECS starts a new PRIMARY
deployment on the new revision, keeps the old one ACTIVE until it drains, then drops it.
drift-gate reads the PRIMARY deployment, so without this the emulated account would never
show a completed redeploy. This reaches into moto internals (moto/ecs/models.py:
Service.deployments is a list of dicts), which is why the extras pin moto to 5.2.x.
It works in-process and with moto's ThreadedMotoServer, which shares the process.
"""

from __future__ import annotations

import itertools
from typing import Any

_deployment_ids = itertools.count(1)


def _service(cluster: str, service: str, region: str, account_id: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[account_id][region].services[f"{cluster}:{service}"]


def _default_account() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return str(DEFAULT_ACCOUNT_ID)


def settle(cluster: str, service: str, region: str, account_id: str | None = None) -> None:
    """Finish the current PRIMARY deployment: every desired task running, rollout COMPLETED."""
    state = _service(cluster, service, region, account_id or _default_account())
    primary = state.deployments[0]
    primary.update(rolloutState="COMPLETED", runningCount=state.desired_count, pendingCount=0)
    state.deployments = [primary]
    state.running_count = state.desired_count
    state.pending_count = 0


def roll_out(
    cluster: str,
    service: str,
    task_definition_arn: str,
    region: str,
    *,
    completed: bool = True,
    account_id: str | None = None,
) -> None:
    """Start a new PRIMARY deployment on `task_definition_arn`, as ECS does on update_service.

    With completed=True the old deployment has drained and the rollout is COMPLETED; with
    completed=False the old deployment stays ACTIVE and the new one is IN_PROGRESS.
    """
    state = _service(cluster, service, region, account_id or _default_account())
    previous = dict(state.deployments[0], status="ACTIVE")
    new = dict(
        previous,
        id=f"ecs-svc/drift-gate-compat-{next(_deployment_ids)}",
        status="PRIMARY",
        taskDefinition=task_definition_arn,
        rolloutState="COMPLETED" if completed else "IN_PROGRESS",
        runningCount=state.desired_count if completed else 0,
        pendingCount=0 if completed else state.desired_count,
    )
    state.deployments = [new] if completed else [new, previous]
    state.task_definition = task_definition_arn
    state.running_count = state.desired_count if completed else previous.get("runningCount", 0)
