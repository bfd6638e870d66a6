"""Every AWS operation the lifecycle hook makes x every fault, through the fault proxy.

The same cells as tests/e2e/test_fault_matrix.py, answered by the hook's engine function
(`answer_invocation`, what `drift_gate.aws_lambda.handler` and `drift-gate lifecycle-hook`
call): each must be exit 3, never SUCCEEDED, never an internal error: IN_PROGRESS for what
may pass by itself (a server error, throttling, a read timeout: the first invocation of the
hook's bounded wait), FAILED at once for the rest (fail closed, the default setting); its
reason must name the operation and the cause. The table is written into
docs/reliability.md (refresh: DRIFT_GATE_UPDATE_GOLDEN=1, then review the diff).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drift_gate import _moto_compat
from drift_gate.engine.hook import answer_invocation
from tests.conftest import MotoServer
from tests.e2e.test_fault_matrix import (
    POLICY,
    TABLE_HEADER,
    check_rows,
    fault_rows,
    not_applicable,
    table_lines,
)
from tests.faults import Fault

pytestmark = pytest.mark.e2e

HOOK_OPERATIONS = (
    ("ecs:DescribeServices", "DescribeServices"),
    ("ecs:DescribeServiceRevisions", "DescribeServiceRevisions"),
    ("ecs:DescribeTaskDefinition", "DescribeTaskDefinition"),
    ("ecr:DescribeImages", "DescribeImages"),
    ("secretsmanager:DescribeSecret", "DescribeSecret"),
    ("ssm:DescribeParameters", "DescribeParameters"),
    ("iam:SimulatePrincipalPolicy", "SimulatePrincipalPolicy"),
    ("kms:DescribeKey", "DescribeKey"),
)
HOOK_BEGIN, HOOK_END = "<!-- hook-fault-table: begin -->", "<!-- hook-fault-table: end -->"
SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/c/api"
# What may pass by itself: the hook answers IN_PROGRESS (engine/hook_wait.py).
TRANSIENT = {Fault.SERVER_ERROR, Fault.THROTTLING, Fault.READ_TIMEOUT}


def run_hook(
    policy: Path, monkeypatch: pytest.MonkeyPatch, url: str, statuses: list[str]
) -> tuple[int, str]:
    """The hook on the seeded service's current revision: its exit code, and its answer and
    reason (the table's last column)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    revision = _moto_compat.service_revision_arn("c", "api", "us-east-1")
    event = {
        "lifecycleStage": "PRE_SCALE_UP",
        "executionDetails": {"serviceArn": SERVICE_ARN, "targetServiceRevisionArn": revision},
    }
    answer = answer_invocation(event, policy, timeout=0.5)
    status = str(answer.response["hookStatus"])
    statuses.append(status)
    return int(answer.exit_code), f"{status}: {answer.log['reason']}"


@pytest.mark.parametrize(
    ("operation", "wire"), HOOK_OPERATIONS, ids=[wire for _, wire in HOOK_OPERATIONS]
)
def test_the_hook_under_every_fault_fails_closed_in_words_that_fit(
    operation: str,
    wire: str,
    moto_server: MotoServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    statuses: list[str] = []
    rows = fault_rows(
        moto_server,
        monkeypatch,
        ((operation, wire),),
        lambda url: run_hook(policy, monkeypatch, url, statuses),
    )
    assert statuses[0] == "SUCCEEDED"  # the account without faults
    # A fault never lets a deployment through: what may pass by itself is IN_PROGRESS (ECS
    # asks again, within the hook's bound), the rest FAILED at once.
    applied = [fault for fault in Fault if not not_applicable(wire, fault)]
    assert statuses[1:] == [
        "IN_PROGRESS" if fault in TRANSIENT else "FAILED" for fault in applied
    ], "a fault never lets a deployment through"
    check_rows(rows, operation, HOOK_OPERATIONS, HOOK_BEGIN, HOOK_END)


def test_the_hook_fault_table_has_every_operation_under_every_fault_in_order() -> None:
    lines = table_lines(HOOK_BEGIN, HOOK_END)
    assert lines[:2] == [TABLE_HEADER, "|---|---|---|---|"]
    named = [line.split("|")[1].strip() for line in lines[2:]]
    assert named == [operation for operation, _ in HOOK_OPERATIONS for _ in Fault]
