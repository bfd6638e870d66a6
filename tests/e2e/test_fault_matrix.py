"""Every AWS operation drift-gate calls x every fault a network or AWS can produce.

A fault-injecting proxy (tests/faults.py) sits between drift-gate and moto in server mode.
For each cell the run must exit 3 (could not verify), never 0 and never "internal error",
and say what happened in words that point to the fix. The table of outcomes is written
into docs/reliability.md (refresh: DRIFT_GATE_UPDATE_GOLDEN=1, then review the diff).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import botocore.endpoint
import pytest

from drift_gate import _moto_compat
from drift_gate.cli import main
from tests.conftest import REPO, MotoServer
from tests.faults import (
    ANOTHER_GROUP,
    BATCH_FAULTS,
    NEITHER,
    NOT_ASKED,
    PAGED,
    TASK_BATCH_FAULTS,
    Fault,
    FaultProxy,
    running,
)
from tests.roles import execution_role

pytestmark = pytest.mark.e2e

RELIABILITY = REPO / "docs" / "reliability.md"
BEGIN, END = "<!-- fault-table: begin -->", "<!-- fault-table: end -->"

# (IAM name, wire name): each operation a full check with --publish-metrics makes.
OPERATIONS = (
    ("ecs:DescribeServices", "DescribeServices"),
    ("ecs:DescribeTaskDefinition", "DescribeTaskDefinition"),
    ("ecs:ListTaskDefinitions", "ListTaskDefinitions"),
    ("ecs:ListTasks", "ListTasks"),
    ("ecs:DescribeTasks", "DescribeTasks"),
    ("ecr:DescribeImages", "DescribeImages"),
    ("secretsmanager:DescribeSecret", "DescribeSecret"),
    ("ssm:DescribeParameters", "DescribeParameters"),
    ("iam:SimulatePrincipalPolicy", "SimulatePrincipalPolicy"),
    ("kms:DescribeKey", "DescribeKey"),
    ("logs:FilterLogEvents", "FilterLogEvents"),
    ("cloudwatch:PutMetricData", "PutMetricData"),
)
# Words each fault must be reported with: the cause, so the fix can follow it.
WORDS = {
    Fault.SERVER_ERROR: r"server error \(500\)",
    Fault.THROTTLING: r"throttled on",
    Fault.ACCESS_DENIED: r"access denied to",
    Fault.REJECTED_CREDENTIALS: r"rejected the credentials",
    Fault.TRUNCATED: r"answered without what drift-gate reads|answer to \S+ could not be read",
    Fault.EMPTY: r"answered without what drift-gate reads",
    Fault.ENDLESS_PAGES: r"kept paging past 1000 pages",
    Fault.READ_TIMEOUT: r"did not answer \S+ in time",
    # The code is read from the document: the credentials, never a permission, are wrong.
    Fault.XML_403: r"rejected the credentials for \S+ \(InvalidClientTokenId\)",
}
POLICY = """\
version: 1
environments:
  dev:
    region: us-east-1
    # A fault on the simulator must be exit 3 here; best-effort (the default) would warn.
    checks: {execution_role: required}
    services:
      - cluster: c
        service: api
        containers:
          api:
            secrets: [HF_TOKEN, DB_PASSWORD]
        logs:
          group: /ecs/api
          forbid: ["token not configured"]
          since: 1h
"""


def seed_account(moto: MotoServer) -> None:
    """One service whose container uses both secret stores (the parameter under a customer
    key named by alias), its execution role, and its log group."""
    secret = moto.client("secretsmanager").create_secret(Name="api/hf", SecretString="v")["ARN"]
    kms = moto.client("kms")
    kms.create_alias(AliasName="alias/api", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    moto.client("ssm").put_parameter(
        Name="/api/db", Value="v", Type="SecureString", KeyId="alias/api"
    )
    ecr = moto.client("ecr")
    ecr.create_repository(repositoryName="api")
    manifest = (
        '{"schemaVersion": 2, "mediaType": '
        '"application/vnd.docker.distribution.manifest.v2+json", "layers": []}'
    )
    ecr.put_image(repositoryName="api", imageManifest=manifest, imageTag="v1")
    ecs = moto.client("ecs")
    ecs.create_cluster(clusterName="c")
    arn = ecs.register_task_definition(
        family="api",
        executionRoleArn=execution_role(moto.client("iam")),
        containerDefinitions=[
            {
                "name": "api",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1",
                "memory": 128,
                "secrets": [
                    {"name": "HF_TOKEN", "valueFrom": secret},
                    {"name": "DB_PASSWORD", "valueFrom": "/api/db"},
                ],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="c", serviceName="api", taskDefinition=arn, desiredCount=1)
    _moto_compat.settle("c", "api", "us-east-1")
    moto.client("logs").create_log_group(logGroupName="/ecs/api")


def run_check(
    policy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> tuple[int, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    code = main(
        [
            "check",
            "--policy",
            str(policy),
            "--format",
            "json",
            "--output",
            str(policy.parent / "report.json"),
            "--publish-metrics",
            "DriftGate/Test",
            "--max-attempts",
            "2",
            "--timeout",
            "0.5",
        ]
    )
    return code, capsys.readouterr().err


def reported_line(stderr: str) -> str:
    """The line that says what could not be verified (or the error line)."""
    for prefix in ("drift-gate: could not verify", "drift-gate: error:"):
        for line in stderr.splitlines():
            if line.startswith(prefix):
                return line.removeprefix("drift-gate: ")
    return stderr.strip().splitlines()[-1] if stderr.strip() else ""


def not_applicable(wire: str, fault: Fault) -> str | None:
    """Why a cell has no fault to inject, or None."""
    if fault is Fault.ENDLESS_PAGES and wire not in PAGED:
        return "not a paged operation"
    if fault is Fault.TRUNCATED and wire == "PutMetricData":
        # Its success answer has no body (botocore parses none); `{}` covers a missing request id.
        return "no body to truncate: the answer is its request id"
    return None


# One test per operation (its row of the table): the cells spread over pytest-xdist's workers.
@pytest.mark.parametrize(("operation", "wire"), OPERATIONS, ids=[wire for _, wire in OPERATIONS])
def test_every_operation_under_every_fault_exits_3_in_words_that_fit(
    operation: str,
    wire: str,
    moto_server: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    rows = fault_rows(
        moto_server,
        monkeypatch,
        ((operation, wire),),
        lambda url: run_check(policy, capsys, monkeypatch, url),
        check_named_once=True,
    )
    check_rows(rows, operation, OPERATIONS)


def fault_rows(
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    operations: tuple[tuple[str, str], ...],
    run: Callable[[str], tuple[int, str]],
    *,
    check_named_once: bool = False,
) -> list[str]:
    """Each operation under each fault through the proxy: the table's rows; every cell must
    exit 3, name the operation and the cause, and never be an internal error."""
    seed_account(moto_server)
    # Backoff between retries is real time; the number of attempts, not the wait, is tested.
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    proxy = FaultProxy(moto_server.endpoint, hold_seconds=1.0)
    rows: list[str] = []
    problems: list[str] = []
    with running(proxy) as url:
        code, stderr = run(url)
        assert code == 0, f"the account without faults must pass:\n{stderr}"
        for operation, wire in operations:
            for fault in Fault:
                reason = not_applicable(wire, fault)
                if reason:
                    rows.append(f"| {operation} | {fault.value} | n/a | {reason} |")
                    continue
                proxy.operation, proxy.fault, proxy.faulted = wire, fault, 0
                code, stderr = run(url)
                # moto gives each secret ARN a random suffix: keep the table stable.
                line = re.sub(
                    r"(:secret:[^:\s]+-)[A-Za-z0-9]{6}\b", r"\1XXXXXX", reported_line(stderr)
                )
                rows.append(f"| {operation} | {fault.value} | {code} | {line.replace('|', '/')} |")
                cell = f"{operation} x {fault.value}"
                if proxy.faulted == 0:
                    problems.append(f"{cell}: the fault was never injected")
                if code != 3:
                    problems.append(f"{cell}: exit {code}, not 3: {line}")
                if "internal error" in stderr or "Traceback" in stderr:
                    problems.append(f"{cell}: {stderr}")
                if operation not in line or not re.search(WORDS[fault], line):
                    problems.append(f"{cell}: wrong words: {line}")
                if check_named_once and f"{operation.split(':')[0]}:{operation}" in stderr:
                    problems.append(f"{cell}: operation named twice: {line}")
    assert problems == [], "\n".join(problems)
    return rows


# `scan` reads the same operations through its pipeline, plus the two that discover.
SCAN_OPERATIONS = (
    ("ecs:ListClusters", "ListClusters"),
    ("ecs:ListServices", "ListServices"),
    *(
        pair
        for pair in OPERATIONS
        # The links a scan runs only with --deep, and what it does not do (logs, metrics).
        if pair[1]
        not in (
            "FilterLogEvents",
            "PutMetricData",
            "ListTasks",
            "DescribeTasks",
            "DescribeImages",
            "SimulatePrincipalPolicy",
            "DescribeKey",
        )
    ),
)
SCAN_BEGIN, SCAN_END = "<!-- scan-fault-table: begin -->", "<!-- scan-fault-table: end -->"


def run_scan(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, out: Path
) -> tuple[int, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    code = main(
        [
            "scan",
            "--region",
            "us-east-1",
            "--quiet",
            "--format",
            "json",
            "--output",
            str(out),
            "--max-attempts",
            "2",
            "--timeout",
            "0.5",
        ]
    )
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("operation", "wire"), SCAN_OPERATIONS, ids=[wire for _, wire in SCAN_OPERATIONS]
)
def test_scan_under_every_fault_exits_3_and_says_where(
    operation: str,
    wire: str,
    moto_server: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "scan.json"
    rows = fault_rows(
        moto_server,
        monkeypatch,
        ((operation, wire),),
        lambda url: run_scan(capsys, monkeypatch, url, out),
    )
    check_rows(rows, operation, SCAN_OPERATIONS, SCAN_BEGIN, SCAN_END)


@pytest.mark.parametrize(
    ("begin", "end", "operations"),
    [(BEGIN, END, OPERATIONS), (SCAN_BEGIN, SCAN_END, SCAN_OPERATIONS)],
    ids=["check", "scan"],
)
def test_the_fault_tables_have_every_operation_under_every_fault_in_order(
    begin: str, end: str, operations: tuple[tuple[str, str], ...]
) -> None:
    """The per-operation tests check their own rows; this, that the table is those rows and
    nothing else: each operation's len(Fault) rows, in OPERATIONS' order, under the header."""
    lines = table_lines(begin, end)
    assert lines[:2] == [TABLE_HEADER, "|---|---|---|---|"]
    named = [row_operation(line) for line in lines[2:]]
    assert named == [operation for operation, _ in operations for _ in Fault]


TABLE_HEADER = "| operation | fault | exit | what drift-gate says |"


def table_lines(begin: str, end: str) -> list[str]:
    text = RELIABILITY.read_text(encoding="utf-8")
    return text.partition(begin)[2].partition(end)[0].strip("\n").splitlines()


def row_operation(line: str) -> str:
    return line.split("|")[1].strip()


def check_rows(
    rows: list[str],
    operation: str,
    operations: tuple[tuple[str, str], ...],
    begin: str = BEGIN,
    end: str = END,
) -> None:
    """`operation`'s rows of a fault table are `rows` (refreshed with DRIFT_GATE_UPDATE_GOLDEN,
    under a lock: the other operations' tests may be refreshing theirs in other workers)."""
    if os.environ.get("DRIFT_GATE_UPDATE_GOLDEN"):
        _refresh_rows(rows, operation, operations, begin, end)
    shown = [line for line in table_lines(begin, end)[2:] if row_operation(line) == operation]
    assert shown == rows, "docs/reliability.md's fault table is stale: DRIFT_GATE_UPDATE_GOLDEN=1"


def _refresh_rows(
    rows: list[str],
    operation: str,
    operations: tuple[tuple[str, str], ...],
    begin: str,
    end: str,
) -> None:
    import fcntl  # POSIX only, and only when refreshing

    with RELIABILITY.open("r+", encoding="utf-8") as document:
        fcntl.flock(document, fcntl.LOCK_EX)
        text = document.read()
        by_operation: dict[str, list[str]] = {}
        for line in text.partition(begin)[2].partition(end)[0].strip("\n").splitlines()[2:]:
            by_operation.setdefault(row_operation(line), []).append(line)
        by_operation[operation] = rows
        ordered = [line for name, _ in operations for line in by_operation.get(name, [])]
        table = "\n".join([TABLE_HEADER, "|---|---|---|---|", *ordered])
        before, _, rest = text.partition(begin)
        after = rest.partition(end)[2]
        document.seek(0)
        document.write(f"{before}{begin}\n{table}\n{end}{after}")
        document.truncate()


def check_table(
    rows: list[str],
    begin: str = BEGIN,
    end: str = END,
    header: str = TABLE_HEADER,
) -> None:
    table = "\n".join([header, "|---|---|---|---|", *rows])
    text = RELIABILITY.read_text(encoding="utf-8")
    before, _, rest = text.partition(begin)
    _, _, after = rest.partition(end)
    wanted = f"{before}{begin}\n{table}\n{end}{after}"
    if os.environ.get("DRIFT_GATE_UPDATE_GOLDEN"):
        RELIABILITY.write_text(wanted, encoding="utf-8")
    assert text == wanted, "docs/reliability.md's fault table is stale: DRIFT_GATE_UPDATE_GOLDEN=1"


# Batch calls answer per item: a `failures` entry with a reason, or nothing. Only the reason
# that means "absent" (MISSING, for a service asked by name) is absence; every other answer
# is could-not-verify naming the operation and the reason.
BATCH_OPERATIONS = (
    ("ecs:DescribeServices", "DescribeServices"),
    ("ecs:DescribeTasks", "DescribeTasks"),
)
SHOWN = {
    None: "failure without a reason",
    NOT_ASKED: NOT_ASKED,
    NEITHER: NEITHER,
    ANOTHER_GROUP: ANOTHER_GROUP,
}
BATCH_BEGIN, BATCH_END = "<!-- batch-failure-table: begin -->", "<!-- batch-failure-table: end -->"


def expected_batch_exit(wire: str, fault: str | None) -> int:
    # A service DescribeServices answers MISSING does not exist: drift (DG206). A task
    # ListTasks has just named is there; MISSING for it means the answer changed under the run.
    return 1 if (wire, fault) == ("DescribeServices", "MISSING") else 3


def test_batch_failures_are_read_by_their_reason(
    moto_server: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    seed_account(moto_server)
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    proxy = FaultProxy(moto_server.endpoint, hold_seconds=1.0)
    rows, problems = [], []
    with running(proxy) as url:
        for operation, wire in BATCH_OPERATIONS:
            more = TASK_BATCH_FAULTS if wire == "DescribeTasks" else ()
            for fault in (*BATCH_FAULTS, *more):
                proxy.operation, proxy.batch, proxy.batching, proxy.faulted = wire, fault, True, 0
                code, stderr = run_check(policy, capsys, monkeypatch, url)
                report = (tmp_path / "report.json").read_text()
                line = reported_line(stderr) if code == 3 else _first_finding(report)
                shown = SHOWN.get(fault, f"failure {fault}")
                rows.append(f"| {operation} | {shown} | {code} | {line.replace('|', '/')} |")
                cell = f"{operation} x {shown}"
                if proxy.faulted == 0:
                    problems.append(f"{cell}: the answer was never given")
                if code != expected_batch_exit(wire, fault):
                    problems.append(f"{cell}: exit {code}: {line}")
                if code == 3 and operation not in line:
                    problems.append(f"{cell}: the operation is not named: {line}")
                if "internal error" in stderr or "Traceback" in stderr:
                    problems.append(f"{cell}: {stderr}")
    assert problems == [], "\n".join(problems)
    check_table(
        rows,
        BATCH_BEGIN,
        BATCH_END,
        header="| operation | answer for each item asked | exit | what drift-gate says |",
    )


def _first_finding(report_json: str) -> str:
    import json

    findings = json.loads(report_json)["findings"]
    return f"{findings[0]['rule_id']}: {findings[0]['message']}" if findings else "no finding"
