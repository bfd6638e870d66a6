"""Running drift-gate from Python: the Report, without the command line.

    import drift_gate
    report = drift_gate.check(policy="drift-gate.yaml")
    if report.exit_code:  # the same codes as the CLI: 0 pass, 1 drift, 3 could not verify
        ...

Invalid input raises drift_gate.errors.InvalidInputError; AWS is reached with the standard
boto3 configuration (environment, profile, AWS_ENDPOINT_URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from drift_gate.model import Report

FailOnName = Literal["error", "warning", "never"]
SecretChecksName = Literal["required", "best-effort", "off"]
LinkName = Literal["images", "running-tasks", "execution-role"]


def check(
    policy: str | Path | None = None,
    *,
    plan_json: str | Path | None = None,
    environment: str | None = None,
    region: str | None = None,
    fail_on: FailOnName = "error",
    secret_checks: SecretChecksName | None = None,
    skip_links: tuple[LinkName, ...] = (),
    tasks_since_seconds: float | None = None,
    max_attempts: int = 5,
    timeout: float = 20.0,
) -> Report:
    """What `drift-gate check --policy P [--plan-json J]` checks, as a Report.
    `skip_links` is --skip-link, `tasks_since_seconds` --since."""
    from drift_gate.commands.check import (
        CheckRequest,
        aws_clients,
        gate_options,
        load_plan_input,
    )
    from drift_gate.engine.gate import run_check
    from drift_gate.policy import load_policy

    if policy is None and plan_json is None:
        raise TypeError("give a policy, a plan_json, or both")
    request = CheckRequest(
        policy=Path(policy) if policy else None,
        plan_json=Path(plan_json) if plan_json else None,
        plan_file=None,
        terraform_dir=None,
        terraform=None,
        environment=environment,
        fail_on=fail_on,
        region=region,
        secret_checks=secret_checks,
        skipped_links=frozenset(skip_links),
        tasks_since=tasks_since_seconds,
        metrics_namespace=None,
        max_attempts=max_attempts,
        timeout=timeout,
        outputs=(),
    )
    loaded = load_policy(request.policy) if request.policy else None
    clients = aws_clients(request, None)
    return run_check(loaded, gate_options(request), clients, load_plan_input(request))


def check_offline(
    policy: str | Path,
    terraform_dir: str | Path,
    *,
    environment: str | None = None,
    fail_on: FailOnName = "error",
) -> Report:
    """What `drift-gate check --offline` checks (no AWS, no terraform), as a Report."""
    from drift_gate.engine.offline import run_offline
    from drift_gate.model import FailOn
    from drift_gate.policy import load_policy

    return run_offline(load_policy(Path(policy)), Path(terraform_dir), environment, FailOn(fail_on))
