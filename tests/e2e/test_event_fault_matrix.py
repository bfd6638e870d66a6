"""Every AWS operation the re-check on an ECS event makes x every fault, through the fault
proxy: the check's reads, the GitHub token's GetSecretValue and PutMetricData.

The same cells as tests/e2e/test_fault_matrix.py, answered by the event path's functions
(what `drift_gate.aws_lambda.handler` and `drift-gate on-event` call), with an issue
repository (a fake of GitHub's API) and a metrics namespace configured: each must be exit 3,
never an internal error, its reason naming the operation and the cause. The table is written
into docs/reliability.md (refresh: DRIFT_GATE_UPDATE_GOLDEN=1, then review the diff).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drift_gate.commands.on_event import lambda_publishing, published
from drift_gate.engine.on_event import SeenEvents, answer_event
from tests.conftest import MotoServer
from tests.e2e.test_fault_matrix import (
    OPERATIONS,
    POLICY,
    TABLE_HEADER,
    check_rows,
    fault_rows,
    table_lines,
)
from tests.faults import Fault
from tests.github_fake import TOKEN, FakeGitHub, serve

pytestmark = pytest.mark.e2e

EVENT_OPERATIONS = (*OPERATIONS, ("secretsmanager:GetSecretValue", "GetSecretValue"))
EVENT_BEGIN, EVENT_END = "<!-- event-fault-table: begin -->", "<!-- event-fault-table: end -->"
EVENT = {
    "version": "0",
    "id": "3317b2af-7005-947d-b652-f55e7EXAMPLE",
    "detail-type": "ECS Task State Change",
    "source": "aws.ecs",
    "detail": {
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
        "group": "service:api",
        "lastStatus": "STOPPED",
        "stoppedReason": "ResourceInitializationError: unable to pull secrets or registry auth",
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef",
        "version": 3,
    },
}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


def run_event(
    policy: Path, monkeypatch: pytest.MonkeyPatch, url: str, github: FakeGitHub, token_arn: str
) -> tuple[int, str]:
    """The task event, re-checked and published: its exit code, and the reason the result
    gives (why it was not published, when it was not)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    before = len(github.issues)
    configured = {
        "DRIFT_GATE_GITHUB_REPOSITORY": "octo/infra",
        "DRIFT_GATE_GITHUB_TOKEN_SECRET": token_arn,
        "DRIFT_GATE_METRICS_NAMESPACE": "DriftGate/Test",
    }
    answer = answer_event(EVENT, policy, SeenEvents(), timeout=0.5)
    answer = published(answer, lambda_publishing(configured, 0.5), None)
    if answer.exit_code != 0:
        assert len(github.issues) == before, "nothing is published for what was not verified"
    result = answer.result
    return int(answer.exit_code), str(result.get("published") or result["reason"])


@pytest.mark.parametrize(
    ("operation", "wire"), EVENT_OPERATIONS, ids=[wire for _, wire in EVENT_OPERATIONS]
)
def test_the_event_recheck_under_every_fault_is_never_a_pass(
    operation: str,
    wire: str,
    moto_server: MotoServer,
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    created = moto_server.client("secretsmanager").create_secret(
        Name="drift-gate/github-token", SecretString=TOKEN
    )
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    rows = fault_rows(
        moto_server,
        monkeypatch,
        ((operation, wire),),
        lambda url: run_event(policy, monkeypatch, url, github, created["ARN"]),
    )
    for row in rows:
        assert TOKEN not in row
    check_rows(rows, operation, EVENT_OPERATIONS, EVENT_BEGIN, EVENT_END)


def test_the_event_fault_table_has_every_operation_under_every_fault_in_order() -> None:
    lines = table_lines(EVENT_BEGIN, EVENT_END)
    assert lines[:2] == [TABLE_HEADER, "|---|---|---|---|"]
    named = [line.split("|")[1].strip() for line in lines[2:]]
    assert named == [operation for operation, _ in EVENT_OPERATIONS for _ in Fault]
