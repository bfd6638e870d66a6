"""A service's deployment paused at a PAUSE lifecycle hook, and the call that ends the pause.

`ecs:ListServiceDeployments` names the service's IN_PROGRESS deployment,
`ecs:DescribeServiceDeployments` says its status, target revision and lifecycle hooks (a
PAUSE hook `AWAITING_ACTION` waits for `ecs:ContinueServiceDeployment` with its `hookId`).
Every answer is validated where it arrives; an answer about something else, or a failure
for the deployment asked, is "could not verify" (ItemFailureError), never "no hook yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drift_gate.sources.answers import (
    ContinueServiceDeploymentAnswer,
    DescribeServiceDeploymentsAnswer,
    ItemFailureError,
    ListServiceDeploymentsAnswer,
    read_answer,
    the_one_asked,
)
from drift_gate.sources.aws_paging import pages

LIST = "ecs:ListServiceDeployments"
DESCRIBE = "ecs:DescribeServiceDeployments"
CONTINUE = "ecs:ContinueServiceDeployment"
MAX_PAGES = 10  # a service has few deployments in progress: more pages is an endless answer


@dataclass(frozen=True)
class PausedDeployment:
    """A deployment waiting at a PAUSE hook: what to check and what to continue."""

    deployment_arn: str
    service_arn: str
    revision_arn: str
    hook_id: str
    stage: str | None


def in_progress_deployments(client: Any, cluster: str, service: str) -> list[str]:
    """The ARNs of the service's IN_PROGRESS deployments (bounded pages)."""
    asked = {"cluster": cluster, "service": service, "status": ["IN_PROGRESS"]}
    answers = pages(
        client.list_service_deployments, asked, ListServiceDeploymentsAnswer, LIST, most=MAX_PAGES
    )
    return [
        d.serviceDeploymentArn
        for answer in answers
        for d in answer.serviceDeployments
        if d.status == "IN_PROGRESS"
    ]


def paused_at_hook(client: Any, deployment_arn: str) -> PausedDeployment | None:
    """The deployment if a PAUSE hook of it awaits action, else None."""
    response = client.describe_service_deployments(serviceDeploymentArns=[deployment_arn])
    answer = read_answer(DescribeServiceDeploymentsAnswer, response, DESCRIBE)
    deployment = the_one_asked(
        answer.serviceDeployments,
        lambda d: d.serviceDeploymentArn,
        deployment_arn,
        answer.failures,
        DESCRIBE,
        "deployment",
    )
    hooks = [
        h
        for h in deployment.lifecycleHookDetails
        if h.status == "AWAITING_ACTION" and h.targetType in (None, "PAUSE")
    ]
    if not hooks:
        return None
    if deployment.targetServiceRevision is None:
        raise ItemFailureError(DESCRIBE, "answered a paused deployment without its target revision")
    return PausedDeployment(
        deployment_arn,
        deployment.serviceArn,
        deployment.targetServiceRevision.arn,
        hooks[0].hookId,
        deployment.lifecycleStage,
    )


def continue_deployment(client: Any, paused: PausedDeployment, action: str) -> None:
    """CONTINUE or ROLLBACK the paused deployment (the one write drift-gate makes here)."""
    response = client.continue_service_deployment(
        serviceDeploymentArn=paused.deployment_arn, hookId=paused.hook_id, action=action
    )
    answer = read_answer(ContinueServiceDeploymentAnswer, response, CONTINUE)
    if answer.serviceDeploymentArn != paused.deployment_arn:
        raise ItemFailureError(CONTINUE, "answered another deployment")


def hook_state(client: Any, paused: PausedDeployment) -> str:
    """The status the deployment now shows for the hook judged ("not shown" when it has
    none by that id): what became of an answer whose call failed."""
    response = client.describe_service_deployments(serviceDeploymentArns=[paused.deployment_arn])
    answer = read_answer(DescribeServiceDeploymentsAnswer, response, DESCRIBE)
    deployment = the_one_asked(
        answer.serviceDeployments,
        lambda d: d.serviceDeploymentArn,
        paused.deployment_arn,
        answer.failures,
        DESCRIBE,
        "deployment",
    )
    found = [h.status for h in deployment.lifecycleHookDetails if h.hookId == paused.hook_id]
    return found[0] if found else "not shown"
