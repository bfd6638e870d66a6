"""A pass means verified: the right exit code and words on the paths issue 10 found wrong.

In-process through `main(argv)`, against moto in-process where AWS is needed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from drift_gate import _moto_compat
from drift_gate.cli import main
from drift_gate.deadline import Deadline
from drift_gate.engine.gate import run_check
from drift_gate.engine.service_checks import CheckOptions
from drift_gate.model import LinkState, Report
from drift_gate.policy import load_policy
from drift_gate.sources.aws import AwsClients
from tests.plans import incident_plan
from tests.unit.test_gate import API_SERVICE, create_service, register, write_policy

REGION = "us-east-1"


@pytest.fixture
def account() -> Iterator[None]:
    """moto in-process with one service `api` in cluster `c` whose secret exists (SSM)."""
    with mock_aws():
        ecs = AwsClients().client("ecs", REGION)
        ecs.create_cluster(clusterName="c")
        create_service(ecs, task_definition=register(ecs))
        _moto_compat.settle("c", "api", REGION)
        yield


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def policy_path(tmp_path: Path, extra: str = "") -> Path:
    write_policy(tmp_path, API_SERVICE + extra)
    return tmp_path / "policy.yaml"


# --- Links that did not run are never shown as passing -------------------------------------


def links(report: Report) -> dict[str, tuple[LinkState, str | None]]:
    return {link.link: (link.state, link.reason) for link in report.services[0].links}


def test_every_link_that_ran_passes_and_the_ones_that_did_not_say_why(
    account: None, tmp_path: Path
) -> None:
    report = run_check(load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients())
    assert report.exit_code == 0
    assert links(report) == {
        "service exists": (LinkState.PASSED, None),
        "latest revision deployed": (LinkState.PASSED, None),
        "rollout settled": (LinkState.PASSED, None),
        "running tasks run the PRIMARY revision": (
            LinkState.NOT_CHECKED,
            "no running or recently stopped task to look at",
        ),
        "containers get declared names": (LinkState.PASSED, None),
        "no credentials in plain env": (LinkState.PASSED, None),
        "images exist": (LinkState.NOT_CHECKED, "images outside ECR: app"),
        "secrets exist": (LinkState.PASSED, None),
        "the execution role can read each secret": (LinkState.PASSED, None),
        "application log clean": (LinkState.NOT_CHECKED, "no logs declared for this service"),
        "the application answers as declared": (
            LinkState.NOT_CHECKED,
            "no smoke requests declared",
        ),
    }


def test_secret_checks_off_is_not_checked_in_every_format(
    account: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = policy_path(tmp_path)
    outputs = {name: tmp_path / f"report.{name}" for name in ("json", "html", "junit", "sarif")}
    arguments = ["check", "--policy", str(policy), "--secret-checks", "off"]
    for name, path in outputs.items():
        arguments += ["--format", name, "--output", str(path)]
    code, _, _ = run(capsys, *arguments, "--format", "console")
    assert code == 0
    document = json.loads(outputs["json"].read_text())
    secrets = next(
        link for link in document["services"][0]["links"] if link["link"] == "secrets exist"
    )
    assert secrets == {
        "link": "secrets exist",
        "state": "not-checked",
        "reason": "--secret-checks off",
    }
    role = next(
        link
        for link in document["services"][0]["links"]
        if link["link"] == "the execution role can read each secret"
    )
    assert role == {
        "link": "the execution role can read each secret",
        "state": "not-checked",
        "reason": "it needs the secret stores (--secret-checks off)",
    }
    html = outputs["html"].read_text()
    assert '<span class="link ok" title="passed">secrets exist</span>' not in html
    assert 'title="not checked: --secret-checks off">secrets exist (not checked)' in html
    assert '<skipped message="not checked (--secret-checks off)"' in outputs["junit"].read_text()
    sarif = json.loads(outputs["sarif"].read_text())
    assert (
        "secrets exist: not checked (--secret-checks off)"
        in (sarif["runs"][0]["properties"]["linksNotVerified"]["dev/c/api"])
    )
    code, out, _ = run(capsys, "check", "--policy", str(policy), "--secret-checks", "off")
    assert "link    secrets exist: not checked (--secret-checks off)" in out


def test_a_service_that_could_not_be_read_leaves_every_later_link_unchecked(
    account: None, tmp_path: Path
) -> None:
    clients = AwsClients(deadline=Deadline(0.0))  # the deadline has passed: no call is made
    report = run_check(load_policy(policy_path(tmp_path)), CheckOptions(), clients)
    assert report.exit_code == 3
    assert (
        "the run's deadline (0 s) passed before ecs:DescribeServices" in report.findings[0].message
    )
    states = links(report)
    assert states["service exists"][0] is LinkState.COULD_NOT_VERIFY
    assert {state for state, _ in list(states.values())[1:]} == {LinkState.NOT_CHECKED}
    assert dict(clients.calls) == {}


# --- Outputs: refused before any work, and a failed write never lowers the exit code -------


def test_two_formats_into_one_file_is_refused_before_any_aws_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.txt"
    code, _, err = run(
        capsys,
        "check",
        "--policy",
        str(policy_path(tmp_path)),
        "-fjson",
        f"-o{out}",
        "-fsarif",
        f"-o{out}",
    )
    assert code == 2
    assert f"--format json and --format sarif both write {out}" in err
    assert not out.exists()


def test_an_output_that_is_an_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = policy_path(tmp_path)
    before = policy.read_text()
    code, _, err = run(
        capsys, "check", "--policy", str(policy), "--format", "json", "--output", str(policy)
    )
    assert code == 2
    assert f"--output {policy} is the input {policy}" in err
    assert policy.read_text() == before


def test_a_symlinked_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "report.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    code, _, err = run(
        capsys,
        "check",
        "--policy",
        str(policy_path(tmp_path)),
        "--format",
        "json",
        "--output",
        str(link),
    )
    assert code == 2
    assert "is a symbolic link; give the real path" in err


@pytest.mark.parametrize(
    ("endpoint", "report_exit", "process_exit"),
    [
        (None, 1, 2),  # drift (no cluster), and the report could not be written: 2 outranks 1
        ("http://127.0.0.1:9", 3, 3),  # nothing answers: could not verify outranks the write
    ],
)
def test_the_worst_exit_code_wins_when_a_report_cannot_be_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    endpoint: str | None,
    report_exit: int,
    process_exit: int,
) -> None:
    assert Path("/dev/full").exists()  # Linux: every write to it fails with ENOSPC
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    policy = str(policy_path(tmp_path))
    with mock_aws() if endpoint is None else contextlib.nullcontext():
        code, _, err = run(
            capsys,
            "check",
            "--policy",
            policy,
            "--max-attempts",
            "1",
            "--format",
            "json",
            "--output",
            "/dev/full",
            "--format",
            "json",
            "--output",
            str(tmp_path / "copy.json"),
        )
    assert code == process_exit
    assert "drift-gate: error: /dev/full: cannot write report" in err
    assert json.loads((tmp_path / "copy.json").read_text())["exit_code"] == report_exit


def test_debug_is_accepted_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nenvironments: {}\n")
    code, _, err = run(capsys, "check", "--policy", str(bad), "--debug")
    assert code == 2
    assert "Traceback (most recent call last)" in err


# --- The user's own AWS configuration: one line naming it, exit 2, the report still written -


def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(incident_plan()))
    return path


# Endpoints botocore accepts when it makes a client, or refuses with words of its own.
BAD_ENDPOINTS = (
    "http://127.0.0.1:99999",  # port out of range
    "http://[::1]:65536",
    "http://127.0.0.1:0",  # nothing listens on port 0
    "http://127.0.0.1:abc",  # a port that is not a number
    "http://127.0.0.1:-1",
    "http://127.0.0.1: 80",
    "http://[::1",  # an IPv6 address left open
    "http://[zz]",  # brackets around what is not an address
    "http://",  # a scheme only
    "https://",
    "ftp://127.0.0.1",  # a scheme botocore cannot send to
)


@pytest.mark.parametrize(
    ("environment", "region", "expected"),
    [
        ({"AWS_PROFILE": "nope"}, REGION, "AWS profile 'nope' is not in the AWS config"),
        (
            {"AWS_CONFIG_FILE": "{bad_config}"},
            REGION,
            "the AWS config file {bad_config} cannot be parsed",
        ),
        ({"AWS_ENDPOINT_URL": "notaurl"}, REGION, "the AWS endpoint 'notaurl' is not a URL"),
        (  # a proxy's password in the endpoint is never shown
            {"AWS_ENDPOINT_URL": "htp:/user:s3cretpw@proxy.internal"},
            REGION,
            "the AWS endpoint '...@proxy.internal' is not a URL",
        ),
        ({}, "us east 1", "'us east 1' is not an AWS region name"),
        # botocore takes these and failed at the first call: "internal error" (ValueError
        # while signing) or "could not verify" (exit 3) for the user's own configuration.
        *(
            ({"AWS_ENDPOINT_URL": url}, REGION, f"the AWS endpoint '{url}' is not a URL")
            for url in BAD_ENDPOINTS
        ),
        (  # the service's own variable
            {"AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:99999"},
            REGION,
            "the AWS endpoint 'http://127.0.0.1:99999' is not a URL drift-gate can call",
        ),
        (
            {"AWS_ENDPOINT_URL": "http://user:s3cretpw@127.0.0.1:99999"},
            REGION,
            "the AWS endpoint '...@127.0.0.1:99999' is not a URL drift-gate can call",
        ),
    ],
)
def test_aws_configuration_mistakes_are_usage_errors_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    region: str,
    expected: str,
) -> None:
    bad_config = tmp_path / "config"
    bad_config.write_text("[default\nregion = us-east-1\n")
    for key, value in environment.items():
        monkeypatch.setenv(key, value.format(bad_config=bad_config))
    report = tmp_path / "report.json"
    code, out, err = run(
        capsys,
        "check",
        "--plan-json",
        str(plan_file(tmp_path)),
        "--region",
        region,
        "--format",
        "json",
        "--output",
        str(report),
        "--format",
        "console",
        "--output",
        str(tmp_path / "report.txt"),
        "--format",
        "console",
    )
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("drift-gate: error: ")
    assert expected.format(bad_config=bad_config) in line
    assert "internal error" not in err
    assert out == ""  # one line, not a report of a service called "run" before it
    said = err + report.read_text() + (tmp_path / "report.txt").read_text()
    assert "s3cretpw" not in said
    written: dict[str, Any] = json.loads(report.read_text())
    assert (written["verdict"], written["exit_code"]) == ("could-not-verify", 2)
    assert written["services"] == []
    [finding] = written["findings"]
    assert finding["message"].startswith("the AWS configuration cannot be used: ")
    assert finding["remediation"].startswith("Fix the AWS configuration named above")
    console = tmp_path / "report.txt"
    text = console.read_text()
    assert text.startswith("ERROR: the AWS configuration cannot be used: ")
    assert "docs/iam-policy.json" not in text


def test_an_endpoint_url_in_the_config_file_that_botocore_refuses_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1\nendpoint_url = http://[::1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    code, out, err = run(capsys, "check", "--plan-json", str(plan_file(tmp_path)))
    assert (code, out) == (2, "")
    [line] = err.strip().splitlines()
    assert line.startswith(
        "drift-gate: error: the AWS endpoint 'http://[::1' is not a URL drift-gate can call: "
    )


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (  # read at the first call's signing: it was "internal error (FileNotFoundError)"
            {"AWS_WEB_IDENTITY_TOKEN_FILE": "{missing}", "AWS_ROLE_ARN": "arn:aws:iam::1:role/x"},
            "the web identity token file {missing} (AWS_WEB_IDENTITY_TOKEN_FILE or the "
            "profile's web_identity_token_file) cannot be read",
        ),
        (  # looked for at the first call: it was "endpoint unreachable", exit 3
            {"AWS_CA_BUNDLE": "{missing}", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
            "the CA bundle {missing} (AWS_CA_BUNDLE or the profile's ca_bundle) does not exist",
        ),
        (  # a ValueError that is not the endpoint's: the endpoint is not blamed
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://[::1"},
            "the AWS configuration cannot be used (ValueError)",
        ),
    ],
)
def test_credential_and_tls_configuration_mistakes_are_usage_errors_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    expected: str,
) -> None:
    missing = str(tmp_path / "no-token")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://127.0.0.1:4566")
    for key, value in environment.items():
        monkeypatch.setenv(key, value.format(missing=missing))
    code, out, err = run(
        capsys, "check", "--plan-json", str(plan_file(tmp_path)), "--region", REGION
    )
    assert (code, out) == (2, "")
    [line] = err.strip().splitlines()
    assert line.startswith("drift-gate: error: " + expected.format(missing=missing))
    assert "AWS endpoint" not in line


@pytest.mark.parametrize("url", BAD_ENDPOINTS)
def test_scan_with_an_endpoint_that_cannot_be_called_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    report = tmp_path / "scan.json"
    code, out, err = run(
        capsys, "scan", "--region", REGION, "--format", "json", "--output", str(report)
    )
    assert (code, out) == (2, "")
    [line] = err.strip().splitlines()
    assert line.startswith(f"drift-gate: error: the AWS endpoint '{url}' is not a URL")
    assert json.loads(report.read_text())["exit_code"] == 2


def test_the_library_check_returns_the_same_report_as_the_cli(
    account: None, tmp_path: Path
) -> None:
    import drift_gate

    report = drift_gate.check(policy_path(tmp_path))
    assert (report.exit_code, [s.service for s in report.services]) == (0, ["api"])
    assert report.services[0].links[0].state is LinkState.PASSED
    skipped = drift_gate.check(policy_path(tmp_path), skip_links=("execution-role",))
    role = next(
        link
        for link in skipped.services[0].links
        if link.link == "the execution role can read each secret"
    )
    assert (role.state, role.reason) == (LinkState.NOT_CHECKED, "--skip-link execution-role")


# --- Batch answers are read by each item's reason: only MISSING is absence (issue 22) -------


def answering(operation: str, body: dict[str, Any], status: int = 200) -> Any:
    """A boto3 session whose `operation` (ECS) gets `body` as its answer; the rest goes to moto."""
    import boto3
    from botocore.awsrequest import AWSResponse

    data = json.dumps(body).encode()

    class Raw:
        def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
            yield data

    def respond(request: Any, **_: Any) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, status, headers, Raw())

    session = boto3.session.Session(region_name=REGION)
    session.events.register_first(f"before-send.ecs.{operation}", respond)
    return session


SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/c/api"


@pytest.mark.parametrize(
    "reason", ["INTERNAL_ERROR", "ACCESS_DENIED", "THROTTLED", "SOMETHING_NEW", None]
)
def test_a_describe_services_failure_other_than_missing_is_could_not_verify(
    account: None, tmp_path: Path, reason: str | None
) -> None:
    failure = {"arn": SERVICE_ARN, **({"reason": reason} if reason else {})}
    session = answering("DescribeServices", {"services": [], "failures": [failure]})
    report = run_check(
        load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients(session=session)
    )
    assert report.exit_code == 3
    [finding] = report.findings
    assert finding.rule_id == "DG901"
    shown = reason or "(no reason given)"
    assert f"ecs:DescribeServices answered service api with failure {shown}" in finding.message
    assert "does not exist" not in finding.message
    assert "not found" not in finding.message
    assert links(report)["service exists"][0] is LinkState.COULD_NOT_VERIFY


def test_describe_services_missing_is_still_the_service_not_found(
    account: None, tmp_path: Path
) -> None:
    session = answering(
        "DescribeServices",
        {"services": [], "failures": [{"arn": SERVICE_ARN, "reason": "MISSING"}]},
    )
    report = run_check(
        load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients(session=session)
    )
    assert (report.exit_code, [f.rule_id for f in report.findings]) == (1, ["DG206"])


@pytest.mark.parametrize(
    "failure",
    [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:service/c/other", "reason": "MISSING"},
        {"reason": "MISSING"},
    ],
)
def test_a_describe_services_failure_for_a_service_not_asked_is_could_not_verify(
    account: None, tmp_path: Path, failure: dict[str, str]
) -> None:
    session = answering("DescribeServices", {"services": [], "failures": [failure]})
    report = run_check(
        load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients(session=session)
    )
    assert report.exit_code == 3
    assert "not asked for" in report.findings[0].message


def test_a_service_answered_neither_way_is_could_not_verify(account: None, tmp_path: Path) -> None:
    session = answering("DescribeServices", {"services": [], "failures": []})
    report = run_check(
        load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients(session=session)
    )
    assert report.exit_code == 3
    assert "answered neither service api nor a failure for it" in report.findings[0].message


class ListedTasks:
    """ECS whose ListTasks names one task and whose DescribeTasks answers `described`."""

    def __init__(self, described: dict[str, Any]) -> None:
        self.described = described

    def list_tasks(self, **arguments: Any) -> dict[str, Any]:
        running = arguments["desiredStatus"] == "RUNNING"
        return {"taskArns": [TASK_ARN] if running else []}

    def describe_tasks(self, **_: Any) -> dict[str, Any]:
        return self.described


TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef"


@pytest.mark.parametrize(
    ("described", "words"),
    [
        (
            {"tasks": [], "failures": [{"arn": TASK_ARN, "reason": "MISSING"}]},
            f"ecs:DescribeTasks answered task {TASK_ARN} with failure MISSING",
        ),
        (
            {"tasks": [], "failures": [{"arn": TASK_ARN, "reason": "INTERNAL_ERROR"}]},
            "with failure INTERNAL_ERROR",
        ),
        (
            {"tasks": [], "failures": [{"arn": TASK_ARN, "reason": "<b>text</b> from a proxy"}]},
            "with failure (a reason that is not an AWS code)",
        ),
        ({"tasks": [], "failures": []}, f"answered neither task {TASK_ARN} nor a failure"),
        (
            {"tasks": [], "failures": [{"arn": "arn:aws:ecs:::task/c/x", "reason": "MISSING"}]},
            "answered a failure for arn:aws:ecs:::task/c/x, not asked for",
        ),
    ],
)
def test_a_listed_task_described_as_a_failure_or_not_at_all_is_could_not_verify(
    account: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    described: dict[str, Any],
    words: str,
) -> None:
    from drift_gate.sources.tasks import service_tasks

    fake = ListedTasks(described)
    monkeypatch.setattr(
        "drift_gate.engine.later.running_tasks.service_tasks",
        lambda _client, *rest: service_tasks(fake, *rest),
    )
    report = run_check(load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients())
    assert report.exit_code == 3
    state, _ = links(report)["running tasks run the PRIMARY revision"]
    assert state is LinkState.COULD_NOT_VERIFY
    [finding] = report.findings
    assert words in finding.message
    assert "<b>" not in finding.message


def described_task(group: str | None) -> dict[str, Any]:
    task = {
        "taskArn": TASK_ARN,
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1",
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
    }
    return {"tasks": [{**task, "group": group}], "failures": []}


@pytest.mark.parametrize(
    ("group", "words"),
    [
        ("", "with an empty group, not service:api"),
        ("   ", "with an empty group, not service:api"),
        ("service:API", "as another group's task, not service:api"),  # another case
        ("service:api ", "as another group's task, not service:api"),
        ("service:other", "as another group's task, not service:api"),
        ("family:api", "as another group's task, not service:api"),
    ],
)
def test_a_listed_task_answered_as_another_groups_is_could_not_verify_not_no_task(
    account: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    group: str,
    words: str,
) -> None:
    """ListTasks named the task for the service: DescribeTasks answering it as another
    group's does not say what was asked. Left out, the link read "no running or recently
    stopped task to look at" and the run passed."""
    from drift_gate.sources.tasks import service_tasks

    fake = ListedTasks(described_task(group))
    monkeypatch.setattr(
        "drift_gate.engine.later.running_tasks.service_tasks",
        lambda _client, *rest: service_tasks(fake, *rest),
    )
    report = run_check(load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients())
    assert report.exit_code == 3
    state, _ = links(report)["running tasks run the PRIMARY revision"]
    assert state is LinkState.COULD_NOT_VERIFY
    [finding] = report.findings
    assert finding.rule_id == "DG901"
    assert f"ecs:DescribeTasks answered task {TASK_ARN}, which ecs:ListTasks named for " in (
        finding.message
    )
    assert words in finding.message


@pytest.mark.parametrize("group", ["service:api", None])  # no group: taken as asked
def test_a_listed_task_answered_as_the_services_own_is_looked_at(
    account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str | None
) -> None:
    from drift_gate.sources.tasks import service_tasks

    described = described_task(group)
    if group is None:
        del described["tasks"][0]["group"]
    fake = ListedTasks(described)
    monkeypatch.setattr(
        "drift_gate.engine.later.running_tasks.service_tasks",
        lambda _client, *rest: service_tasks(fake, *rest),
    )
    report = run_check(load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients())
    state, _ = links(report)["running tasks run the PRIMARY revision"]
    assert state is not LinkState.NOT_CHECKED
    assert all(f.rule_id != "DG901" for f in report.findings)


def test_an_xml_error_document_in_a_403_is_read_for_its_code(account: None, tmp_path: Path) -> None:
    """An emulator answering a JSON-protocol call with the query protocol's XML: botocore's
    code is "403", the document in the message; the credentials, not a permission, are wrong."""
    import boto3
    from botocore.awsrequest import AWSResponse

    secret_words = "The security token included in the request is invalid. sk=CANARY"
    document = (
        '<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type>'
        f"<Code>InvalidClientTokenId</Code><Message>{secret_words}</Message></Error>"
        "<RequestId>r</RequestId></ErrorResponse>"
    ).encode()

    class Raw:
        def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
            yield document

    session = boto3.session.Session(region_name=REGION)
    session.events.register_first(
        "before-send.ecs.DescribeServices",
        lambda request, **_: AWSResponse(request.url, 403, {"Content-Type": "text/xml"}, Raw()),
    )
    report = run_check(
        load_policy(policy_path(tmp_path)), CheckOptions(), AwsClients(session=session)
    )
    assert report.exit_code == 3
    [finding] = report.findings
    assert "AWS rejected the credentials for ecs:DescribeServices (InvalidClientTokenId)" in (
        finding.message
    )
    assert "aws sso login" in (finding.remediation or "")
    assert "CANARY" not in report.model_dump_json()
    assert "<Code>" not in report.model_dump_json()


@pytest.mark.parametrize(
    ("last", "desired"), [("DEPROVISIONING", "STOPPED"), ("STOPPING", "STOPPED"), ("STOPPED", None)]
)
def test_a_task_still_stopping_after_a_secret_pull_failure_is_dg211(
    last: str, desired: str | None
) -> None:
    from datetime import datetime, timedelta, timezone

    from drift_gate.checks.findings import ServiceContext
    from drift_gate.checks.tasks import check_tasks
    from drift_gate.model import Deployment, ServiceState, Target
    from drift_gate.sources.answers import TaskAnswer

    definition = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2"
    now = datetime.now(timezone.utc)
    primary = Deployment(
        id="d",
        status="PRIMARY",
        task_definition_arn=definition,
        created_at=now - timedelta(hours=1),
    )
    state = ServiceState(
        cluster="c",
        name="api",
        arn=SERVICE_ARN,
        status="ACTIVE",
        deployment_controller="ECS",
        desired_count=1,
        running_count=0,
        deployments=(primary,),
    )
    task = TaskAnswer(
        taskArn=TASK_ARN,
        taskDefinitionArn=definition,
        lastStatus=last,
        desiredStatus=desired,
        group="service:api",
        stoppedReason="ResourceInitializationError: unable to pull secrets or registry auth: "
        "execution resource retrieval failed",
        stoppingAt=now - timedelta(minutes=1),
    )
    context = ServiceContext(Target(environment="dev", cluster="c", service="api"))
    found = check_tasks(context, state, [task])
    assert [f.rule_id for f in found] == ["DG211"]  # not DG210: a stopping task is not stray


# --- An empty secret reference is a finding, never a pass (issue 22) -------------------------


# Invisible: a zero-width space, a byte order mark, a word joiner, a soft hyphen, a Hangul
# filler, all of them with spaces. A copy and paste leaves them; they name no secret.
INVISIBLE_REFERENCES = ("\u200b", "\ufeff", "\u2060", "\u00ad", "\u3164", " \u200b\ufeff\u2060 ")


@pytest.mark.parametrize(  # left out: botocore refuses to send it
    "value_from", ["", "   ", *INVISIBLE_REFERENCES]
)
def test_a_live_secret_with_an_empty_value_from_is_dg108_not_a_pass(
    tmp_path: Path, value_from: str
) -> None:
    from tests.roles import execution_role

    with mock_aws():
        clients = AwsClients()
        ecs = clients.client("ecs", REGION)
        ecs.create_cluster(clusterName="c")
        secret = {"name": "TOKEN", "valueFrom": value_from}
        arn = ecs.register_task_definition(
            family="api",
            executionRoleArn=execution_role(clients.client("iam", REGION)),
            containerDefinitions=[
                {"name": "api", "image": "app", "memory": 128, "secrets": [secret]},
                # A container the policy does not declare: its empty reference counts too.
                {"name": "sidecar", "image": "app", "memory": 64, "secrets": [secret]},
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        create_service(ecs, task_definition=arn)
        report = run_check(load_policy(policy_path(tmp_path)), CheckOptions(), clients)
    assert report.exit_code == 1
    assert sorted((f.rule_id, f.target.container) for f in report.findings) == [
        ("DG108", "api"),
        ("DG108", "sidecar"),
    ]
    api = next(f for f in report.findings if f.target.container == "api")
    assert api.message == (
        "secret TOKEN of container api of the running task definition has an empty valueFrom: "
        "it reads no secret"
    )
    assert api.declared_in == f"{tmp_path / 'policy.yaml'}:10"
    states = links(report)
    assert states["containers get declared names"][0] is LinkState.FAILED
    assert states["secrets exist"] == (
        LinkState.NOT_CHECKED,
        "nothing to look up for TOKEN of container api, TOKEN of container sidecar: the "
        "valueFrom names nothing (DG108)",
    )


# Left out, valueFrom makes the file invalid (exit 2, test_task_definition_files.py).
@pytest.mark.parametrize(
    "value_from",
    ['""', '" \\t "', *(json.dumps(text) for text in INVISIBLE_REFERENCES), '"\u200b"'],
)
def test_an_offline_task_definition_file_with_an_empty_value_from_is_dg108(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value_from: str
) -> None:
    secret = f'{{"name": "TOKEN", "valueFrom": {value_from}}}'
    definition = tmp_path / "task-definition.json"
    definition.write_text(
        '{"family": "api", "executionRoleArn": "arn:aws:iam::1:role/x", '
        '"containerDefinitions": [\n'
        f'  {{"name": "api", "image": "app", "secrets": [{secret}]}}\n'
        "]}\n"
    )
    report = tmp_path / "report.json"
    code, out, err = run(
        capsys,
        "check",
        "--offline",
        "--policy",
        str(policy_path(tmp_path)),
        "--task-definition",
        str(definition),
        "--format",
        "json",
        "--output",
        str(report),
    )
    assert code == 1, out + err
    [finding] = json.loads(report.read_text())["findings"]
    assert (finding["rule_id"], finding["target"]["variable"]) == ("DG108", "TOKEN")
    assert finding["declared_in"] == f"{definition}:2"


@pytest.mark.parametrize(
    ("value_from", "empty"),
    [
        *((text, True) for text in ("", " \t\n", "\u3000", "\u034f", "\U000e0041", "\u2800")),
        *((text, True) for text in INVISIBLE_REFERENCES),
        ("/app/TOKEN", False),
        ("секрет", False),
        ("${TOKEN_ARN}", False),
    ],
)
def test_a_reference_without_a_visible_character_is_empty(value_from: str, empty: bool) -> None:
    from drift_gate.sources.containers import is_empty_reference, reference

    assert is_empty_reference(value_from) is empty
    assert reference(value_from) == ("" if empty else value_from)


def test_a_template_placeholder_is_not_empty_and_its_pin_not_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "task-definition.json"
    definition.write_text(
        '{"family": "api", "executionRoleArn": "arn:aws:iam::1:role/x", "containerDefinitions": '
        '[{"name": "api", "image": "app", "secrets": [{"name": "TOKEN", "valueFrom": '
        '"${TOKEN_ARN}"}]}]}'
    )
    policy = policy_path(tmp_path)
    policy.write_text(
        policy.read_text().replace("[TOKEN]", "[{name: TOKEN, value_from: /app/TOKEN}]")
    )
    code, out, err = run(
        capsys, "check", "--offline", "--policy", str(policy), "--task-definition", str(definition)
    )
    # not empty (no DG108); the pin cannot be compared: not verified, never a pass (issue 26)
    assert code == 3, out + err
    assert "DG108" not in out + err
    assert "DG903" in out + err


# --- The headline counts what really could not be verified (issue 22) ------------------------


def headline(*findings: tuple[str, str, str | None, str | None], verified: bool = True) -> str:
    """The console headline of a run of one service `api` with these (rule, message,
    service, request) findings."""
    from datetime import datetime, timezone

    from drift_gate.checks.findings import ServiceContext
    from drift_gate.engine.outcome import ServiceResult, build_report
    from drift_gate.model import CheckedService, FailOn, Target
    from drift_gate.report.console import verdict_line

    checked = CheckedService(
        environment="dev", region=REGION, cluster="c", service="api", verified=verified
    )
    built = [
        ServiceContext(
            Target(
                environment="dev",
                region=REGION,
                cluster="c" if service else None,
                service=service,
                request=request,
            )
        ).finding(rule, message)  # type: ignore[arg-type]
        for rule, message, service, request in findings
    ]
    now = datetime.now(timezone.utc)
    report = build_report([ServiceResult(checked, tuple(built))], FailOn.ERROR, now, now, None, {})
    return verdict_line(report)


def test_a_wait_that_timed_out_is_the_headline_not_zero_services() -> None:
    line = headline(
        (
            "DG901",
            "could not verify: the rollout did not settle within 5 s (IN_PROGRESS)",
            "api",
            None,
        )
    )
    assert line == (
        "COULD NOT VERIFY: 1 rollout(s) did not settle within --wait; this is not a pass"
    )


def test_an_unreachable_smoke_request_is_the_headline_not_zero_services() -> None:
    line = headline(
        ("DG901", "could not verify: GET https://api.example/health: refused", "api", "GET /")
    )
    assert line == "COULD NOT VERIFY: 1 smoke request(s) could not be verified; this is not a pass"


def test_a_service_whose_later_link_could_not_verify_counts_as_a_service() -> None:
    line = headline(("DG901", "could not verify the service's tasks: throttled", "api", None))
    assert line.startswith("COULD NOT VERIFY: 1 of 1 service(s) could not be verified;")


def test_a_run_level_failure_is_named_not_zero_of_zero_services() -> None:
    line = headline(("DG902", "terraform plan failed: exit 1", None, None))
    assert line == ("COULD NOT VERIFY: terraform plan failed: exit 1; this is not a pass")


@pytest.mark.parametrize("regions", [(), ("--region", REGION)])
def test_scan_with_an_unknown_profile_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    regions: tuple[str, ...],
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.delenv("AWS_REGION", raising=False)
    report = tmp_path / "scan.json"
    code, out, err = run(
        capsys, "scan", *regions, "--quiet", "--format", "json", "--output", str(report)
    )
    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("drift-gate: error: AWS profile 'nope' is not in the AWS config")
    written = json.loads(report.read_text())
    assert (written["exit_code"], written["services"]) == (2, [])
