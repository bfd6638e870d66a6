"""The lifecycle hook after scale-up (POST_SCALE_UP): the target revision's tasks are read as
`check` reads a service's. Still starting: IN_PROGRESS; stopped because their secrets could
not be pulled: FAILED with DG211. End to end through `drift-gate lifecycle-hook` over HTTP on
the emulated incident account; moto runs no task, so ListTasks and DescribeTasks answer the
tasks each test gives (the answers ECS documents)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from tests.conftest import Cli, MotoServer
from tests.unit.test_lifecycle_hook import CANARY_SECRETS, payload, run_hook

TASK = f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/0123456789abcdef0123456789abcdef"
PULL_FAILED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
    "time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:"
    "hokusai/development/huggingface_api_key-AbCdEf"
)


@pytest.fixture
def account(moto_server: MotoServer) -> IncidentAccount:
    created = IncidentAccount.create(moto_server.client, CANARY_SECRETS)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    return created


def _scaled_up(account: IncidentAccount) -> tuple[str, str]:
    """The fixed revision's deployment, past scale-up: (its target revision, task def)."""
    task_definition = account.register_revision(list(SECRET_NAMES))
    return account.start_deployment(task_definition), task_definition


def _tasks(monkeypatch: pytest.MonkeyPatch, task: dict[str, Any]) -> None:
    """ListTasks names one task of the service (RUNNING or STOPPED as it is); DescribeTasks
    answers it."""
    stopped = task["desiredStatus"] == "STOPPED"

    def listed(self: Any) -> Any:
        wanted = self._get_param("desiredStatus")
        return ActionResult({"taskArns": [TASK] if (wanted == "STOPPED") == stopped else []})

    def described(self: Any) -> Any:
        return ActionResult({"tasks": [task], "failures": []})

    monkeypatch.setattr(EC2ContainerServiceResponse, "list_tasks", listed)
    monkeypatch.setattr(EC2ContainerServiceResponse, "describe_tasks", described)


def _task(task_definition: str, last: str, desired: str = "RUNNING", **more: str) -> dict[str, Any]:
    return {
        "taskArn": TASK,
        "taskDefinitionArn": task_definition,
        "lastStatus": last,
        "desiredStatus": desired,
        "group": f"service:{SERVICE}",
        **more,
    }


def _after_scale_up(revision: str) -> dict[str, Any]:
    event = payload(revision)
    event["lifecycleStage"] = "POST_SCALE_UP"
    return event


@pytest.mark.parametrize("last", ["PROVISIONING", "PENDING", "ACTIVATING"])
def test_tasks_still_starting_are_waited_for(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch, last: str
) -> None:
    revision, task_definition = _scaled_up(account)
    _tasks(monkeypatch, _task(task_definition, last))
    result, answer, log = run_hook(cli_on_moto, _after_scale_up(revision))
    assert (result.exit_code, answer["hookStatus"], answer["callBackDelay"]) == (
        3,
        "IN_PROGRESS",
        30,
    )
    assert "1 task(s) still starting" in log["reason"]
    assert answer["hookDetails"]["driftGateAttempt"] == 2


def test_tasks_that_could_not_pull_their_secrets_fail_the_deployment(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision, task_definition = _scaled_up(account)
    stopped = _task(
        task_definition,
        "STOPPED",
        "STOPPED",
        stopCode="TaskFailedToStart",
        stoppedReason=PULL_FAILED,
    )
    _tasks(monkeypatch, stopped)
    result, answer, log = run_hook(cli_on_moto, _after_scale_up(revision))
    assert (result.exit_code, answer["hookStatus"]) == (1, "FAILED")
    assert answer["hookDetails"]["findings"] == ["DG211"]
    (finding,) = [f for f in log["findings"] if f["rule"] == "DG211"]
    assert "could not fetch their secrets" in finding["message"]
    assert "secret:hokusai/development/huggingface_api_key-AbCdEf" in finding["message"]
    assert "retrieval failed" not in finding["message"]  # ECS's own words are not quoted


def test_running_tasks_of_the_verified_revision_go_through(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision, task_definition = _scaled_up(account)
    _tasks(monkeypatch, _task(task_definition, "RUNNING"))
    result, answer, _ = run_hook(cli_on_moto, _after_scale_up(revision))
    assert (result.exit_code, answer["hookStatus"]) == (0, "SUCCEEDED")


def test_tasks_that_cannot_be_listed_are_not_passed(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision, _ = _scaled_up(account)

    def denied(self: Any) -> Any:
        raise JsonRESTError("AccessDeniedException", "not authorized")

    monkeypatch.setattr(EC2ContainerServiceResponse, "list_tasks", denied)
    result, answer, log = run_hook(cli_on_moto, _after_scale_up(revision))
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")
    assert "access denied to ecs:ListTasks" in log["reason"]


def test_before_scale_up_no_task_is_asked_for(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision, _ = _scaled_up(account)

    def never(self: Any) -> Any:
        raise AssertionError("ListTasks at PRE_SCALE_UP")

    monkeypatch.setattr(EC2ContainerServiceResponse, "list_tasks", never)
    result, answer, _ = run_hook(cli_on_moto, payload(revision))  # PRE_SCALE_UP
    assert (result.exit_code, answer["hookStatus"]) == (0, "SUCCEEDED")


def test_the_target_revisions_tasks_are_judged_even_when_another_revision_is_primary(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The review's case: the tasks were filtered by the PRIMARY deployment's task definition,
    so a target revision whose task could not pull its secrets went through (SUCCEEDED)."""
    revision, task_definition = _scaled_up(account)
    account.start_deployment(account.register_revision(list(SECRET_NAMES)))  # now PRIMARY
    stopped = _task(
        task_definition,
        "STOPPED",
        "STOPPED",
        stopCode="TaskFailedToStart",
        stoppedReason=PULL_FAILED,
    )
    _tasks(monkeypatch, stopped)
    result, answer, _ = run_hook(cli_on_moto, _after_scale_up(revision))
    assert (result.exit_code, answer["hookStatus"]) == (1, "FAILED")
    assert answer["hookDetails"]["findings"] == ["DG211"]


def test_no_task_of_the_target_revision_yet_is_waited_for_never_passed(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision, task_definition = _scaled_up(account)
    running = [d["taskDefinition"] for d in account.service()["deployments"]]
    older = next(arn for arn in running if arn != task_definition)  # being replaced: ACTIVE
    _tasks(monkeypatch, _task(older, "RUNNING"))
    result, answer, log = run_hook(cli_on_moto, _after_scale_up(revision))
    assert (result.exit_code, answer["hookStatus"]) == (3, "IN_PROGRESS")
    assert "no task of it has started" in log["reason"]
