"""The incident, end to end: the installed CLI, over HTTP, against moto in server mode.

moto 5.2 does not replace the PRIMARY deployment on update_service (real ECS does), so
IncidentAccount.redeploy calls drift_gate._moto_compat.roll_out, the one documented helper
that makes moto's ECS behave as ECS does there. Without it act (c) could never pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, MotoServer, installed_cli

# The installed console script as a subprocess: here the real process is the point.
cli = pytest.fixture(name="cli")(installed_cli)

POLICY = REPO / "policies" / "example.yaml"

pytestmark = pytest.mark.e2e


def incident_account(moto_server: MotoServer) -> IncidentAccount:
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    return account


def check_json(cli: Cli, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    report_path = tmp_path / "report.json"
    result = cli.run(
        "check", "--policy", str(POLICY), "--format", "json", "--output", str(report_path), *extra
    )
    return result.exit_code, json.loads(report_path.read_text()), result.stderr


def rule_targets(report: dict[str, Any]) -> set[tuple[str, str | None, str | None]]:
    return {
        (f["rule_id"], f["target"]["container"], f["target"]["variable"])
        for f in report["findings"]
    }


def test_act_a_missing_secret_fails_and_names_it(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    incident_account(moto_server)

    exit_code, report, stderr = check_json(cli_on_moto, tmp_path)

    assert exit_code == 1
    assert report["verdict"] == "drift"
    assert rule_targets(report) == {("DG101", "api", "HUGGINGFACE_API_KEY")}
    finding = report["findings"][0]
    assert finding["declared_in"] == f"{POLICY}:13"
    assert finding["deployed_task_definition"].endswith("task-definition/hokusai-api-development:1")
    assert "DRIFT" in stderr  # the verdict line, since no console report went to stdout


def test_act_b_registered_but_not_deployed_fails(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = incident_account(moto_server)
    fixed = account.register_revision(list(SECRET_NAMES))

    exit_code, report, _ = check_json(cli_on_moto, tmp_path)

    assert exit_code == 1
    assert rule_targets(report) == {
        ("DG201", None, None),
        ("DG101", "api", "HUGGINGFACE_API_KEY"),
    }
    not_deployed = next(f for f in report["findings"] if f["rule_id"] == "DG201")
    assert not_deployed["latest_task_definition"] == fixed
    assert "registered but not deployed" in not_deployed["message"]
    assert (
        "--task-definition hokusai-api-development --force-new-deployment"
        in not_deployed["remediation"]
    )


def test_act_c_after_redeploy_passes(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = incident_account(moto_server)
    account.redeploy(account.register_revision(list(SECRET_NAMES)))

    exit_code, report, _ = check_json(cli_on_moto, tmp_path)

    assert exit_code == 0
    assert report["verdict"] == "pass"
    assert report["findings"] == []
    assert report["services"][0]["deployed_task_definition"].endswith(":2")
    # Minimum calls: one DescribeServices, one DescribeTaskDefinition, one family lookup,
    # one DescribeSecret per distinct secret (never a value-reading call), and the service's
    # running and stopped tasks (one ListTasks each; none here, so no DescribeTasks). The
    # image is not in ECR: no ECR call, and the link says "not checked".
    assert report["stats"]["aws_calls"] == {
        "ecs:DescribeServices": 1,
        "ecs:DescribeTaskDefinition": 1,
        "ecs:ListTaskDefinitions": 1,
        "ecs:ListTasks": 2,
        "iam:SimulatePrincipalPolicy": 1,  # the execution role, all three secrets at once
        "secretsmanager:DescribeSecret": 3,
    }
    role_link = link_state(report, "the execution role can read each secret")
    assert (role_link["state"], role_link["reason"]) == ("passed", None)


def link_state(report: dict[str, Any], words: str) -> dict[str, Any]:
    return next(link for link in report["services"][0]["links"] if link["link"] == words)


def test_variant_key_deployed_but_the_execution_role_cannot_read_it(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    """The incident's other ending: the key is in the running task definition, but the
    execution role's policy still lists only the two secrets it had before."""
    account = incident_account(moto_server)
    account.allow_secrets(
        [account.secret_arns["DATABASE_HOST"], account.secret_arns["MLFLOW_SERVER_URL"]]
    )
    account.redeploy(account.register_revision(list(SECRET_NAMES)))

    exit_code, report, _ = check_json(cli_on_moto, tmp_path)

    assert exit_code == 1
    assert rule_targets(report) == {("DG308", "api", "HUGGINGFACE_API_KEY")}
    (finding,) = report["findings"]
    role = account.execution_role_arn
    key_arn = account.secret_arns["HUGGINGFACE_API_KEY"]
    assert finding["message"] == (
        f"execution role {role} may not secretsmanager:GetSecretValue on secret "
        f"HUGGINGFACE_API_KEY of container api ({key_arn}): no policy of the role allows it "
        "(implicit deny)"
    )
    assert (
        f'"Action": "secretsmanager:GetSecretValue", "Resource": "{key_arn}"'
        in (finding["remediation"])
    )
    assert finding["declared_in"] == f"{POLICY}:13"  # the key's line in the policy
    assert link_state(report, "the execution role can read each secret")["state"] == "failed"
    # The other links hold: the key is deployed and the secret exists.
    assert link_state(report, "secrets exist")["state"] == "passed"
    assert link_state(report, "containers get declared names")["state"] == "passed"

    # The role's policy fixed: the gate passes.
    account.allow_secrets(list(account.secret_arns.values()))
    exit_code, report, _ = check_json(cli_on_moto, tmp_path)
    assert exit_code == 0, report["findings"]


def test_rollout_still_in_progress_warns_but_passes_under_fail_on_error(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = incident_account(moto_server)
    account.redeploy(account.register_revision(list(SECRET_NAMES)), completed=False)

    exit_code, report, _ = check_json(cli_on_moto, tmp_path)
    assert exit_code == 0
    # The old deployment's tasks still run, so running == desired: only DG203.
    assert {f["rule_id"] for f in report["findings"]} == {"DG203"}

    exit_code, _, _ = check_json(cli_on_moto, tmp_path, "--fail-on", "warning")
    assert exit_code == 1


def test_console_report_on_stdout_names_the_key_and_the_fix(
    cli_on_moto: Cli, moto_server: MotoServer
) -> None:
    incident_account(moto_server)

    result = cli_on_moto.run("check", "--policy", str(POLICY))

    assert result.exit_code == 1
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith("DRIFT: 1 error(s)")
    assert "DG101 secret-missing  api/HUGGINGFACE_API_KEY" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes
