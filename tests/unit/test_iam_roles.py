"""`iam-policy --await-hook` (a pipeline step's role for `drift-gate await-hook`) and
`iam-policy --lambda-hook --events` (the function that also re-checks services on ECS
events): the actions and resources exactly, the options each goes with (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, Cli

POLICY = REPO / "policies" / "example.yaml"
SERVICE = "hokusai-development/hokusai-api-development"
TOKEN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:drift-gate/github-token-AbCdEf"


def printed(cli: Cli, *options: str, policy: Path = POLICY) -> dict[str, Any]:
    result = cli.run("iam-policy", "--policy", str(policy), *options)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def granted(document: dict[str, Any]) -> dict[str, Any]:
    return {
        action: statement["Resource"]
        for statement in document["Statement"]
        for action in statement["Action"]
    }


# --- --await-hook ---------------------------------------------------------------------------


def test_the_pause_hook_role_scopes_deployments_to_the_policys_services(cli: Cli) -> None:
    role = granted(printed(cli, "--await-hook"))
    service = f"arn:aws:ecs:us-east-1:*:service/{SERVICE}"
    deployments = f"arn:aws:ecs:us-east-1:*:service-deployment/{SERVICE}/*"
    revisions = f"arn:aws:ecs:us-east-1:*:service-revision/{SERVICE}/*"
    # The Service Authorization Reference requires the service and the deployment (or
    # revision) as resources of each: a statement naming one alone would be denied.
    assert role["ecs:ContinueServiceDeployment"] == [deployments, service]
    for action in (
        "ecs:ListServiceDeployments",
        "ecs:DescribeServiceDeployments",
        "ecs:DescribeServiceRevisions",
    ):
        assert role[action] == [deployments, revisions, service]
    assert set(role) == {
        "ecs:ContinueServiceDeployment",
        "ecs:ListServiceDeployments",
        "ecs:DescribeServiceDeployments",
        "ecs:DescribeServiceRevisions",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecr:DescribeImages",
        "secretsmanager:DescribeSecret",
        "ssm:DescribeParameters",
        "iam:SimulatePrincipalPolicy",
        "kms:DescribeKey",
    }
    text = json.dumps(role)
    for never in ("GetSecretValue", "GetParameter", "Decrypt", "UpdateService", "logs:", "s3:"):
        assert never not in text


def test_the_pause_hook_role_names_the_account_and_the_match_patterns(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 1\n"
        "environments:\n"
        "  prod:\n"
        "    region: cn-north-1\n"
        '    account: "123456789012"\n'
        "    services:\n"
        "      - cluster: main\n"
        "        service: api\n"
        "        containers: {api: {secrets: [A]}}\n"
        "      - match: {cluster: ml-*, service: 'worker-[ab]'}\n"
        "        containers: {w: {secrets: [B]}}\n"
    )
    role = granted(printed(cli, "--await-hook", policy=tmp_path / "p.yaml"))
    assert role["ecs:ContinueServiceDeployment"] == [
        "arn:aws-cn:ecs:cn-north-1:123456789012:service-deployment/main/api/*",
        "arn:aws-cn:ecs:cn-north-1:123456789012:service-deployment/ml-*/*/*",
        "arn:aws-cn:ecs:cn-north-1:123456789012:service/main/api",
        "arn:aws-cn:ecs:cn-north-1:123456789012:service/ml-*/*",
    ]


def test_the_pause_hook_role_follows_the_policys_checks(cli: Cli, tmp_path: Path) -> None:
    text = POLICY.read_text().replace(
        "    region: us-east-1\n",
        '    region: us-east-1\n    secret_checks: "off"\n'
        '    checks: {images: false, execution_role: "off"}\n',
        1,
    )
    (tmp_path / "quiet.yaml").write_text(text)
    role = granted(printed(cli, "--await-hook", policy=tmp_path / "quiet.yaml"))
    assert not {"ecr:DescribeImages", "secretsmanager:DescribeSecret", "kms:DescribeKey"} & set(
        role
    )


def test_the_lambda_hook_scopes_describe_service_revisions_as_the_pause_hook_does(
    cli: Cli,
) -> None:
    """The function's role names the policy's services and their revisions, as --await-hook
    does, never `*`; and nothing but those."""
    hook = granted(printed(cli, "--lambda-hook")["FunctionRolePolicy"])
    pause = granted(printed(cli, "--await-hook"))
    assert hook["ecs:DescribeServiceRevisions"] == [
        f"arn:aws:ecs:us-east-1:*:service-revision/{SERVICE}/*",
        f"arn:aws:ecs:us-east-1:*:service/{SERVICE}",
    ]
    assert set(hook["ecs:DescribeServiceRevisions"]) <= set(pause["ecs:DescribeServiceRevisions"])


# --- --lambda-hook --events -----------------------------------------------------------------


def test_the_events_function_adds_check_reads_metrics_and_the_token_only(cli: Cli) -> None:
    hook = granted(printed(cli, "--lambda-hook")["FunctionRolePolicy"])
    both = printed(
        cli, "--lambda-hook", "--events", "--publish-metrics", "DriftGate",
        "--github-token-secret", TOKEN,
    )  # fmt: skip
    function = both["FunctionRolePolicy"]
    added = {
        action: resource for action, resource in granted(function).items() if action not in hook
    }
    # ecs:ListTasks and ecs:DescribeTasks are the hook's own already (POST_SCALE_UP's tasks).
    assert added == {
        "ecs:ListTaskDefinitions": "*",
        "cloudwatch:PutMetricData": "*",
        "secretsmanager:GetSecretValue": TOKEN,
    }
    (metrics,) = [s for s in function["Statement"] if "cloudwatch:PutMetricData" in s["Action"]]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "DriftGate"}}
    # The role ECS invokes the function with does not change.
    assert both["InvokeRole"] == printed(cli, "--lambda-hook")["InvokeRole"]
    text = json.dumps(function)
    for never in ("GetParameter", "Decrypt", "ContinueServiceDeployment", "secret:*"):
        assert never not in text


def test_the_events_function_reads_the_declared_log_groups(cli: Cli, tmp_path: Path) -> None:
    text = POLICY.read_text()
    (tmp_path / "logs.yaml").write_text(
        text.replace(
            "        containers:\n",
            "        logs: {group: /ecs/hokusai-api, forbid: [Traceback]}\n        containers:\n",
            1,
        )
    )
    assert "logs: {group" in (tmp_path / "logs.yaml").read_text()
    role = granted(
        printed(cli, "--lambda-hook", "--events", policy=tmp_path / "logs.yaml")[
            "FunctionRolePolicy"
        ]
    )
    assert role["logs:FilterLogEvents"] == [
        "arn:aws:logs:us-east-1:*:log-group:/ecs/hokusai-api",
        "arn:aws:logs:us-east-1:*:log-group:/ecs/hokusai-api:*",
    ]
    assert "secretsmanager:GetSecretValue" not in role  # no token secret given
    assert "cloudwatch:PutMetricData" not in role


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--await-hook", "--lambda-hook"], "--await-hook prints the pipeline step's role alone"),
        (["--await-hook", "--publish-metrics", "N"], "leave out"),
        (["--await-hook", "--function-name", "f"], "leave out"),
        (["--events"], "go with --lambda-hook"),
        (["--lambda-hook", "--github-token-secret", TOKEN], "goes with --lambda-hook --events"),
        (["--lambda-hook", "--events", "--github-token-secret", "my-token"], "full ARN"),
        (
            ["--lambda-hook", "--events", "--github-token-secret", TOKEN.replace("secret:", "")],
            "full ARN",
        ),
    ],
)
def test_role_options_are_checked(cli: Cli, options: list[str], words: str) -> None:
    result = cli.run("iam-policy", "--policy", str(POLICY), *options)
    assert result.exit_code == 2
    assert words in result.stderr
    assert result.stdout == ""
