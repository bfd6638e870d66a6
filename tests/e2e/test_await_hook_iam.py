"""The roles `iam-policy` prints for the deployment hook's other callers, under moto's IAM
enforcement: `--await-hook` lets `drift-gate await-hook` judge a paused deployment and answer
it (without the one write, ContinueServiceDeployment, nothing is sent: exit 3); the
`--lambda-hook --events` function role lets check's reads of the running service and its
metrics through (without ecs:ListTasks: exit 3). The same setup as tests/e2e/test_hook_iam.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, MotoServer
from tests.e2e.test_distribution import enforced, reset_auth  # noqa: F401
from tests.e2e.test_hook_iam import _user_with, _without

POLICY = REPO / "policies" / "example.yaml"


def widened_for_moto(role: dict[str, Any]) -> dict[str, Any]:
    """moto authorises ECS and IAM calls against "*" (it computes no service, deployment or
    role ARN), so a statement scoped to ARNs would deny every call there: the scoped
    Resources are widened for moto, after checking they are the printed ones. The actions
    stay as printed: moto enforces those."""
    for statement in role["Statement"]:
        if statement["Resource"] != "*":
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            assert all(f"/{CLUSTER}/{SERVICE}" in arn or ":role/" in arn for arn in resources)
            statement["Resource"] = "*"
    return role


@pytest.mark.e2e
def test_the_pause_hook_role_allows_every_call_await_hook_makes(
    enforced: MotoServer,  # noqa: F811
    cli_on_moto: Cli,
    tmp_path: Path,
) -> None:
    account = IncidentAccount.create(enforced.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    printed = cli_on_moto.run("iam-policy", "--policy", str(POLICY), "--await-hook")
    assert printed.exit_code == 0, printed.stderr
    role = widened_for_moto(json.loads(printed.stdout))
    allowed = _user_with(enforced, role, "pipeline")
    no_answer = _user_with(
        enforced, _without(role, "ecs:ContinueServiceDeployment"), "pipeline-without-answer"
    )
    fixed_revision = account.register_revision(list(SECRET_NAMES))
    without_key = [name for name in SECRET_NAMES if name != "HUGGINGFACE_API_KEY"]
    revision_without_key = account.register_revision(without_key)
    reset_auth(enforced, "0")  # from here on, every request is authorised against IAM

    def await_hook(credentials: dict[str, str]) -> tuple[int, str]:
        result = cli_on_moto.run(
            "await-hook", "--cluster", CLUSTER, "--service", SERVICE, "--policy", str(POLICY),
            "--region", REGION, "--timeout", "30", extra_env=credentials,
        )  # fmt: skip
        return result.exit_code, result.stderr

    fixed = account.start_paused_deployment(fixed_revision)
    code, said = await_hook(allowed)
    assert code == 0, said
    assert "CONTINUE sent" in said
    assert _moto_compat.service_deployment(fixed)["status"] == "SUCCESSFUL"
    stopped = account.start_paused_deployment(revision_without_key)
    code, said = await_hook(no_answer)
    assert code == 3, said
    assert "ecs:ContinueServiceDeployment" in said
    assert _moto_compat.service_deployment(stopped)["lifecycleHookDetails"][0]["status"] == (
        "AWAITING_ACTION"
    )  # nothing was sent


@pytest.mark.e2e
def test_the_events_role_allows_checking_the_running_service_and_publishing(
    enforced: MotoServer,  # noqa: F811
    cli_on_moto: Cli,
) -> None:
    """The re-check on events runs check's reads for one service: `check` of the incident's
    service, metrics published, runs under the `--lambda-hook --events` function role and
    finds the drift (exit 1, not 3: nothing it needed was denied)."""
    IncidentAccount.create(enforced.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    printed = cli_on_moto.run(
        "iam-policy", "--policy", str(POLICY), "--lambda-hook", "--events",
        "--publish-metrics", "DriftGate",
    )  # fmt: skip
    assert printed.exit_code == 0, printed.stderr
    role = json.loads(printed.stdout)["FunctionRolePolicy"]
    # The function's own log group is its runtime's business (Lambda writes it), not check's.
    role["Statement"] = [s for s in role["Statement"] if s["Sid"] != "DriftGateFunctionLog"]
    role = widened_for_moto(role)
    # moto authorises PutMetricData as monitoring:PutMetricData (CloudWatch's endpoint
    # prefix), not as IAM's cloudwatch:PutMetricData, and ignores the namespace condition:
    # the action is renamed for moto, the condition kept as printed (checked, with the
    # namespace scoping, in tests/unit/test_iam_roles.py).
    (metrics,) = [s for s in role["Statement"] if "cloudwatch:PutMetricData" in s["Action"]]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "DriftGate"}}
    metrics["Action"] = ["monitoring:PutMetricData"]
    allowed = _user_with(enforced, role, "recheck")
    no_tasks = _user_with(enforced, _without(role, "ecs:ListTasks"), "recheck-without-tasks")
    reset_auth(enforced, "0")  # from here on, every request is authorised against IAM

    def check(credentials: dict[str, str]) -> tuple[int, str]:
        result = cli_on_moto.run(
            "check", "--policy", str(POLICY), "--publish-metrics", "DriftGate",
            extra_env=credentials,
        )  # fmt: skip
        return result.exit_code, result.stdout + result.stderr

    code, said = check(allowed)
    assert code == 1, said  # the incident's drift, verified
    assert "HUGGINGFACE_API_KEY" in said
    code, said = check(no_tasks)
    assert code == 3, said
    assert "ecs:ListTasks" in said
