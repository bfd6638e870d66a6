"""`drift-gate await-hook`, end to end through the CLI over HTTP against the emulated incident
account: a deployment paused at a PAUSE hook (drift_gate/_moto_compat.start_paused_deployment)
is judged and answered with ContinueServiceDeployment. Exit codes exact; what the emulated
deployment became checked after each run; no planted value in any output."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, CliRun, MotoServer

POLICY = str(REPO / "policies" / "example.yaml")
CANARY_SECRETS = {
    "DATABASE_HOST": "canary-await-db-5d1e",
    "MLFLOW_SERVER_URL": "canary-await-mlflow-0b7c",
    "HUGGINGFACE_API_KEY": "hf_CanaryAwaitValue8Kd2pQ4mZ6xV1",
}
WITHOUT_KEY = [name for name in SECRET_NAMES if name != "HUGGINGFACE_API_KEY"]


@pytest.fixture
def account(moto_server: MotoServer) -> IncidentAccount:
    created = IncidentAccount.create(moto_server.client, CANARY_SECRETS)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    return created


def paused(account: IncidentAccount, secrets: list[str]) -> str:
    """A deployment of a new revision with these secrets, paused at PRE_SCALE_UP: its ARN."""
    return account.start_paused_deployment(account.register_revision(secrets))


def await_hook(cli: Cli, *extra: str) -> CliRun:
    result = cli.run(
        "await-hook",
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
        "--policy",
        POLICY,
        "--region",
        REGION,
        *extra,
    )
    for canary in CANARY_SECRETS.values():
        assert canary not in result.stdout + result.stderr, "a planted value leaked"
    return result


def hook_status(deployment: str) -> tuple[str, str]:
    state = _moto_compat.service_deployment(deployment)
    return state["status"], state["lifecycleHookDetails"][0]["status"]


def test_the_revision_without_the_key_is_rolled_back(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    deployment = paused(account, WITHOUT_KEY)
    result = await_hook(cli_on_moto, "--format", "json")
    assert result.exit_code == 1, result.stderr
    assert f"drift-gate: ROLLBACK sent to {deployment}" in result.stderr
    report = json.loads(result.stdout)
    assert any(
        f["rule_id"] == "DG101" and f["target"]["variable"] == "HUGGINGFACE_API_KEY"
        for f in report["findings"]
    )
    assert hook_status(deployment) == ("ROLLBACK_SUCCESSFUL", "FAILED")


def test_the_fixed_revision_is_continued(account: IncidentAccount, cli_on_moto: Cli) -> None:
    deployment = paused(account, list(SECRET_NAMES))
    result = await_hook(cli_on_moto)
    assert result.exit_code == 0, result.stderr
    assert f"drift-gate: CONTINUE sent to {deployment}" in result.stderr
    assert hook_status(deployment) == ("SUCCESSFUL", "SUCCEEDED")


def test_it_waits_for_a_deployment_that_pauses_later(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    revision = account.register_revision(WITHOUT_KEY)
    started: list[str] = []
    later = threading.Timer(1.0, lambda: started.append(account.start_paused_deployment(revision)))
    later.start()
    try:
        result = await_hook(cli_on_moto, "--timeout", "30")
    finally:
        later.join()
    assert result.exit_code == 1, result.stderr
    assert f"drift-gate: ROLLBACK sent to {started[0]}" in result.stderr
    assert hook_status(started[0]) == ("ROLLBACK_SUCCESSFUL", "FAILED")


def test_no_hook_awaiting_action_in_time_continues_nothing(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    result = await_hook(cli_on_moto, "--timeout", "1")
    assert result.exit_code == 3
    assert "had a PAUSE hook awaiting action within 1 s; nothing was continued" in result.stderr
    assert "sent to" not in result.stderr


def _after_first(fault: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The first DescribeServiceDeployments answered (the hook found), the next ones faulty."""
    calls = iter(range(10**6))

    def describe(self: Any) -> Any:
        if next(calls) == 0:
            return _moto_compat._describe_service_deployments(self)
        return fault(self)

    return describe


def _throttled(self: Any) -> Any:
    raise JsonRESTError("ThrottlingException", "Rate exceeded")


def _malformed(self: Any) -> Any:
    return ActionResult({"failures": []})  # no serviceDeployments: nothing said either way


@pytest.mark.parametrize("fault", [_throttled, _malformed], ids=["throttled", "malformed"])
@pytest.mark.parametrize(
    ("setting", "action", "status"),
    [("fail", "ROLLBACK", "ROLLBACK_SUCCESSFUL"), ("continue", "CONTINUE", "SUCCESSFUL")],
)
def test_a_deployment_that_cannot_be_described_is_not_passed_silently(
    account: IncidentAccount,
    cli_on_moto: Cli,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[Any], Any],
    setting: str,
    action: str,
    status: str,
) -> None:
    deployment = paused(account, list(SECRET_NAMES))  # would pass if it were confirmed
    monkeypatch.setattr(
        EC2ContainerServiceResponse, "describe_service_deployments", _after_first(fault)
    )
    result = await_hook(cli_on_moto, "--unverified", setting, "--max-attempts", "1")
    assert result.exit_code == 3, result.stderr
    assert f"drift-gate: {action} sent to {deployment}" in result.stderr
    assert "ecs:DescribeServiceDeployments" in result.stderr
    assert ("WITHOUT verifying" in result.stderr) == (setting == "continue")
    assert hook_status(deployment)[0] == status


@pytest.mark.parametrize(
    ("setting", "action", "status"),
    [("fail", "ROLLBACK", "ROLLBACK_SUCCESSFUL"), ("continue", "CONTINUE", "SUCCESSFUL")],
)
def test_a_revision_that_cannot_be_described_is_rolled_back_unless_told(
    account: IncidentAccount,
    cli_on_moto: Cli,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    action: str,
    status: str,
) -> None:
    deployment = paused(account, list(SECRET_NAMES))
    monkeypatch.setattr(EC2ContainerServiceResponse, "describe_service_revisions", _throttled)
    result = await_hook(cli_on_moto, "--unverified", setting, "--max-attempts", "1")
    assert result.exit_code == 3, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("drift-gate: "))
    assert line.startswith(f"drift-gate: {action} sent to {deployment}")
    assert "could not be verified" in line
    assert "ecs:DescribeServiceRevisions" in line
    assert hook_status(deployment)[0] == status


def test_a_fault_before_any_hook_is_known_continues_nothing(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = paused(account, list(SECRET_NAMES))
    monkeypatch.setattr(EC2ContainerServiceResponse, "describe_service_deployments", _throttled)
    result = await_hook(cli_on_moto, "--max-attempts", "1")
    assert result.exit_code == 3
    assert "throttled on ecs:DescribeServiceDeployments" in result.stderr
    assert "nothing was continued or rolled back" in result.stderr
    assert hook_status(deployment) == ("IN_PROGRESS", "AWAITING_ACTION")


def test_denied_deployment_reads_name_what_to_grant(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = paused(account, list(SECRET_NAMES))

    def denied(self: Any) -> Any:
        raise JsonRESTError("AccessDeniedException", "not authorized")

    monkeypatch.setattr(EC2ContainerServiceResponse, "list_service_deployments", denied)
    result = await_hook(cli_on_moto, "--max-attempts", "1")
    assert result.exit_code == 3
    assert "access denied to ecs:ListServiceDeployments" in result.stderr
    assert "Grant ecs:ListServiceDeployments and ecs:DescribeServiceDeployments" in result.stderr
    assert hook_status(deployment) == ("IN_PROGRESS", "AWAITING_ACTION")


def test_a_denied_answer_is_could_not_verify_with_the_reason(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = paused(account, list(SECRET_NAMES))

    def denied(self: Any) -> Any:
        raise JsonRESTError("AccessDeniedException", "not authorized")

    monkeypatch.setattr(EC2ContainerServiceResponse, "continue_service_deployment", denied)
    result = await_hook(cli_on_moto, "--max-attempts", "1")
    assert result.exit_code == 3
    assert (
        f"could not send CONTINUE to {deployment}: access denied to "
        "ecs:ContinueServiceDeployment" in result.stderr
    )
    assert hook_status(deployment) == ("IN_PROGRESS", "AWAITING_ACTION")


def test_a_missing_policy_is_bad_input_before_any_call(cli: Cli) -> None:
    result = cli.run(
        "await-hook",
        "--cluster",
        "c",
        "--service",
        "s",
        "--policy",
        "nope.yaml",
        "--region",
        REGION,
    )
    assert result.exit_code == 2
