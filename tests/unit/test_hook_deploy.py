"""The Lambda hook made deployable: its policy from S3 (`s3://bucket/key`, over HTTP on
moto), its validity cache where only /tmp is writable, and `iam-policy --lambda-hook` (the
function's role and the role ECS invokes it with). Exit codes and answers exact."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.models import S3Backend

from drift_gate import aws_lambda
from drift_gate.demo import SECRET_NAMES, IncidentAccount
from drift_gate.input_files import InputKind
from tests.conftest import REPO, Cli, CliRun, MotoServer
from tests.unit.test_lifecycle_hook import account, deploying, payload  # noqa: F401

POLICY = REPO / "policies" / "example.yaml"
BUCKET, KEY = "hook-policies", "hokusai/drift-gate.yaml"
URL = f"s3://{BUCKET}/{KEY}"


@pytest.fixture
def stored(moto_server: MotoServer) -> str:
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=POLICY.read_bytes())
    return URL


def hook(cli: Cli, event: object, policy: str) -> tuple[CliRun, dict[str, Any]]:
    path = cli.cwd / "event.json"
    path.write_text(json.dumps(event))
    result = cli.run("lifecycle-hook", "--event", str(path), "--policy", policy)
    return result, json.loads(result.stdout)


def test_a_policy_in_s3_judges_the_revision(
    account: IncidentAccount,  # noqa: F811
    stored: str,
    cli_on_moto: Cli,
) -> None:
    stopped, answer = hook(cli_on_moto, payload(account.current_revision()), stored)
    assert (stopped.exit_code, answer["hookStatus"]) == (1, "FAILED")
    assert "DG101 api HUGGINGFACE_API_KEY" in answer["hookDetails"]["findings"]
    fixed = deploying(account, list(SECRET_NAMES), None)
    passed, answer = hook(cli_on_moto, payload(fixed), stored)
    assert (passed.exit_code, answer["hookStatus"]) == (0, "SUCCEEDED")
    # The policy's findings name the object, as a file's name the file.
    found = cli_on_moto.run("lifecycle-hook", "--event", "event.json", "--policy", stored)
    assert found.exit_code == 0


@pytest.mark.parametrize("setting", ["fail", "continue"])
def test_a_missing_object_fails_the_hook_whatever_the_setting(
    account: IncidentAccount,  # noqa: F811
    stored: str,
    cli_on_moto: Cli,
    setting: str,
) -> None:
    event = payload(account.current_revision(), {"unverified": setting})
    result, answer = hook(cli_on_moto, event, f"s3://{BUCKET}/absent.yaml")
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")
    summary = answer["hookDetails"]["summary"]
    assert f"cannot read the policy s3://{BUCKET}/absent.yaml" in summary
    assert "s3:GetObject" in summary


def test_a_denied_object_fails_the_hook_with_the_reason(
    account: IncidentAccount,  # noqa: F811
    stored: str,
    cli_on_moto: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def denied(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise S3AccessDeniedError()

    monkeypatch.setattr(S3Backend, "get_object", denied)
    result, answer = hook(cli_on_moto, payload(account.current_revision()), stored)
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")
    assert "access denied to s3:GetObject" in answer["hookDetails"]["summary"]
    # The fix names the hook's own role, not docs/iam-policy.json (check's).
    assert (
        "`drift-gate iam-policy --lambda-hook --policy-object s3://"
        in (answer["hookDetails"]["summary"])
    )
    assert "hokusai-api" not in result.stdout  # nothing of the policy's content


def test_an_object_over_the_cap_is_bad_input(
    account: IncidentAccount,  # noqa: F811
    stored: str,
    cli_on_moto: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "drift_gate.sources.policy_object.POLICY", InputKind("a policy", 256, cannot_read="file")
    )
    result, answer = hook(cli_on_moto, payload(account.current_revision()), stored)
    assert (result.exit_code, answer["hookStatus"]) == (2, "FAILED")
    assert f"{URL}: larger than 256 bytes" in answer["hookDetails"]["summary"]


def test_an_object_that_is_not_a_valid_policy_is_bad_input(
    account: IncidentAccount,  # noqa: F811
    moto_server: MotoServer,
    cli_on_moto: Cli,
) -> None:
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="broken-policies")
    s3.put_object(Bucket="broken-policies", Key="p.yaml", Body=b"version: 1\nenvironments: 3\n")
    result, answer = hook(
        cli_on_moto, payload(account.current_revision()), "s3://broken-policies/p.yaml"
    )
    assert (result.exit_code, answer["hookStatus"]) == (2, "FAILED")
    assert "invalid policy" in answer["hookDetails"]["summary"]


@pytest.mark.parametrize("url", ["s3://", "s3://Bad_Bucket/key", "s3://bucket", "S3:bucket/key"])
def test_a_malformed_s3_url_is_exit_2(cli: Cli, url: str) -> None:
    result = cli.run("lifecycle-hook", "--event", "e.json", "--policy", url)
    assert result.exit_code == 2
    assert "s3://BUCKET/KEY" in result.stderr


def test_the_handler_refuses_a_malformed_url_with_a_failed_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIFT_GATE_POLICY", "s3://no")
    answer = aws_lambda.handler(payload("arn:x"), None)
    assert answer["hookStatus"] == "FAILED"
    assert "DRIFT_GATE_POLICY" in answer["hookDetails"]["summary"]
    assert json.loads(capsys.readouterr().out)["verdict"] == "bad input"


def test_the_handler_reads_s3_and_caches_validity_in_tmp_only(
    account: IncidentAccount,  # noqa: F811
    stored: str,
    moto_server: MotoServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As in Lambda: HOME read-only, LAMBDA_TASK_ROOT set; the cache goes to the temp dir."""
    home = tmp_path / "home"
    home.mkdir(mode=0o500)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    for name in ("DRIFT_GATE_CACHE_DIR", "XDG_CACHE_HOME", "DRIFT_GATE_NO_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(home))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    monkeypatch.setenv("DRIFT_GATE_POLICY", stored)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for _ in range(2):  # the second run finds the first's entry
        answer = aws_lambda.handler(payload(account.current_revision()), None)
        assert answer["hookStatus"] == "FAILED"
        assert json.loads(capsys.readouterr().out)["verdict"] == "drift"
    assert os.environ["DRIFT_GATE_CACHE_DIR"] == str(scratch / "drift-gate")
    assert list((scratch / "drift-gate" / "valid-policies").iterdir())
    assert list(home.iterdir()) == []


def test_a_cache_that_cannot_be_written_is_skipped(
    account: IncidentAccount,  # noqa: F811
    cli_on_moto: Cli,
    tmp_path: Path,
) -> None:
    read_only = tmp_path / "not-a-directory"  # as a read-only file system: nothing is made
    read_only.write_text("")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload(account.current_revision())))
    result = cli_on_moto.run(
        "lifecycle-hook",
        "--event",
        str(event),
        "--policy",
        str(POLICY),
        extra_env={"DRIFT_GATE_CACHE_DIR": str(read_only / "cache")},
    )
    assert result.exit_code == 1, result.stderr
    assert read_only.read_text() == ""


# --- iam-policy --lambda-hook ------------------------------------------------------------

HOOK_ACTIONS = {
    "ecs:DescribeServices",
    "ecs:DescribeServiceRevisions",
    "ecs:DescribeTaskDefinition",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "ecr:DescribeImages",
    "secretsmanager:DescribeSecret",
    "ssm:DescribeParameters",
    "iam:SimulatePrincipalPolicy",
    "kms:DescribeKey",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}


def roles(cli: Cli, *extra: str, policy: Path = POLICY) -> dict[str, Any]:
    result = cli.run("iam-policy", "--policy", str(policy), "--lambda-hook", *extra)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def actions(document: dict[str, Any]) -> dict[str, Any]:
    return {
        action: statement["Resource"]
        for statement in document["Statement"]
        for action in statement["Action"]
    }


def test_the_hook_role_allows_only_the_hooks_reads_and_its_log(cli: Cli) -> None:
    function = roles(cli)["FunctionRolePolicy"]
    granted = actions(function)
    assert set(granted) == HOOK_ACTIONS
    assert granted["iam:SimulatePrincipalPolicy"] == "arn:aws:iam::*:role/*"
    assert granted["logs:PutLogEvents"] == [
        "arn:aws:logs:*:*:log-group:/aws/lambda/drift-gate-hook",
        "arn:aws:logs:*:*:log-group:/aws/lambda/drift-gate-hook:*",
    ]
    text = json.dumps(function)
    for never in ("GetSecretValue", "GetParameter", "Decrypt", "s3:", "FilterLogEvents", '*:*"'):
        assert never not in text


def test_the_hook_role_reads_the_policy_object_only(cli: Cli) -> None:
    document = roles(cli, "--function-name", "gate", "--policy-object", URL)
    granted = actions(document["FunctionRolePolicy"])
    assert set(granted) == HOOK_ACTIONS | {"s3:GetObject"}
    assert granted["s3:GetObject"] == f"arn:aws:s3:::{BUCKET}/{KEY}"
    assert granted["logs:CreateLogStream"][0] == "arn:aws:logs:*:*:log-group:/aws/lambda/gate"


def test_the_invoke_role_lets_ecs_invoke_the_function_only(cli: Cli) -> None:
    invoke = roles(cli, "--function-name", "gate")["InvokeRole"]
    (trust,) = invoke["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert actions(invoke["Policy"]) == {
        "lambda:InvokeFunction": "arn:aws:lambda:*:*:function:gate"
    }


def test_the_hook_role_follows_the_policys_checks(cli: Cli, tmp_path: Path) -> None:
    text = POLICY.read_text().replace(
        "    region: us-east-1\n",
        '    region: us-east-1\n    secret_checks: "off"\n'
        '    checks: {images: false, execution_role: "off"}\n',
        1,
    )
    assert text != POLICY.read_text()
    (tmp_path / "quiet.yaml").write_text(text)
    granted = actions(roles(cli, policy=tmp_path / "quiet.yaml")["FunctionRolePolicy"])
    assert set(granted) == {
        "ecs:DescribeServices",
        "ecs:DescribeServiceRevisions",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--function-name", "gate"], "go with --lambda-hook"),
        (["--policy-object", URL], "go with --lambda-hook"),
        (["--lambda-hook", "--publish-metrics", "N"], "publishes no metrics"),
        (["--lambda-hook", "--stack", "web"], "the hooks read no stack"),
        (["--await-hook", "--stack", "web"], "the hooks read no stack"),
        (["--lambda-hook", "--policy-object", "s3://x"], "s3://BUCKET/KEY"),
        (["--lambda-hook", "--function-name", "a b"], "function's name"),
    ],
)
def test_iam_policy_hook_options_are_checked(cli: Cli, extra: list[str], words: str) -> None:
    result = cli.run("iam-policy", "--policy", str(POLICY), *extra)
    assert result.exit_code == 2
    assert words in result.stderr
