"""IN_PROGRESS: the lifecycle hook waits on a could-not-verify that may pass by itself, within
a bound, then gives the setting's answer. End to end through `drift-gate lifecycle-hook` over
HTTP on the emulated incident account; each next invocation gets the hookDetails the answer
returned, as ECS passes them back. Exit codes and answers exact."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.secretsmanager.responses import SecretsManagerResponse

from drift_gate import _moto_compat
from drift_gate.deadline import Deadline
from drift_gate.demo import CLUSTER, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from drift_gate.engine.hook import answer_invocation
from drift_gate.engine.hook_wait import Waiting
from tests.conftest import Cli, MotoServer
from tests.unit.test_lifecycle_hook import (
    CANARY_SECRETS,
    FAULTS,
    POLICY,
    _throttled,
    deploying,
    payload,
    run_hook,
)

TRANSIENT = ("throttled", "failures")  # ThrottlingException; a failure INTERNAL_ERROR


@pytest.fixture
def account(moto_server: MotoServer) -> IncidentAccount:
    """The incident, as tests/unit/test_lifecycle_hook.py seeds it."""
    created = IncidentAccount.create(moto_server.client, CANARY_SECRETS)
    _moto_compat.settle(CLUSTER, SERVICE, REGION)
    return created


def _faulty(monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    monkeypatch.setattr(
        EC2ContainerServiceResponse, "describe_service_revisions", FAULTS[fault], raising=False
    )


def _ago(seconds: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


@pytest.mark.parametrize("fault", TRANSIENT)
def test_a_transient_failure_waits_backing_off_then_fails_closed(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)  # would pass if it were read
    _faulty(monkeypatch, fault)
    details: dict[str, Any] | None = None
    for attempt, delay in enumerate((30, 60, 120, 240), start=1):
        result, answer, log = run_hook(cli_on_moto, payload(revision, details))
        assert (result.exit_code, answer["hookStatus"]) == (3, "IN_PROGRESS")
        assert answer["callBackDelay"] == delay
        details = answer["hookDetails"]
        assert details["driftGateAttempt"] == attempt + 1
        assert (details["retryAttempts"], details["retrySeconds"]) == (5, 600)
        assert details["unverified"] == "fail"
        assert (log["attempt"], log["callBackDelay"]) == (attempt, delay)
        assert "ecs:DescribeServiceRevisions" in log["reason"]
        assert f"attempt {attempt} of at most 5" in details["summary"]
    assert details is not None
    first = datetime.fromisoformat(details["driftGateFirstAttemptAt"])
    assert abs((datetime.now(timezone.utc) - first).total_seconds()) < 300
    result, answer, log = run_hook(cli_on_moto, payload(revision, details))
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED"), "the bound: fail closed"
    assert "callBackDelay" not in answer
    assert "after 5 attempts over" in log["reason"]


def test_a_transient_failure_that_passes_lets_the_verified_revision_through(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)
    with monkeypatch.context() as faulty:
        _faulty(faulty, "throttled")
        _, waiting, _ = run_hook(cli_on_moto, payload(revision))
    assert waiting["hookStatus"] == "IN_PROGRESS"
    result, answer, log = run_hook(cli_on_moto, payload(revision, waiting["hookDetails"]))
    assert (result.exit_code, answer["hookStatus"], log["verdict"]) == (0, "SUCCEEDED", "pass")


def test_the_window_bounds_the_wait_and_the_setting_answers(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)
    _faulty(monkeypatch, "throttled")
    details = {
        "unverified": "continue",
        "driftGateAttempt": 2,
        "driftGateFirstAttemptAt": _ago(590),
    }
    result, answer, log = run_hook(cli_on_moto, payload(revision, details))
    # 590 s spent and 60 s more would pass the 600 s window: the setting (continue) answers.
    assert (result.exit_code, answer["hookStatus"]) == (3, "SUCCEEDED")
    assert "WITHOUT verifying" in log["warning"]
    assert "after 2 attempts over 59" in log["reason"]


def test_one_attempt_configured_answers_at_once(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)
    _faulty(monkeypatch, "throttled")
    result, answer, _ = run_hook(cli_on_moto, payload(revision, {"retryAttempts": 1}))
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")


@pytest.mark.parametrize("fault", ["denied", "malformed"])
def test_a_permanent_failure_is_answered_at_once(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    revision = deploying(account, list(SECRET_NAMES), None)
    _faulty(monkeypatch, fault)
    result, answer, _ = run_hook(cli_on_moto, payload(revision))
    assert (result.exit_code, answer["hookStatus"]) == (3, "FAILED")


def test_findings_fail_at_once_even_beside_a_transient_failure(
    account: IncidentAccount, cli_on_moto: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision = account.current_revision()  # the incident: no HUGGINGFACE_API_KEY
    monkeypatch.setattr(SecretsManagerResponse, "describe_secret", _throttled)
    result, answer, log = run_hook(cli_on_moto, payload(revision))
    assert (result.exit_code, answer["hookStatus"]) == (1, "FAILED")
    assert "DG101 api HUGGINGFACE_API_KEY" in answer["hookDetails"]["findings"]
    assert any(f["rule"] == "DG901" for f in log["findings"])


def test_the_deadline_kept_from_lambdas_limit_waits(
    account: IncidentAccount, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    revision = _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)
    answer = answer_invocation(payload(revision), Path(POLICY), deadline=Deadline(0.0))
    assert (answer.response["hookStatus"], answer.response["callBackDelay"]) == ("IN_PROGRESS", 30)
    assert int(answer.exit_code) == 3
    assert "deadline" in answer.log["reason"]


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        ({"retryAttempts": 0}, "hookDetails.retryAttempts"),
        ({"retryAttempts": "5"}, "hookDetails.retryAttempts"),
        ({"retrySeconds": 3601}, "hookDetails.retrySeconds"),
        ({"driftGateAttempt": True}, "hookDetails.driftGateAttempt"),
        ({"driftGateFirstAttemptAt": "yesterday"}, "hookDetails.driftGateFirstAttemptAt"),
        ({"driftGateFirstAttemptAt": "2026-12-04T10:00:00"}, "no time zone"),
        ({"driftGateFirstAttemptAt": _ago(-3600)}, "in the future"),
    ],
)
def test_bad_wait_settings_or_state_are_a_bad_event(
    cli: Cli, details: dict[str, Any], reason: str
) -> None:
    revision = _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)
    result, answer, _ = run_hook(cli, payload(revision, details))
    assert (result.exit_code, answer["hookStatus"]) == (2, "FAILED")
    assert reason in answer["hookDetails"]["summary"]


def test_the_backoff_is_capped() -> None:
    now = datetime.now(timezone.utc)
    waiting = Waiting(attempts=20, seconds=3600, attempt=6, first_at=now)
    assert waiting.delay(now) == 300
    assert Waiting(attempts=3, attempt=3).delay(now) is None


def test_the_in_progress_answer_is_exactly_this(
    account: IncidentAccount, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    revision = deploying(account, list(SECRET_NAMES), None)
    _faulty(monkeypatch, "throttled")
    first = datetime(2026, 12, 4, 11, 0, 0, tzinfo=timezone.utc)
    details = {
        "unverified": "fail",
        "driftGateAttempt": 3,
        "driftGateFirstAttemptAt": "2026-12-04T11:00:00+00:00",
    }
    answer = answer_invocation(
        payload(revision, details),
        Path(POLICY),
        clock=lambda: first + timedelta(seconds=95),
    )
    assert int(answer.exit_code) == 3
    assert answer.response == {
        "hookStatus": "IN_PROGRESS",
        "callBackDelay": 120,
        "hookDetails": {
            "summary": "drift-gate: could not verify: throttled on "
            "ecs:DescribeServiceRevisions past retries; not verified yet: asking again in "
            "120 s (attempt 3 of at most 5)",
            "verdict": "could not verify",
            "unverified": "fail",
            "retryAttempts": 5,
            "retrySeconds": 600,
            "driftGateAttempt": 4,
            "driftGateFirstAttemptAt": "2026-12-04T11:00:00+00:00",
        },
    }
