"""`drift-gate await-hook`'s own calls x every fault, through the fault proxy.

ListServiceDeployments and DescribeServiceDeployments while it looks for the paused
deployment, DescribeServiceDeployments again just before the answer (the first call passes,
the fault is on the next), and ContinueServiceDeployment, each under every fault of
tests/faults.py, answered by the engine function the command calls (`await_and_answer`) for
the seeded service's verified revision paused at a PAUSE hook. Every cell must be exit 3 and
name the operation and the cause; each states and asserts what was sent (nothing, or ROLLBACK)
and what the emulated deployment shows afterwards. The table is written into
docs/reliability.md (refresh: DRIFT_GATE_UPDATE_GOLDEN=1, then review the diff).
"""

from __future__ import annotations

import http.server
import re
from pathlib import Path

import botocore.endpoint
import pytest

from drift_gate import _moto_compat
from drift_gate.deadline import Deadline
from drift_gate.engine.await_hook import AwaitRequest, await_and_answer
from drift_gate.errors import CouldNotVerifyError
from tests.conftest import MotoServer
from tests.e2e.test_fault_matrix import (
    POLICY,
    TABLE_HEADER,
    WORDS,
    check_rows,
    not_applicable,
    seed_account,
    table_lines,
)
from tests.faults import Fault, FaultProxy, running

pytestmark = pytest.mark.e2e

LOOKING, CONFIRMING = " (looking for the hook)", " (before the answer)"
# (row label, the wire operation, how many of its calls pass before the fault)
AWAIT_OPERATIONS = (
    ("ecs:ListServiceDeployments", "ListServiceDeployments", 0),
    ("ecs:DescribeServiceDeployments" + LOOKING, "DescribeServiceDeployments", 0),
    ("ecs:DescribeServiceDeployments" + CONFIRMING, "DescribeServiceDeployments", 1),
    ("ecs:ContinueServiceDeployment", "ContinueServiceDeployment", 0),
)
AWAIT_BEGIN, AWAIT_END = (
    "<!-- await-hook-fault-table: begin -->",
    "<!-- await-hook-fault-table: end -->",
)
AWAIT_WORDS = {**WORDS, Fault.ENDLESS_PAGES: r"kept paging past \d+ pages"}
# What each row must show: what was sent, and the hook's status afterwards.
NOTHING_SENT = ("nothing sent", "AWAITING_ACTION")
ROLLED_BACK = ("ROLLBACK sent", "FAILED")


class _SparingProxy(FaultProxy):
    """The proxy, letting the first `spare` calls of the operation through unfaulted."""

    spare: int = 0

    def answer(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        operation, _ = self._operation(handler, body)
        if operation == self.operation and self.spare > 0:
            self.spare -= 1
            self._send(handler, *self._forward(handler, body))
            return
        super().answer(handler, body)


def _deployment(moto: MotoServer) -> str:
    """A deployment of the service's current revision, paused at PRE_SCALE_UP."""
    ecs = moto.client("ecs")
    task_definition = ecs.describe_services(cluster="c", services=["api"])["services"][0][
        "taskDefinition"
    ]
    return _moto_compat.start_paused_deployment("c", "api", task_definition, "us-east-1")


def _hook(deployment: str) -> str:
    return str(_moto_compat.service_deployment(deployment)["lifecycleHookDetails"][0]["status"])


def _release(moto: MotoServer, deployment: str) -> None:
    """A hook left awaiting action is rolled back here, past the proxy, for the next cell."""
    state = _moto_compat.service_deployment(deployment)
    hook = state["lifecycleHookDetails"][0]
    if hook["status"] == "AWAITING_ACTION":
        moto.client("ecs").continue_service_deployment(
            serviceDeploymentArn=deployment, hookId=hook["hookId"], action="ROLLBACK"
        )


def run_await(
    policy: Path, moto: MotoServer, monkeypatch: pytest.MonkeyPatch, url: str
) -> tuple[int, str, str, str]:
    """await-hook on a fresh paused deployment: exit code, what was sent, the hook's status
    afterwards, and the line said."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    deployment = _deployment(moto)
    request = AwaitRequest(
        policy,
        "c",
        "api",
        "us-east-1",
        wait_seconds=5.0,
        max_attempts=3,
        timeout=0.5,
        deadline=Deadline(120.0),
        sleep=lambda _seconds: None,
    )
    try:
        result = await_and_answer(request)
        code, line = int(result.exit_code), result.line
        attempted = re.match(r"drift-gate: could not send (\w+)", line)
        sent = f"{attempted.group(1)} attempted" if attempted else f"{result.action} sent"
    except CouldNotVerifyError as error:
        code, sent, line = 3, "nothing sent", str(error)
    hook = _hook(deployment)
    _release(moto, deployment)
    # The emulation numbers each deployment and revision: keep the table stable.
    line = re.sub(r"drift-gate-compat-\d+", "drift-gate-compat-N", line)
    line = re.sub(r"(service-revision/c/api/)\d+", r"\1N", line)
    return code, sent, hook, line.removeprefix("drift-gate: ")


@pytest.mark.parametrize(
    ("operation", "wire", "spare"), AWAIT_OPERATIONS, ids=[o for o, _, _ in AWAIT_OPERATIONS]
)
def test_await_hook_under_every_fault_says_what_it_sent(
    operation: str,
    wire: str,
    spare: int,
    moto_server: MotoServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    seed_account(moto_server)
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    proxy = _SparingProxy(moto_server.endpoint, hold_seconds=1.0)
    rows, problems = [], []
    with running(proxy) as url:
        assert run_await(policy, moto_server, monkeypatch, url)[:3] == (
            0,
            "CONTINUE sent",
            "SUCCEEDED",
        ), "the account without faults must be continued"
        for fault in Fault:
            reason = not_applicable(wire, fault)
            if reason:
                rows.append(f"| {operation} | {fault.value} | n/a | {reason} |")
                continue
            proxy.operation, proxy.fault, proxy.faulted, proxy.spare = wire, fault, 0, spare
            code, sent, hook, line = run_await(policy, moto_server, monkeypatch, url)
            rows.append(
                f"| {operation} | {fault.value} | {code} | {sent}; the hook {hook}: {line} |"
            )
            cell = f"{operation} x {fault.value}"
            expected = _expected(operation, fault)
            if proxy.faulted == 0:
                problems.append(f"{cell}: the fault was never injected")
            if (code, sent, hook) != (3, *expected):
                problems.append(f"{cell}: exit {code}, {sent}, hook {hook}, not {expected}")
            if "internal error" in line or "Traceback" in line:
                problems.append(f"{cell}: {line}")
            named = operation.split(" ", maxsplit=1)[0]
            if named not in line or not re.search(AWAIT_WORDS[fault], line):
                problems.append(f"{cell}: wrong words: {line}")
    assert problems == [], "\n".join(problems)
    check_rows(rows, operation, _labels(), AWAIT_BEGIN, AWAIT_END)


def _expected(operation: str, fault: Fault) -> tuple[str, str]:
    if operation.endswith(CONFIRMING):
        return ROLLED_BACK  # the hook judged could not be confirmed: fail closed
    if operation == "ecs:ContinueServiceDeployment":
        # The proxy cut the answer of a call moto carried out: the CONTINUE was applied, and
        # the line says what the deployment shows, never "nothing was continued".
        return (
            "CONTINUE attempted",
            "SUCCEEDED" if fault is Fault.TRUNCATED else "AWAITING_ACTION",
        )
    return NOTHING_SENT


def _labels() -> tuple[tuple[str, str], ...]:
    return tuple((operation, wire) for operation, wire, _ in AWAIT_OPERATIONS)


def test_the_await_hook_fault_table_has_every_operation_under_every_fault_in_order() -> None:
    lines = table_lines(AWAIT_BEGIN, AWAIT_END)
    assert lines[:2] == [TABLE_HEADER, "|---|---|---|---|"]
    named = [line.split("|")[1].strip() for line in lines[2:]]
    assert named == [operation for operation, _, _ in AWAIT_OPERATIONS for _ in Fault]
