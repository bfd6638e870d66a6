"""Act (f) of `drift-gate demo`: whoever deploys, the deployment lifecycle hook stops a
revision without HUGGINGFACE_API_KEY at PRE_SCALE_UP, before any task of it starts, and ECS
rolls back; the fixed revision's deployment then goes through.

The hook is the Lambda function's own engine (`answer_invocation`, what
`drift_gate.aws_lambda.handler` and `drift-gate lifecycle-hook` call) on the invocation ECS
sends at PRE_SCALE_UP; the deployment and its rollback are the emulation's
(drift_gate/_moto_compat.py), as ECS does them on the hook's answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from drift_gate.engine.hook import answer_invocation
from drift_gate.errors import ExitCode

if TYPE_CHECKING:
    from drift_gate.policy import Policy

Echo = Callable[[str], None]


class IncidentAccount(Protocol):
    """What the act needs of drift_gate.demo.IncidentAccount (not imported: demo imports
    this module)."""

    def allow_every_secret(self) -> None: ...
    def register_revision(self, secrets: list[str]) -> str: ...
    def start_deployment(self, task_definition_arn: str) -> str: ...
    def service(self) -> dict[str, Any]: ...
    def roll_back(self) -> None: ...
    def settle(self) -> None: ...


EXECUTION_ID = "4f1c9a52-demo-0000-0000-000000000006"  # fixed: the demo's output is stable


def hook_act(
    echo: Echo, account: IncidentAccount, policy: Policy, secret_names: tuple[str, ...]
) -> bool:
    """Act (f): the hook FAILs the revision without the key (no task started, rolled back),
    then SUCCEEDs the fixed one; True when both answers are the expected ones."""
    echo(
        "=== Act (f): whoever deploys (the console, another pipeline), the service's "
        "PRE_SCALE_UP lifecycle hook runs drift-gate before any task of the new revision starts"
    )
    account.allow_every_secret()  # the role fixed after act (e)
    without_key = account.register_revision(
        [name for name in secret_names if name != "HUGGINGFACE_API_KEY"]
    )
    stopped = _deploy(echo, account, without_key, policy, ExitCode.DRIFT)
    fixed = account.register_revision(list(secret_names))
    passed = _deploy(echo, account, fixed, policy, ExitCode.PASS)
    return stopped and passed


def _deploy(
    echo: Echo, account: IncidentAccount, task_definition: str, policy: Policy, expected: ExitCode
) -> bool:
    revision = account.start_deployment(task_definition)
    service = account.service()
    echo(
        f"$ aws ecs update-service --cluster {service['clusterArn'].rsplit('/', 1)[-1]} "
        f"--service {service['serviceName']} --task-definition {_short(task_definition)}"
    )
    echo(f"deployment started; target revision {revision}: {_tasks_of(account, task_definition)}")
    echo("$ drift-gate lifecycle-hook --event pre-scale-up.json  # the Lambda hook's answer")
    answer = answer_invocation(_invocation(account, revision), policy)
    echo(json.dumps(answer.response, indent=2, sort_keys=True))
    status = answer.response["hookStatus"]
    if status == "FAILED":
        account.roll_back()
        echo(f"ECS rolls the deployment back: {_deployments(account)}")
    elif status == "SUCCEEDED":
        account.settle()
        echo(f"ECS goes on with the deployment: {_deployments(account)}")
    echo(f"exit code {int(answer.exit_code)} (expected {int(expected)})\n")
    return answer.exit_code == expected


def _invocation(account: IncidentAccount, revision: str) -> dict[str, Any]:
    """What ECS sends the hook's function at PRE_SCALE_UP (lambda-lifecycle-hooks.html)."""
    return {
        "executionId": EXECUTION_ID,
        "lifecycleStage": "PRE_SCALE_UP",
        "executionDetails": {
            "serviceArn": account.service()["serviceArn"],
            "targetServiceRevisionArn": revision,
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
        },
        "hookDetails": {"unverified": "fail"},
    }


def _short(task_definition: str) -> str:
    return task_definition.rsplit("/", 1)[-1]


def _tasks_of(account: IncidentAccount, task_definition: str) -> str:
    """How many tasks of the new revision run: none at PRE_SCALE_UP."""
    service = account.service()
    running = sum(
        d.get("runningCount", 0)
        for d in service["deployments"]
        if d["taskDefinition"] == task_definition
    )
    return f"{running} task(s) of {_short(task_definition)} running"


def _deployments(account: IncidentAccount) -> str:
    service = account.service()
    return "; ".join(
        f"{d['status']} {_short(d['taskDefinition'])} ({d.get('rolloutState', '?')}, "
        f"{d.get('runningCount', 0)} running)"
        for d in service["deployments"]
    )
