"""`iam-policy --await-hook` under moto's IAM enforcement: the role it prints lets
`drift-gate await-hook` judge a paused deployment and answer it; without the one write
(ContinueServiceDeployment) nothing is sent and the run is exit 3. The same setup as
tests/e2e/test_hook_iam.py."""

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
