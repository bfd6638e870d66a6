"""`check --wait`: against moto in server mode, the project's rollout helper driving the
deployment forward from a background thread (moto does not roll out by itself)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, MotoServer

pytestmark = pytest.mark.e2e

POLICY = REPO / "policies" / "example.yaml"


def rolling(moto_server: MotoServer) -> IncidentAccount:
    """The fixed revision deployed, its rollout IN_PROGRESS with the old one draining."""
    account = IncidentAccount.create(moto_server.client)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    account.redeploy(account.register_revision(list(SECRET_NAMES)), completed=False)
    return account


def check(cli: Cli, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    path = tmp_path / "r.json"
    result = cli.run(
        "check", "--policy", str(POLICY), "--format", "json", "--output", str(path), *extra
    )
    report = json.loads(path.read_text()) if path.exists() else {}
    return result.exit_code, report, result.stderr


def test_the_checks_run_once_the_rollout_has_settled(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    rolling(moto_server)
    done = threading.Timer(1.0, _moto_compat.settle, (CLUSTER, SERVICE, REGION))
    done.start()
    started = time.monotonic()
    try:
        code, report, stderr = check(cli_on_moto, tmp_path, "--wait", "60s")
    finally:
        done.cancel()
    assert code == 0, stderr
    assert report["findings"] == []
    assert "drift-gate: waiting for 1 rollout(s)" in stderr
    assert time.monotonic() - started < 30


def test_check_quiet_prints_no_progress(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    rolling(moto_server)
    done = threading.Timer(1.0, _moto_compat.settle, (CLUSTER, SERVICE, REGION))
    done.start()
    try:
        code, report, stderr = check(cli_on_moto, tmp_path, "--wait", "60s", "-q")
    finally:
        done.cancel()
    assert (code, report["findings"]) == (0, [])
    # No "waiting for" line: only the verdict, which stays for the CI log.
    assert stderr.splitlines() == ["drift-gate: PASS: 1 service(s) run what is declared"]


def test_a_rollout_that_does_not_settle_in_time_is_could_not_verify(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    rolling(moto_server)
    code, report, _ = check(cli_on_moto, tmp_path, "--wait", "3s")
    assert code == 3
    unverified = [f for f in report["findings"] if f["rule_id"] == "DG901"]
    assert len(unverified) == 1
    assert unverified[0]["target"]["service"] == SERVICE
    assert "the rollout did not settle within 3 s (deployment " in unverified[0]["message"]


def test_a_rollback_fails_naming_the_deployment_and_the_revision_it_went_back_to(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    account = rolling(moto_server)
    state = _moto_compat._service(CLUSTER, SERVICE, REGION, "123456789012")
    new, old = state.deployments
    # What ECS shows after a circuit-breaker rollback: the failed deployment beside a new
    # PRIMARY on the previous revision (moto has no circuit breaker: set as ECS would).
    failed = dict(
        new,
        status="ACTIVE",
        rolloutState="FAILED",
        rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
    )
    back = dict(old, id="ecs-svc/rollback", status="PRIMARY", rolloutState="COMPLETED")
    state.deployments = [back, failed]
    state.task_definition = old["taskDefinition"]
    del account

    code, report, _ = check(cli_on_moto, tmp_path, "--wait", "30s")

    assert code == 1
    (rollback,) = [f for f in report["findings"] if f["rule_id"] == "DG213"]
    assert rollback["message"] == (
        f"deployment {new['id']} of {new['taskDefinition']} failed (ECS deployment circuit "
        f"breaker: tasks failed to start.) and the service was rolled back to "
        f"{old['taskDefinition']}"
    )
    assert rollback["target"]["environment"] == "development"


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (("--wait", "soon"), "give a duration such as 90s, 10m or 1h"),
        (("--wait", "0s"), "give a duration from 1s to 24h"),
        (("--wait", "2d"), "give a duration such as 90s"),
        (("--wait", "10m", "--offline"), "--wait waits for rollouts on ECS"),
    ],
)
def test_bad_wait_is_exit_2(cli: Cli, arguments: tuple[str, ...], words: str) -> None:
    result = cli.run("check", "--policy", str(POLICY), *arguments)
    assert result.exit_code == 2
    assert words in result.stderr


def test_scan_waits_for_the_rollouts_it_finds(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    rolling(moto_server)
    path = tmp_path / "scan.json"
    arguments = ("scan", "--region", REGION, "--format", "json", "--output", str(path))

    stuck = cli_on_moto.run(*arguments, "--quiet", "--wait", "3s")
    assert stuck.exit_code == 3
    assert "waiting for" not in stuck.stderr  # --quiet: no progress, the --wait lines neither
    (finding,) = [f for f in json.loads(path.read_text())["findings"] if f["rule_id"] == "DG901"]
    assert finding["message"].startswith(
        f"{CLUSTER}/{SERVICE}: could not verify: the rollout did not settle within 3 s"
    )

    done = threading.Timer(1.0, _moto_compat.settle, (CLUSTER, SERVICE, REGION))
    done.start()
    try:
        settled = cli_on_moto.run(*arguments, "--wait", "60s")
    finally:
        done.cancel()
    assert settled.exit_code == 0, settled.stderr
    assert "drift-gate: waiting for 1 rollout(s)" in settled.stderr
