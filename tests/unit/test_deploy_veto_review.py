"""Review findings on the deployment veto, each a test that failed before its fix:
the environment that applies to a hooked service, an event about another account's service,
and an internal error under `unverified: continue`."""

# ruff: noqa: F811 - `account` is a fixture imported from the hook tests
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drift_gate.engine import revision as revision_module
from tests.conftest import Cli
from tests.unit.test_lifecycle_hook import account, payload, run_hook  # noqa: F401
from tests.unit.test_on_event import (
    SERVICE_ARN,
    deployment_event,
    on_event,
    primary_deployment,
)

DECLARED = """\
      - cluster: hokusai-development
        service: hokusai-api-development
        containers:
          api:
            {names}
"""
STRICT = "secrets: [DATABASE_HOST, MLFLOW_SERVER_URL, HUGGINGFACE_API_KEY]"
LOOSE = "environment: [LOG_LEVEL]"


def _policy(tmp: Path, *environments: tuple[str, str | None, str]) -> Path:
    text = "version: 1\nenvironments:\n"
    for name, account_id, names in environments:
        text += f"  {name}:\n    region: us-east-1\n"
        if account_id:
            text += f'    account: "{account_id}"\n'
        text += "    services:\n" + DECLARED.format(names=names)
    path = tmp / "drift-gate.yaml"
    path.write_text(text)
    return path


def _hook(cli: Cli, policy: Path, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    (cli.cwd / "event.json").write_text(json.dumps(event))
    result = cli.run(
        "lifecycle-hook", "--event", str(cli.cwd / "event.json"), "--policy", str(policy)
    )
    return result.exit_code, json.loads(result.stdout)


def test_the_environment_naming_the_account_wins_over_one_listed_first_without_one(
    account: Any,
    cli_on_moto: Cli,
) -> None:
    """A looser environment without `account:` listed first judged the revision (SUCCEEDED)."""
    policy = _policy(
        cli_on_moto.cwd, ("sandbox", None, LOOSE), ("development", "123456789012", STRICT)
    )
    exit_code, answer = _hook(cli_on_moto, policy, payload(account.current_revision()))
    assert exit_code == 1
    assert answer["hookStatus"] == "FAILED"
    assert "DG101 api HUGGINGFACE_API_KEY" in answer["hookDetails"]["findings"]


def test_two_environments_that_both_apply_are_bad_input_never_a_guess(
    account: Any,
    cli_on_moto: Cli,
) -> None:
    policy = _policy(cli_on_moto.cwd, ("sandbox", None, LOOSE), ("other", None, STRICT))
    exit_code, answer = _hook(cli_on_moto, policy, payload(account.current_revision()))
    assert exit_code == 2
    assert answer["hookStatus"] == "FAILED"
    assert "several environments (sandbox, other)" in answer["hookDetails"]["summary"]


def test_an_internal_error_is_failed_even_when_told_to_continue(
    account: Any,
    cli_on_moto: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in a link")

    monkeypatch.setattr(revision_module, "revision_links", broken)
    event = payload(account.current_revision(), {"unverified": "continue"})
    result, answer, log = run_hook(cli_on_moto, event)
    assert result.exit_code == 3
    assert answer["hookStatus"] == "FAILED"
    assert "internal error (RuntimeError)" in log["reason"]


def test_an_event_about_another_accounts_service_is_not_judged_here(
    account: Any,
    cli_on_moto: Cli,
) -> None:
    """The credentials reach account 123456789012; the event names 999999999999's service."""
    event = deployment_event(primary_deployment(account))
    other = SERVICE_ARN.replace("123456789012", "999999999999")
    event["resources"] = [other]
    event["account"] = "999999999999"
    result, answer = on_event(cli_on_moto, event)
    assert result.exit_code == 3
    assert answer["verdict"] == "could not verify"
    assert "credentials reach" in answer["reason"]
    assert answer["findings"] == []


def test_await_hooks_check_ends_before_the_run_so_the_answer_can_be_sent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The check had the whole remaining deadline: a slow AWS could leave nothing for
    ContinueServiceDeployment, and a known finding's ROLLBACK was not sent."""
    from drift_gate.deadline import Deadline
    from drift_gate.engine import await_hook, entry
    from drift_gate.sources.deployments import PausedDeployment

    given: list[float] = []
    monkeypatch.setattr(
        entry, "check_revision", lambda request: given.append(request.deadline.remaining())
    )
    request = await_hook.AwaitRequest(
        tmp_path / "p.yaml", "c", "s", "us-east-1", deadline=Deadline(300.0)
    )
    paused = PausedDeployment("d", "arn:s", "arn:r", "h", "PRE_SCALE_UP")
    await_hook._judge(paused, request)
    (remaining,) = given
    assert remaining <= request.deadline.remaining() - await_hook.ANSWER_MARGIN + 0.5
