"""The re-check on ECS events, end to end: `drift-gate on-event --event` over HTTP against the
emulated incident account (moto server), the service's GitHub issue on a fake of GitHub's API,
and the Lambda handler itself on a saved event. Exit codes and results exact; neither a
planted value nor the GitHub token in any output."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from drift_gate import _moto_compat, aws_lambda
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from drift_gate.engine.on_event import SeenEvents, answer_event
from tests.conftest import REPO, Cli, CliRun, MotoServer
from tests.github_fake import TOKEN, FakeGitHub, serve
from tests.unit.test_fuzz import BUDGET

POLICY = str(REPO / "policies" / "example.yaml")
ACCOUNT_ID = "123456789012"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/{CLUSTER}/{SERVICE}"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:cluster/{CLUSTER}"
TASK_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task/{CLUSTER}/c13b4cb40f1f4fe4a2971f76ae5a47ad"
EVENTS = REPO / "tests" / "data" / "ecs-events"
CANARY_SECRETS = {
    "DATABASE_HOST": "canary-event-db-4b1e",
    "MLFLOW_SERVER_URL": "canary-event-mlflow-93ac",
    "HUGGINGFACE_API_KEY": "hf_CanaryEventValue8Qw2eR5tY7uI0",
}
CANARIES = [*CANARY_SECRETS.values(), TOKEN, "canary-event", "CanaryEvent"]
PULL_FAILED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
    "time(s): AccessDeniedException"
)


@pytest.fixture
def account(moto_server: MotoServer) -> IncidentAccount:
    """The incident: the service runs the revision without HUGGINGFACE_API_KEY."""
    created = IncidentAccount.create(moto_server.client, CANARY_SECRETS)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    return created


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


def primary_deployment(account: IncidentAccount) -> str:
    described = account.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
    return str(described["services"][0]["deployments"][0]["id"])


def fixed(account: IncidentAccount) -> str:
    """The fix deployed: a revision with every secret, rolled out; its deployment id."""
    account.redeploy(account.register_revision(list(SECRET_NAMES)))
    return primary_deployment(account)


def deployment_event(
    deployment_id: str,
    name: str = "SERVICE_DEPLOYMENT_COMPLETED",
    reason: str = "ECS deployment completed.",
) -> dict[str, Any]:
    """As EventBridge delivers it (ecs_service_deployment_events.html)."""
    event = json.loads((EVENTS / "deployment-completed.json").read_text())
    event["resources"] = [SERVICE_ARN]
    event["detail"].update(eventName=name, deploymentId=deployment_id, reason=reason)
    return dict(event)


def task_event(
    version: int = 3, status: str = "STOPPED", reason: str = PULL_FAILED
) -> dict[str, Any]:
    """As EventBridge delivers it (ecs_cwe_events.html), trimmed to what drift-gate reads."""
    event = json.loads((EVENTS / "task-stopped.json").read_text())
    event["detail"].update(
        clusterArn=CLUSTER_ARN,
        group=f"service:{SERVICE}",
        taskArn=TASK_ARN,
        lastStatus=status,
        stoppedReason=reason,
        version=version,
    )
    return dict(event)


def on_event(
    cli: Cli, event: object, *extra: str, env: dict[str, str] | None = None
) -> tuple[CliRun, dict[str, Any]]:
    """The command on a saved event: the run and its one result line (stdout)."""
    path = cli.cwd / "event.json"
    path.write_text(event if isinstance(event, str) else json.dumps(event))
    result = cli.run("on-event", "--event", str(path), "--policy", POLICY, *extra, extra_env=env)
    for canary in CANARIES:
        assert canary not in result.stdout, "a planted value leaked into stdout"
        assert canary not in result.stderr, "a planted value leaked into stderr"
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "the result is the whole of stdout"
    return result, json.loads(lines[0])


def publishing(github: FakeGitHub) -> tuple[list[str], dict[str, str]]:
    return ["--github-repository", "octo/infra"], {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
    }


def writes(github: FakeGitHub) -> list[tuple[str, str]]:
    return [(m, p) for m, p in github.requests if m in ("POST", "PATCH") and "/labels" not in p]


def test_the_incident_opens_the_issue_and_the_fix_closes_it(
    account: IncidentAccount, cli_on_moto: Cli, github: FakeGitHub
) -> None:
    options, env = publishing(github)
    result, line = on_event(
        cli_on_moto, deployment_event(primary_deployment(account)), *options, env=env
    )
    assert result.exit_code == 1
    assert (line["verdict"], line["event"], line["service"]) == ("drift", "deployment", SERVICE_ARN)
    assert "DG101 api HUGGINGFACE_API_KEY" in line["findings"]
    assert [issue["state"] for issue in github.issues.values()] == ["open"]
    assert SERVICE in next(iter(github.issues.values()))["title"]

    result, line = on_event(cli_on_moto, deployment_event(fixed(account)), *options, env=env)
    assert (result.exit_code, line["verdict"], line["findings"]) == (0, "pass", [])
    assert [issue["state"] for issue in github.issues.values()] == ["closed"]
    assert any("closed #1" in said for said in line["issues"])


def test_the_fix_closes_the_issue_the_nightly_scan_opened(
    account: IncidentAccount, cli_on_moto: Cli, github: FakeGitHub
) -> None:
    """The service's marker names its account, as `scan` reports it: one issue per service,
    whichever run opened it."""
    place = f"development/{ACCOUNT_ID}/{REGION}/{CLUSTER}/{SERVICE}"
    number = github.add_issue(f"<!-- drift-gate:service {place} -->\n\nscan found drift\n")
    options, env = publishing(github)
    result, _line = on_event(cli_on_moto, deployment_event(fixed(account)), *options, env=env)
    assert (result.exit_code, github.issues[number]["state"]) == (0, "closed")
    assert len(github.issues) == 1


def test_the_same_event_twice_opens_one_issue_and_edits_nothing_the_second_time(
    account: IncidentAccount, cli_on_moto: Cli, github: FakeGitHub
) -> None:
    options, env = publishing(github)
    event = deployment_event(primary_deployment(account))
    assert on_event(cli_on_moto, event, *options, env=env)[0].exit_code == 1
    first = writes(github)
    assert first == [("POST", "/api/v3/repos/octo/infra/issues")]
    result, line = on_event(cli_on_moto, event, *options, env=env)
    assert result.exit_code == 1
    assert writes(github) == first, "the body would not change: no edit, no comment"
    assert len(github.issues) == 1
    assert any("(unchanged)" in said for said in line["issues"])


def test_a_task_that_could_not_pull_its_secrets_rechecks_its_service(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    result, line = on_event(cli_on_moto, task_event())
    assert (result.exit_code, line["verdict"], line["event"]) == (1, "drift", "task")
    assert (line["service"], line["taskArn"], line["version"]) == (SERVICE_ARN, TASK_ARN, 3)


def test_a_rollback_that_started_is_rechecked(account: IncidentAccount, cli_on_moto: Cli) -> None:
    reason = "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."
    event = deployment_event(primary_deployment(account), "SERVICE_DEPLOYMENT_IN_PROGRESS", reason)
    result, line = on_event(cli_on_moto, event)
    assert (result.exit_code, line["verdict"]) == (1, "drift")


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (deployment_event("ecs-svc/1", "SERVICE_DEPLOYMENT_IN_PROGRESS"), "not a completed"),
        (task_event(status="RUNNING"), "has not stopped"),
        (task_event(reason="Essential container in task exited"), "did not stop for secrets"),
        ({**task_event(), "detail": {**task_event()["detail"], "group": "family:x"}}, "no service"),
        ({**deployment_event("x"), "detail-type": "ECS Service Action"}, "are not re-checked"),
    ],
)
def test_other_events_are_ignored_with_the_reason(cli: Cli, event: Any, why: str) -> None:
    result, line = on_event(cli, event)  # no AWS at all: nothing is asked
    assert (result.exit_code, line["verdict"]) == (0, "ignored")
    assert why in line["reason"]


def test_an_event_of_a_deployment_no_longer_the_services_is_skipped_as_stale(
    account: IncidentAccount, cli_on_moto: Cli
) -> None:
    old = primary_deployment(account)
    fixed(account)
    result, line = on_event(cli_on_moto, deployment_event(old))
    assert (result.exit_code, line["verdict"]) == (0, "skipped")
    assert "stale" in line["reason"]


def test_a_service_the_policy_does_not_declare_is_not_verified(cli: Cli) -> None:
    event = deployment_event("ecs-svc/1")
    event["resources"] = [SERVICE_ARN.replace(SERVICE, "other-service")]
    result, line = on_event(cli, event)  # no AWS call: nothing declared to check against
    assert (result.exit_code, line["verdict"]) == (3, "could not verify")
    assert "not declared" in line["reason"]
    assert line["findings"] == ["DG901"]


def test_a_service_not_declared_gets_the_functions_fix_not_the_hooks() -> None:
    """DG901 of an ECS event: the function has no hook to remove; its rules choose events."""
    event = deployment_event("ecs-svc/1")
    event["resources"] = [SERVICE_ARN.replace(SERVICE, "other-service")]
    answer = answer_event(event, REPO / "policies" / "example.yaml", SeenEvents())
    assert answer.report is not None
    (finding,) = answer.report.findings
    assert finding.rule_id == "DG901"
    assert "EventBridge rules" in finding.remediation
    assert "remove the hook" not in finding.remediation


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("ThrottlingException", "the service's next event re-checks"),
        ("InternalServiceError", "the service's next event re-checks"),
    ],
)
def test_the_token_read_failing_says_what_the_function_can_do(code: str, words: str) -> None:
    """The event path has no --max-attempts or --timeout: its reasons never name them."""
    import botocore.exceptions

    from drift_gate.errors import CouldNotVerifyError
    from drift_gate.sources.aws_failures import FUNCTION_FIXES
    from drift_gate.sources.github_token_secret import read_github_token

    class Refusing:
        def get_secret_value(self, **_: Any) -> Any:
            answer = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": 500}}
            raise botocore.exceptions.ClientError(answer, "GetSecretValue")

    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:drift-gate/token-AbCdEf"
    with pytest.raises(CouldNotVerifyError) as raised:
        read_github_token(Refusing(), arn)
    assert words in str(raised.value)
    for said in (str(raised.value), *FUNCTION_FIXES.values()):
        assert "--" not in said, "a command-line option in the function's words"


def _throttled(self: Any) -> Any:
    raise JsonRESTError("ThrottlingException", "Rate exceeded")


def _denied(self: Any) -> Any:
    raise JsonRESTError("AccessDeniedException", "not authorized")


def _malformed(self: Any) -> Any:
    return ActionResult({"failures": []})  # no services: nothing said either way


FAULTS: dict[str, Callable[[Any], Any]] = {
    "throttled": _throttled,
    "denied": _denied,
    "malformed": _malformed,
}


@pytest.mark.parametrize("kind", ["deployment", "task"])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_service_that_cannot_be_described_is_never_passed(
    account: IncidentAccount,
    cli_on_moto: Cli,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    kind: str,
) -> None:
    event = deployment_event(fixed(account)) if kind == "deployment" else task_event()
    monkeypatch.setattr(EC2ContainerServiceResponse, "describe_services", FAULTS[fault])
    options, env = publishing(github)
    result, line = on_event(cli_on_moto, event, *options, env=env)
    assert (result.exit_code, line["verdict"]) == (3, "could not verify")
    assert "DescribeServices" in json.dumps(line)
    assert writes(github) == [], "nothing is published for what was not verified"


def test_a_github_that_refuses_is_could_not_verify(
    account: IncidentAccount, cli_on_moto: Cli, github: FakeGitHub
) -> None:
    github.refuse = (503, {})
    options, env = publishing(github)
    result, line = on_event(
        cli_on_moto, deployment_event(primary_deployment(account)), *options, env=env
    )
    assert (result.exit_code, line["verdict"]) == (3, "drift")
    assert line["published"].startswith("not published:")


def test_the_metrics_are_put_as_check_puts_them(
    account: IncidentAccount, cli_on_moto: Cli, moto_server: MotoServer
) -> None:
    event = deployment_event(primary_deployment(account))
    result, line = on_event(cli_on_moto, event, "--publish-metrics", "DriftGate")
    assert (result.exit_code, line["metrics"]) == (1, 8)  # as check puts them
    names = moto_server.client("cloudwatch").list_metrics(Namespace="DriftGate")["Metrics"]
    assert {metric["MetricName"] for metric in names} >= {"Findings", "CouldNotVerify"}


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("{not json", "not JSON"),
        ([], "not a JSON object"),
        ({"source": "aws.s3", "detail-type": "Object Created"}, "source"),
        ({**deployment_event("x"), "detail": None}, "no detail object"),
        ({**deployment_event("x"), "resources": []}, "resources"),
        ({**deployment_event("x"), "resources": ["arn:nope"]}, "service ARN"),
        ({**task_event(), "detail": {**task_event()["detail"], "version": "3"}}, "detail.version"),
        ({**task_event(), "detail": {**task_event()["detail"], "clusterArn": 7}}, "clusterArn"),
    ],
)
def test_a_bad_event_is_bad_input_in_one_line(cli: Cli, event: object, reason: str) -> None:
    if isinstance(event, dict) and event.get("resources") == ["x"]:
        event["resources"] = [SERVICE_ARN]
    if isinstance(event, dict) and event.get("detail", {}) and "deploymentId" in event["detail"]:
        event["detail"]["deploymentId"] = "ecs-svc/1"
    result, line = on_event(cli, event)
    assert (result.exit_code, line["verdict"]) == (2, "bad input")
    assert reason in line["reason"]
    assert "\n" not in line["reason"]


def test_without_a_token_a_repository_is_refused_before_any_call(cli: Cli) -> None:
    result, line = on_event(cli, task_event(), "--github-repository", "octo/infra")
    assert (result.exit_code, line["verdict"]) == (2, "bad input")
    assert "GITHUB_TOKEN" in line["reason"]


# --- the Lambda handler, on a saved event ---------------------------------------------------


@pytest.fixture
def function(
    account: IncidentAccount,
    moto_server: MotoServer,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
) -> FakeGitHub:
    """The function's configuration: the policy, the repository, its token's secret."""
    created = moto_server.client("secretsmanager").create_secret(
        Name="drift-gate/github-token", SecretString=TOKEN
    )
    for name, value in {
        "AWS_ENDPOINT_URL": moto_server.endpoint,
        "DRIFT_GATE_POLICY": POLICY,
        "DRIFT_GATE_GITHUB_REPOSITORY": "octo/infra",
        "DRIFT_GATE_GITHUB_TOKEN_SECRET": created["ARN"],
        "GITHUB_API_URL": github.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(aws_lambda._WARM, "seen", SeenEvents())
    return github


def handle(
    event: object, capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    answer = aws_lambda.handler(copy.deepcopy(event), None)
    captured = capsys.readouterr()
    for canary in CANARIES:
        assert canary not in captured.out + captured.err, "a planted value reached the log"
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, "one JSON log line"
    return answer, json.loads(lines[0])


def test_the_handler_rechecks_publishes_and_skips_a_duplicate(
    function: FakeGitHub, account: IncidentAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    event = deployment_event(primary_deployment(account))
    answer, log = handle(event, capsys)
    assert answer == log
    assert (log["verdict"], log["findings"][0]) == ("drift", "DG101 api HUGGINGFACE_API_KEY")
    assert len(function.issues) == 1
    before = list(function.requests)
    answer, log = handle(event, capsys)
    assert (log["verdict"], log["reason"]) == (
        "skipped",
        "a duplicate: this deployment event was re-checked already",
    )
    assert function.requests == before, "a duplicate asks GitHub nothing"


def test_the_handler_skips_a_task_event_older_than_one_it_rechecked(
    function: FakeGitHub, account: IncidentAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    assert handle(task_event(version=5), capsys)[1]["verdict"] == "drift"
    assert handle(task_event(version=5), capsys)[1]["reason"].startswith("a duplicate")
    assert handle(task_event(version=4), capsys)[1]["reason"].startswith("stale: version 4")
    assert handle(task_event(version=6), capsys)[1]["verdict"] == "drift"


def test_the_handler_never_retries_what_it_could_not_verify_as_done(
    function: FakeGitHub,
    account: IncidentAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(EC2ContainerServiceResponse, "describe_services", _throttled)
        assert handle(task_event(), capsys)[1]["verdict"] == "could not verify"
    assert handle(task_event(), capsys)[1]["verdict"] == "drift", "the retry is re-checked"


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("DRIFT_GATE_GITHUB_TOKEN_SECRET", "", "DRIFT_GATE_GITHUB_TOKEN_SECRET is not"),
        ("DRIFT_GATE_GITHUB_TOKEN_SECRET", "arn:aws:s3:::bucket", "is not a secret's ARN"),
        ("DRIFT_GATE_GITHUB_REPOSITORY", "not a repository", "is not OWNER/NAME"),
        ("DRIFT_GATE_METRICS_NAMESPACE", "AWS/ECS", "may not start with 'AWS/'"),
    ],
)
def test_a_misconfigured_function_is_bad_input(
    function: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    reason: str,
) -> None:
    monkeypatch.setenv(variable, value)
    _answer, log = handle(task_event(), capsys)
    assert log["verdict"] == "bad input"
    assert reason in log["reason"]
    assert function.requests == []


def test_a_token_that_cannot_be_read_is_could_not_verify(
    function: FakeGitHub,
    account: IncidentAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:drift-gate/absent-AbCdEf"
    monkeypatch.setenv("DRIFT_GATE_GITHUB_TOKEN_SECRET", arn)
    _answer, log = handle(task_event(), capsys)
    assert log["verdict"] == "drift"
    assert "GitHub token was not read" in log["published"]
    assert function.requests == []


@pytest.mark.parametrize("event", [{"source": "aws.ecs"}, {"detail-type": 3, "source": "x"}])
def test_the_handler_never_raises_on_an_event(
    event: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIFT_GATE_POLICY", POLICY)
    _answer, log = handle(event, capsys)
    assert log["verdict"] == "bad input"


# --- any event: a documented answer, never an exception ------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        ("source",),
        ("detail-type",),
        ("id",),
        ("resources",),
        ("detail",),
        *(("detail", key) for key in ("eventName", "deploymentId", "reason", "clusterArn")),
        *(("detail", key) for key in ("group", "taskArn", "lastStatus", "stoppedReason")),
        ("detail", "version"),
    ]
)


@BUDGET
@given(
    base=st.sampled_from(["deployment", "task"]),
    edits=st.lists(st.tuples(FIELDS, JSON_VALUES, st.booleans()), max_size=4),
)
def test_any_event_gets_a_documented_answer(
    base: str, edits: list[tuple[tuple[str, ...], Any, bool]]
) -> None:
    event: dict[str, Any] = deployment_event("ecs-svc/1") if base == "deployment" else task_event()
    for path, value, remove in edits:
        holder: Any = event
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            if remove:
                holder.pop(path[-1], None)
            else:
                holder[path[-1]] = value
    # A policy that does not exist: whatever is re-checked stops there, before any AWS call.
    answer = answer_event(event, REPO / "absent-policy.yaml", SeenEvents())
    assert answer.exit_code in (0, 2)
    line = json.dumps(answer.result, sort_keys=True)
    assert "\n" not in line
    assert answer.result["verdict"] in ("ignored", "skipped", "bad input")


def test_the_issue_sync_out_of_time_says_what_the_function_can_do(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub's deadline in the event path: no --deadline to raise; nothing sent."""
    from drift_gate.commands.on_event import _issues
    from drift_gate.deadline import Deadline
    from drift_gate.publish.github_api import GitHubError

    monkeypatch.setenv("GITHUB_API_URL", github.url)
    event = deployment_event("ecs-svc/1")
    event["resources"] = [SERVICE_ARN.replace(SERVICE, "other-service")]
    report = answer_event(event, REPO / "policies" / "example.yaml", SeenEvents()).report
    assert report is not None
    with pytest.raises(GitHubError) as raised:
        _issues(report, "octo/infra", lambda: TOKEN, Deadline(0.0))
    said = str(raised.value)
    assert "raise the function's timeout" in said
    assert "--" not in said
    assert github.requests == []
