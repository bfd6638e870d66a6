"""Fail closed: what cannot be verified is exit 3, never a pass, and the rest is still reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SERVICE, IncidentAccount
from drift_gate.engine.gate import run_check
from drift_gate.engine.service_checks import CheckOptions
from drift_gate.model import Report, Verdict
from drift_gate.policy import load_policy
from drift_gate.sources.aws import AwsClients, AwsSettings
from tests.conftest import REPO, Cli, MotoServer, closed_port

POLICY = REPO / "policies" / "example.yaml"


class _RawBody:
    """Just enough of a urllib3 response for botocore to read an error body."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self.body


def aws_error(
    status: int, code: str, content_type: str = "application/x-amz-json-1.1"
) -> Callable[..., AWSResponse]:
    body = json.dumps({"__type": code, "message": "injected by the test"}).encode()

    def respond(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, status, {"Content-Type": content_type}, _RawBody(body))

    return respond


def session_with_hook(event: str, handler: Callable[..., Any], calls: list[str]) -> Any:
    session = boto3.session.Session(region_name=REGION)

    def counting(request: Any, **kwargs: Any) -> Any:
        calls.append(event)
        return handler(request, **kwargs)

    session.events.register_first(event, counting)
    return session


@pytest.fixture
def incident_on_moto(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    # Backoff sleeps are real time; the retry count, not the wait, is under test.
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    return moto_server


def run_with_session(session: Any, max_attempts: int = 3) -> Report:
    clients = AwsClients(AwsSettings(max_attempts=max_attempts), session=session)
    return run_check(load_policy(POLICY), CheckOptions(), clients)


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "AccessDeniedException"), (403, "403")],  # real AWS, and moto's IAM enforcement
)
def test_access_denied_on_describe_task_definition_exits_3(
    incident_on_moto: MotoServer, status: int, code: str
) -> None:
    calls: list[str] = []
    session = session_with_hook(
        "before-send.ecs.DescribeTaskDefinition", aws_error(status, code), calls
    )

    report = run_with_session(session)

    assert (report.verdict, report.exit_code) == (Verdict.COULD_NOT_VERIFY, 3)
    [finding] = report.findings
    assert finding.rule_id == "DG901"
    assert "access denied to ecs:DescribeTaskDefinition" in finding.message
    assert not report.services[0].verified
    assert calls  # the hook really answered


def test_throttling_storm_exits_3_after_every_attempt(incident_on_moto: MotoServer) -> None:
    calls: list[str] = []
    session = session_with_hook(
        "before-send.ecs.DescribeServices", aws_error(400, "ThrottlingException"), calls
    )

    report = run_with_session(session, max_attempts=4)

    assert report.exit_code == 3
    assert len(calls) == 4  # standard retry mode, every attempt used
    assert "throttled on ecs:DescribeServices past retries" in report.findings[0].message


def test_unverified_service_does_not_hide_the_verified_ones(
    incident_on_moto: MotoServer, tmp_path: Path
) -> None:
    policy_path = tmp_path / "two.yaml"
    policy_path.write_text(
        POLICY.read_text()
        + "      - cluster: other-cluster\n        service: other\n        containers:\n          web: {}\n"
    )
    calls: list[str] = []

    def deny_other_cluster(request: Any, **kwargs: Any) -> Any:
        if b"other-cluster" in request.body:
            return aws_error(400, "AccessDeniedException")(request, **kwargs)
        return None

    session = session_with_hook("before-send.ecs.DescribeServices", deny_other_cluster, calls)
    clients = AwsClients(AwsSettings(max_attempts=2), session=session)
    report = run_check(load_policy(policy_path), CheckOptions(), clients)

    assert report.exit_code == 3
    by_service = {s.service: s.verified for s in report.services}
    assert by_service == {SERVICE: True, "other": False}
    assert {(f.rule_id, f.target.service) for f in report.findings} == {
        ("DG101", SERVICE),
        ("DG901", "other"),
    }


def test_unreachable_endpoint_exits_3_with_one_line(cli: Cli, tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    result = cli.run(
        "check",
        "--policy",
        str(POLICY),
        "--max-attempts",
        "2",
        "--timeout",
        "2",
        "--format",
        "json",
        "--output",
        str(report_path),
        extra_env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"},
    )

    assert result.exit_code == 3
    assert "Traceback" not in result.stderr
    assert "the AWS endpoint for ecs:DescribeServices is unreachable" in result.stderr
    report = json.loads(report_path.read_text())
    assert report["verdict"] == "could-not-verify"
    assert [f["rule_id"] for f in report["findings"]] == ["DG901"]


def test_no_credentials_exits_3(cli: Cli) -> None:
    env = {
        k: v for k, v in cli.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    result = Cli(env, cli.cwd).run("check", "--policy", str(POLICY))
    assert result.exit_code == 3
    assert "no AWS credentials for ecs:DescribeServices" in result.stderr
    assert result.stdout.startswith("COULD NOT VERIFY: 1 of 1 service(s) could not be verified")


def xml_error(status: int, code: str) -> Callable[..., AWSResponse]:
    """An emulator's or proxy's answer to a JSON-protocol call: the query protocol's XML
    error document with a bare HTTP status, so botocore's code is the status."""
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>said by "
        "the test CANARY-VALUE</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    ).encode()

    def respond(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _RawBody(body))

    return respond


@pytest.mark.parametrize(
    ("status", "code", "words", "fix"),
    [
        (403, "ExpiredToken", "AWS rejected the credentials for", "aws sso login"),
        (403, "AccessDenied", "access denied to", "docs/iam-policy.json"),
        (400, "ThrottlingException", "throttled on", "Run again later"),
        (403, "Throttling", "throttled on", "Run again later"),
    ],
)
def test_an_error_document_behind_a_bare_status_is_read_for_its_code(
    incident_on_moto: MotoServer, status: int, code: str, words: str, fix: str
) -> None:
    calls: list[str] = []
    session = session_with_hook(
        "before-send.ecs.DescribeTaskDefinition", xml_error(status, code), calls
    )
    report = run_with_session(session)
    assert report.exit_code == 3
    [finding] = report.findings
    assert f"{words} ecs:DescribeTaskDefinition" in finding.message
    assert fix in (finding.remediation or "")
    assert "CANARY" not in report.model_dump_json()
    assert "<Code>" not in report.model_dump_json()
