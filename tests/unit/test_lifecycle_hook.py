"""The ECS lifecycle hook, end to end: `drift-gate lifecycle-hook --event` over HTTP against
the emulated incident account (moto server, DescribeServiceRevisions emulated), and the
Lambda handler itself. Exit codes and answers exact; no planted value in any output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from drift_gate import _moto_compat, aws_lambda
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from drift_gate.engine import hook
from tests.conftest import REPO, Cli, CliRun, MotoServer

POLICY = str(REPO / "policies" / "example.yaml")
SERVICE_ARN = f"arn:aws:ecs:{REGION}:123456789012:service/{CLUSTER}/{SERVICE}"
CANARY_SECRETS = {
    "DATABASE_HOST": "canary-hook-db-61fa",
    "MLFLOW_SERVER_URL": "canary-hook-mlflow-27be",
    "HUGGINGFACE_API_KEY": "hf_CanaryHookValue3Jd8sK2lQ9wE4rT7yU1",
}
CANARY_PLAIN = "canary-hook-plain-value-90c2"
CANARIES = [*CANARY_SECRETS.values(), CANARY_PLAIN, "canary-hook", "CanaryHook"]


@pytest.fixture
def account(moto_server: MotoServer) -> IncidentAccount:
    """The incident: the service runs the revision without HUGGINGFACE_API_KEY."""
    created = IncidentAccount.create(moto_server.client, CANARY_SECRETS)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    return created


def deploying(account: IncidentAccount, secrets: list[str], env: dict[str, str] | None) -> str:
    """A deployment of a new revision, stopped before it scales up: its target revision."""
    return account.start_deployment(account.register_revision(secrets, env))


def payload(revision: str, hook_details: dict[str, Any] | None = None) -> dict[str, Any]:
    """An invocation as ECS sends it (lambda-lifecycle-hooks.html)."""
    event: dict[str, Any] = {
        "executionId": "e8d5a28f-eb01-4f3c-9454-a30ba6dc54bc",
        "lifecycleStage": "PRE_SCALE_UP",
        "resourceArn": f"arn:aws:ecs:{REGION}:123456789012:service-deployment/{CLUSTER}/"
        f"{SERVICE}/EZe5RNVLH6PPzHXINuP28",
        "executionDetails": {
            "serviceArn": SERVICE_ARN,
            "targetServiceRevisionArn": revision,
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
        },
    }
    if hook_details is not None:
        event["hookDetails"] = hook_details
    return event


def run_hook(cli: Cli, event: object, *extra: str) -> tuple[CliRun, dict[str, Any], dict[str, Any]]:
    """The command on a saved payload: the run, the answer (stdout), the log line (stderr)."""
    path = cli.cwd / "event.json"
    path.write_text(event if isinstance(event, str) else json.dumps(event))
    result = cli.run("lifecycle-hook", "--event", str(path), "--policy", POLICY, *extra)
    for canary in CANARIES:
        assert canary not in result.stdout, "a planted value leaked into stdout"
        assert canary not in result.stderr, "a planted value leaked into stderr"
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "the answer is the whole of stdout"
    log_lines = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(log_lines) == 1, "one JSON log line"
    return result, json.loads(lines[0]), json.loads(log_lines[0])


def test_the_revision_without_the_key_is_stopped(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    revision = account.current_revision()  # the incident: the service runs it, no key
    result, answer, log = run_hook(cli_on_moto, payload(revision))
    assert result.exit_code == 1
    assert answer["hookStatus"] == "FAILED"
    assert "DG101 api HUGGINGFACE_API_KEY" in answer["hookDetails"]["findings"]
    assert log["verdict"] == "drift"
    assert log["revision"] == revision
    assert {"rule": "DG101", "variable": "HUGGINGFACE_API_KEY"}.items() <= log["findings"][
        0
    ].items()
    # The finding names what the hook judged: the deployment's target, not what runs.
    assert "of the deployment's target revision (arn:aws:ecs:" in log["findings"][0]["message"]


def test_the_fixed_revision_goes_through(account: IncidentAccount, cli_on_moto: Cli) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)
    result, answer, log = run_hook(cli_on_moto, payload(revision))
    assert (result.exit_code, answer["hookStatus"], log["verdict"]) == (0, "SUCCEEDED", "pass")
    assert "warning" not in log


def test_a_value_in_plain_sight_is_named_never_shown(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    env = {"LOG_LEVEL": CANARY_PLAIN, "HUGGINGFACE_API_KEY": CANARY_SECRETS["HUGGINGFACE_API_KEY"]}
    revision = deploying(account, ["DATABASE_HOST", "MLFLOW_SERVER_URL"], env)
    result, answer, log = run_hook(cli_on_moto, payload(revision))  # asserts no canary
    assert (result.exit_code, answer["hookStatus"]) == (1, "FAILED")
    assert any(f["rule"] == "DG103" for f in log["findings"])


def _throttled(self: Any) -> Any:
    raise JsonRESTError("ThrottlingException", "Rate exceeded")


def _denied(self: Any) -> Any:
    raise JsonRESTError("AccessDeniedException", "not authorized")


def _malformed(self: Any) -> Any:
    return ActionResult({"failures": []})  # no serviceRevisions: nothing said either way


def _failures(self: Any) -> Any:
    arn = self._get_param("serviceRevisionArns")[0]
    return ActionResult(
        {"serviceRevisions": [], "failures": [{"arn": arn, "reason": "INTERNAL_ERROR"}]}
    )


FAULTS: dict[str, Callable[[Any], Any]] = {
    "throttled": _throttled,
    "denied": _denied,
    "malformed": _malformed,
    "failures": _failures,
}


# Permanent: asking again would not help, so the setting's answer comes at once. The
# transient faults (throttled, a failure INTERNAL_ERROR) wait first: tests/unit/test_hook_wait.py.
PERMANENT = ("denied", "malformed")


@pytest.mark.parametrize("fault", PERMANENT)
@pytest.mark.parametrize(("setting", "status"), [(None, "FAILED"), ("continue", "SUCCEEDED")])
def test_a_revision_that_cannot_be_described_is_not_passed_silently(
    account: IncidentAccount,
    cli_on_moto: Cli,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    setting: str | None,
    status: str,
) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)  # would pass if it were read
    monkeypatch.setattr(
        EC2ContainerServiceResponse, "describe_service_revisions", FAULTS[fault], raising=False
    )
    details = {"unverified": setting} if setting else None
    result, answer, log = run_hook(cli_on_moto, payload(revision, details))
    assert result.exit_code == 3
    assert answer["hookStatus"] == status
    assert log["verdict"] == "could not verify"
    assert "ecs:DescribeServiceRevisions" in log["reason"]
    assert ("warning" in log) == (setting == "continue")


def test_a_revision_ecs_does_not_know_is_not_verified(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    revision = _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION) + "7"
    result, answer, log = run_hook(cli_on_moto, payload(revision))
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")
    assert "MISSING" in log["reason"]


def test_a_service_the_policy_does_not_declare_is_not_verified(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    revision = _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)
    event = payload(revision)
    event["executionDetails"]["serviceArn"] = SERVICE_ARN.replace(SERVICE, "other-service")
    result, answer, log = run_hook(cli_on_moto, event)
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")
    assert "not declared" in log["reason"]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("{not json", "not JSON"),
        ([], "not a JSON object"),
        ({"lifecycleStage": "PRE_SCALE_UP"}, "no executionDetails"),
        ({"executionDetails": {"serviceArn": SERVICE_ARN}}, "targetServiceRevisionArn"),
        (
            {
                "executionDetails": {"serviceArn": SERVICE_ARN, "targetServiceRevisionArn": "x"},
                "hookDetails": {"unverified": "maybe"},
            },
            "hookDetails.unverified",
        ),
        (
            {"executionDetails": {"serviceArn": "arn:nope", "targetServiceRevisionArn": "x"}},
            "service ARN",
        ),
    ],
)
def test_a_bad_event_is_failed_with_the_reason(cli: Cli, event: object, reason: str) -> None:
    result, answer, log = run_hook(cli, event)
    assert (result.exit_code, answer["hookStatus"]) == (2, "FAILED")
    assert reason in answer["hookDetails"]["summary"]
    assert log["verdict"] == "bad input"


def test_the_lambda_handler_answers_and_logs_one_line(
    account: IncidentAccount,
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    monkeypatch.setenv("DRIFT_GATE_POLICY", POLICY)
    revision = _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)
    answer = aws_lambda.handler(payload(revision), None)
    assert answer["hookStatus"] == "FAILED"
    log = json.loads(capsys.readouterr().out)
    assert (log["hookStatus"], log["verdict"]) == ("FAILED", "drift")


@pytest.mark.parametrize("event", [None, "text", {"executionDetails": []}])
def test_the_lambda_handler_never_raises(
    event: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIFT_GATE_POLICY", POLICY)
    answer = aws_lambda.handler(event, None)
    assert answer["hookStatus"] == "FAILED"
    assert json.loads(capsys.readouterr().out)["verdict"] == "bad input"


def test_the_default_policy_is_beside_the_function(tmp_path: Path) -> None:
    assert (
        aws_lambda.policy_path({"LAMBDA_TASK_ROOT": str(tmp_path)}) == tmp_path / "drift-gate.yaml"
    )
    assert aws_lambda.policy_path({"DRIFT_GATE_POLICY": "/p.yaml"}) == Path("/p.yaml")


def test_a_revision_of_another_service_is_not_verified(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)  # would pass if it were read
    original = _moto_compat._describe_service_revisions

    def elsewhere(self: Any) -> Any:
        answer = original(self)
        for found in answer.result["serviceRevisions"]:
            found["serviceArn"] = SERVICE_ARN.replace(SERVICE, "other-service")
        return answer

    monkeypatch.setattr(EC2ContainerServiceResponse, "describe_service_revisions", elsewhere)
    result, answer, log = run_hook(cli_on_moto, payload(revision))
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")
    assert "another service" in log["reason"]


def test_a_policy_that_cannot_be_read_is_bad_input(cli: Cli) -> None:
    event_path = cli.cwd / "event.json"
    revision = SERVICE_ARN.replace(":service/", ":service-revision/") + "/1"
    event_path.write_text(json.dumps(payload(revision)))
    result = cli.run("lifecycle-hook", "--event", str(event_path), "--policy", "absent.yaml")
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert answer["hookStatus"] == "FAILED"
    assert "absent.yaml" in answer["hookDetails"]["summary"]


def test_the_lambda_deadline_keeps_a_margin_for_the_answer() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 60_000

    deadline = aws_lambda._deadline(Context())
    assert deadline is not None
    assert deadline.seconds == 60.0 - aws_lambda.MARGIN
    assert aws_lambda._deadline(None) is None


def test_in_lambda_one_boto3_session_serves_every_invocation(
    account: IncidentAccount,
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    monkeypatch.setenv("DRIFT_GATE_POLICY", POLICY)
    monkeypatch.setenv("DRIFT_GATE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(hook, "_CONTAINER_SESSION", [])
    assert hook.container_session() is None  # outside Lambda: a session per answer
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    revision = _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)
    answers = [aws_lambda.handler(payload(revision), None)["hookStatus"] for _ in range(2)]
    assert answers == ["FAILED", "FAILED"]  # the warm invocation answers as the cold one
    assert len(hook._CONTAINER_SESSION) == 1
    assert hook.container_session() is hook._CONTAINER_SESSION[0]
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [log["verdict"] for log in logs] == ["drift", "drift"]
